package dev.gatehouse.doctor;

import dev.gatehouse.Gatehouse;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Modes and owners: the rule {@code store/Home} enforces when it opens a home (every entry
 * the current user's, no group or other bits, no symbolic link inside), found entry by entry
 * instead of refused at the first; and agent key files, which must be 0600.
 *
 * <p>Repairs are sure: a mode loses its group and other bits and nothing else; an owner is
 * changed only when root runs doctor, to the owner of the home folder (whom Home demands:
 * the folder must be the running user's, and so must everything in it).
 */
final class FileChecks {
  static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private FileChecks() {}

  /** home.perms: the home folder and everything in it, except vault.gh (vault.perms). */
  static List<Finding> homePerms(Inspection in) throws IOException {
    List<Finding> out = new ArrayList<>();
    Path home = in.home();
    // The home itself may be reached through a symbolic link, as Home allows.
    entry(in, "home.perms", home, Files.readAttributes(home, PosixFileAttributes.class), out);
    walk(in, home, out);
    return out;
  }

  private static void walk(Inspection in, Path dir, List<Finding> out) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (p.equals(in.file(Gatehouse.VAULT_FILE))) {
          continue;
        }
        PosixFileAttributes a;
        try {
          a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
          continue;
        }
        if (a.isSymbolicLink()) {
          out.add(Finding.critical("home.perms", p + " is a symbolic link; Gatehouse refuses to open a home with one",
              "replace it with the file itself: `cp --remove-destination \"$(readlink -f " + p + ")\" " + p + "`"));
          continue;
        }
        entry(in, "home.perms", p, a, out);
        if (a.isDirectory()) {
          walk(in, p, out);
        }
      }
    }
  }

  /** vault.perms: vault.gh held to the same rule, apart because it is the one file that holds every secret. */
  static List<Finding> vaultPerms(Inspection in) throws IOException {
    Path vault = in.file(Gatehouse.VAULT_FILE);
    PosixFileAttributes a;
    try {
      a = Files.readAttributes(vault, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return List.of(); // vault.missing says it
    }
    if (a.isSymbolicLink()) {
      return List.of(Finding.critical("vault.perms", vault + " is a symbolic link; Gatehouse refuses it",
          "replace the link with the vault file itself"));
    }
    List<Finding> out = new ArrayList<>();
    entry(in, "vault.perms", vault, a, out);
    return out;
  }

  /** The owner and mode findings for one entry of the home. */
  private static void entry(Inspection in, String id, Path p, PosixFileAttributes a, List<Finding> out)
      throws IOException {
    String me = expectedOwner(in);
    UserPrincipal owner = a.owner();
    if (!owner.getName().equals(me)) {
      Finding f = Finding.critical(id, p + " is owned by " + owner.getName() + ", not " + me
          + " who runs Gatehouse; Gatehouse refuses a home with it", "`chown " + me + " " + p + "`, or run Gatehouse as "
          + owner.getName());
      out.add(sureOwner(in) ? f.repairedBy(() -> chown(p, me)) : f);
    }
    Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
    loose.addAll(a.permissions());
    loose.retainAll(GROUP_OR_OTHER);
    if (!loose.isEmpty()) {
      String mode = a.isDirectory() ? "700" : "600";
      out.add(Finding.critical(id, p + " is accessible to group or others (" + PosixFilePermissions.toString(
          a.permissions()) + "); Gatehouse refuses a home with it", "`chmod " + mode + " " + p + "`")
          .repairedBy(() -> tighten(p)));
    }
  }

  /**
   * Whose every entry must be: the user running doctor, as Home demands of the user running
   * Gatehouse; but root looking at a home another user owns (for the sudoers checks) judges
   * it as that user would run it.
   */
  private static String expectedOwner(Inspection in) throws IOException {
    String me = in.settings().userName();
    if (me.equals("root")) {
      return Files.readAttributes(in.home(), PosixFileAttributes.class).owner().getName();
    }
    return me;
  }

  /** Only root can change an owner; and it then knows whose the entry must be: the home folder's owner's. */
  private static boolean sureOwner(Inspection in) {
    return in.settings().userName().equals("root");
  }

  /** Removes group and other bits from {@code p} (never through a link); says what changed. */
  static String tighten(Path p) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (a.isSymbolicLink()) {
      throw new IOException(p + " became a symbolic link; left as it is");
    }
    Set<PosixFilePermission> tight = EnumSet.noneOf(PosixFilePermission.class);
    tight.addAll(a.permissions());
    tight.removeAll(GROUP_OR_OTHER);
    Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(tight);
    return "chmod " + PosixFilePermissions.toString(a.permissions()) + " -> " + PosixFilePermissions.toString(tight)
        + " " + p;
  }

  private static String chown(Path p, String user) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    String was = view.readAttributes().owner().getName();
    view.setOwner(p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user));
    return "chown " + was + " -> " + user + " " + p;
  }

  /**
   * agent.key_file_perms: the key files {@code gatehouse call} would read here
   * ({@code $GATEHOUSE_AGENT_KEY_FILE}, {@code ~/.config/gatehouse/agent.key}) and those named
   * with {@code --key-file}: anyone who can read one signs as that agent.
   */
  static List<Finding> agentKeyFilePerms(Inspection in) throws IOException {
    Set<Path> named = new LinkedHashSet<>(in.settings().keyFiles());
    Set<Path> usual = new LinkedHashSet<>();
    String fromEnv = in.settings().env().get("GATEHOUSE_AGENT_KEY_FILE");
    if (fromEnv != null && !fromEnv.isBlank()) {
      usual.add(Path.of(fromEnv));
    }
    usual.add(Path.of(in.settings().userHome(), ".config", "gatehouse", "agent.key"));
    List<Finding> out = new ArrayList<>();
    for (Path p : named) {
      if (!Files.exists(p)) {
        out.add(Finding.warn("agent.key_file_perms", "no agent key file at " + p, "check the path given to --key-file"));
      }
    }
    Set<Path> all = new LinkedHashSet<>(named);
    all.addAll(usual);
    for (Path p : all) {
      if (!Files.isRegularFile(p)) {
        continue;
      }
      PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class);
      Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
      loose.addAll(a.permissions());
      loose.retainAll(GROUP_OR_OTHER);
      if (!loose.isEmpty()) {
        Path real = p.toRealPath();
        out.add(Finding.critical("agent.key_file_perms", "the agent key file " + p + " is accessible to group or others ("
            + PosixFilePermissions.toString(a.permissions()) + "): whoever reads it signs as that agent",
            "`chmod 600 " + real + "`, then rotate the key (`gatehouse agent rotate NAME --key-file " + p
            + "`) if others may have read it").repairedBy(() -> tighten(real)));
      }
    }
    return out;
  }
}
