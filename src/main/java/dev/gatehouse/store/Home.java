package dev.gatehouse.store;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Gatehouse home directory: where config, secrets and state live.
 *
 * <p>Guarantee: a {@code Home} obtained from {@link #open} was, at open time, a directory
 * owned by the current user with no group or other permission bits, and so was every file
 * and folder inside it (none of them a symbolic link). Like ssh with its keys, Gatehouse
 * refuses to use state that another local user could read or change.
 */
public final class Home {
  public static final String CONFIG_FILE = "gatehouse.yaml";
  private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private final Path dir;
  private final HomeLock lock;

  private Home(Path dir) {
    this.dir = dir;
    this.lock = new HomeLock(dir.resolve(".lock"));
  }

  /**
   * Where the home is: {@code --home} if given, else {@code $GATEHOUSE_HOME}, else
   * {@code ~/.gatehouse}.
   */
  public static Path locate(String option, Map<String, String> env, String userHome) {
    String chosen = option != null ? option : env.get("GATEHOUSE_HOME");
    if (chosen != null && chosen.isBlank()) {
      throw new BadInputException("the home directory path is empty");
    }
    Path path = chosen != null ? Path.of(chosen) : Path.of(userHome, ".gatehouse");
    return path.toAbsolutePath().normalize();
  }

  /**
   * Creates a new home at {@code dir} (mode 0700) and writes {@code files} into it (mode
   * 0600, atomically). An existing empty folder is taken over; anything else is refused and
   * left as it is.
   */
  public static Home create(Path dir, Map<String, byte[]> files) throws IOException {
    Path parent = dir.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new BadInputException("cannot create " + dir + ": " + parent + " does not exist");
    }
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new BadInputException(dir + " exists and is not a directory; choose another --home");
      }
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw new BadInputException(Files.exists(dir.resolve(CONFIG_FILE))
              ? "a Gatehouse home already exists at " + dir + "; nothing was changed"
              : dir + " exists and is not empty; choose another --home");
        }
      }
      checkOwner(dir, Files.readAttributes(dir, PosixFileAttributes.class));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      AtomicFiles.write(dir.resolve(file.getKey()), file.getValue());
    }
    return open(dir);
  }

  /** Opens an existing home after checking its ownership and modes (see the class comment). */
  public static Home open(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.exists(dir)) {
      throw new NotConfiguredException("no Gatehouse home at " + dir + "; create one with `gatehouse init`");
    }
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir + " is not a directory");
    }
    // The home itself may be reached through a symbolic link (as ~/.ssh may); what is inside may not.
    checkEntry(dir, Files.readAttributes(dir, PosixFileAttributes.class));
    checkInside(dir);
    return new Home(dir);
  }

  /** Checks every entry below {@code dir}; entries that vanish meanwhile (another process's temp files) are skipped. */
  private static void checkInside(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        PosixFileAttributes attrs;
        try {
          attrs = Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
          continue;
        }
        if (attrs.isSymbolicLink()) {
          throw new BadInputException(entry + " is a symbolic link; state files must be regular files: replace it with the file itself");
        }
        checkEntry(entry, attrs);
        if (attrs.isDirectory()) {
          checkInside(entry);
        }
      }
    }
  }

  private static void checkEntry(Path path, PosixFileAttributes attrs) {
    checkOwner(path, attrs);
    Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
    loose.addAll(attrs.permissions());
    loose.retainAll(GROUP_OR_OTHER);
    if (!loose.isEmpty()) {
      String mode = PosixFilePermissions.toString(attrs.permissions());
      String fix = attrs.isDirectory() ? "chmod 700" : "chmod 600";
      throw new BadInputException(path + " is accessible to group or others (" + mode
          + "); fix it with `" + fix + " " + path + "`");
    }
  }

  private static void checkOwner(Path path, PosixFileAttributes attrs) {
    UserPrincipal owner = attrs.owner();
    String me = System.getProperty("user.name");
    if (!owner.getName().equals(me)) {
      throw new BadInputException(path + " is owned by " + owner.getName() + ", not " + me
          + "; fix it with `chown " + me + " " + path + "` or run Gatehouse as " + owner.getName());
    }
  }

  public Path dir() {
    return dir;
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  /** The one lock under which every read-check-write of this home's state happens. */
  public HomeLock lock() {
    return lock;
  }
}
