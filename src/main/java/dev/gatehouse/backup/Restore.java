package dev.gatehouse.backup;

import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.store.Home;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.Vault;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code gatehouse restore}: an archive of {@link Backup} into a new home.
 *
 * <p>Guarantees: nothing appears at the target until everything was decrypted, authenticated
 * to the last chunk, written with the home's modes (folders 0700, files 0600) and the
 * restored audit log verified; then one rename puts the home in place. On any failure the
 * temporary folder next to the target is removed and the target is as it was (absent or an
 * empty folder).
 */
public final class Restore {
  /** A path in an archive: relative, plain names, no {@code .} or {@code ..}. */
  private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){0,4}");
  private static final FileAttribute<?> PRIVATE_DIR =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private Restore() {}

  /** Where the vault's credential comes from, once the archive's vault is in hand. */
  @FunctionalInterface
  public interface Unlock {
    Credential credentialFor(Vault vault) throws IOException;
  }

  /** What was restored. */
  public record Restored(Path home, String created, int files, int vaultEntries, long auditEntries, byte[] auditRoot,
      long checkpointSize, int stateTables, long stateRows, int services) {}

  public static Restored restore(Path archive, Path target, Unlock unlock, SecureRandom random, Clock clock)
      throws IOException {
    Path dir = target.toAbsolutePath().normalize();
    Path parent = dir.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException("cannot restore into " + target + ": its folder does not exist");
    }
    checkEmpty(dir);
    InputStream file;
    try {
      file = Files.newInputStream(archive);
    } catch (NoSuchFileException e) {
      throw new BadInputException(archive + " does not exist");
    }
    Path temp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".restore-", PRIVATE_DIR);
    boolean done = false;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(file, 1 << 16))) {
      ArchiveFormat.Header header = ArchiveFormat.readHeader(in);
      AtomicFiles.write(temp.resolve("vault.gh"), header.vault());
      Vault vault = new Vault(temp.resolve("vault.gh"), random, clock);
      byte[] key;
      try (Credential c = unlock.credentialFor(vault)) {
        vault.unseal(c);
      }
      try {
        key = vault.unwrapKey(header.wrappedKey(), ArchiveFormat.KEY_PURPOSE);
      } catch (RefusedException e) {
        throw new ArchiveFormat.Damaged("its key is not wrapped by this vault");
      }
      int files;
      try (DataInputStream plain = new DataInputStream(new ArchiveFormat.OpeningStream(in, key, header.prefixHash()))) {
        files = unpack(plain, temp);
      } finally {
        Arrays.fill(key, (byte) 0);
      }
      int entries = vault.list().size();
      vault.seal();
      Path audit = temp.resolve("audit");
      AuditVerifier.Result verified = AuditVerifier.verify(audit, AuditVerifier.verifierKey(audit), null);
      if (!verified.intact()) {
        throw new RefusedException("the archive's audit log is not intact (" + verified.problem()
            + "); nothing was restored");
      }
      long[] state = stateCounts(temp.resolve(StateDb.FILE));
      int services = countServices(temp.resolve("services"));
      AtomicFiles.fsyncDirectory(temp);
      Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE); // rename(2): also over an empty folder
      done = true;
      AtomicFiles.fsyncDirectory(parent);
      Home.open(dir); // the modes and owner every command will check
      return new Restored(dir, header.created(), files + 1, entries, verified.entries(), verified.root(),
          verified.latest() == null ? 0 : verified.latest().size(), (int) state[0], state[1], services);
    } catch (ArchiveFormat.Damaged e) {
      throw new RefusedException(archive + " is not an intact Gatehouse backup (" + e.getMessage()
          + "); nothing was restored");
    } finally {
      if (!done) {
        Backup.deleteTree(temp);
      }
    }
  }

  private static void checkEmpty(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(dir + " exists and is not a folder; restore into a new or empty folder");
    }
    try (Stream<Path> s = Files.list(dir)) {
      if (s.findAny().isPresent()) {
        throw new BadInputException(dir + " is not empty; restore into a new or empty folder (nothing was written)");
      }
    }
  }

  /** Writes every file record into {@code into}; returns how many. The stream must end right after the end record. */
  private static int unpack(DataInputStream plain, Path into) throws IOException {
    Set<String> seen = new HashSet<>();
    int files = 0;
    try {
      while (true) {
        int kind = plain.readUnsignedByte();
        if (kind == 'E') {
          break;
        }
        if (kind != 'F') {
          throw new ArchiveFormat.Damaged("an unknown record");
        }
        byte[] name = new byte[plain.readUnsignedShort()];
        plain.readFully(name);
        String path = new String(name, StandardCharsets.UTF_8);
        long size = plain.readLong();
        if (!PATH.matcher(path).matches() || path.equals("vault.gh") || !seen.add(path) || size < 0) {
          throw new ArchiveFormat.Damaged("a record names an impossible file");
        }
        Path target = into.resolve(path);
        for (Path p = target.getParent(); !p.equals(into); p = p.getParent()) {
          if (!Files.isDirectory(p)) {
            Files.createDirectories(target.getParent(), PRIVATE_DIR);
            break;
          }
        }
        try (FileChannel ch = FileChannel.open(target, java.util.Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
            OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
          byte[] buf = new byte[1 << 16];
          long left = size;
          while (left > 0) {
            int n = plain.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
              throw new ArchiveFormat.Damaged("a file is cut short");
            }
            out.write(buf, 0, n);
            left -= n;
          }
          ch.force(true);
        }
        files++;
      }
      if (plain.read() >= 0) {
        throw new ArchiveFormat.Damaged("data follows the end record");
      }
    } catch (EOFException e) {
      throw new ArchiveFormat.Damaged("the archive ends before its end record");
    }
    fsyncFolders(into);
    return files;
  }

  private static void fsyncFolders(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isDirectory).toList()) {
        AtomicFiles.fsyncDirectory(p);
      }
    }
  }

  /** Tables and rows of the restored {@code state.db}, after SQLite's integrity check. */
  private static long[] stateCounts(Path db) throws IOException {
    if (!Files.exists(db)) {
      return new long[] {0, 0};
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
        Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("PRAGMA integrity_check")) {
        if (!r.next() || !"ok".equals(r.getString(1))) {
          throw new RefusedException("the archive's state.db fails SQLite's integrity check; nothing was restored");
        }
      }
      java.util.List<String> tables = new java.util.ArrayList<>();
      try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
        while (r.next()) {
          tables.add(r.getString(1));
        }
      }
      long rows = 0;
      for (String t : tables) {
        try (ResultSet r = s.executeQuery("SELECT count(*) FROM \"" + t.replace("\"", "\"\"") + "\"")) {
          rows += r.next() ? r.getLong(1) : 0;
        }
      }
      return new long[] {tables.size(), rows};
    } catch (SQLException e) {
      throw new RefusedException("the archive's state.db cannot be read (" + e.getMessage() + "); nothing was restored");
    }
  }

  private static int countServices(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return (int) s.filter(p -> p.getFileName().toString().endsWith(".yaml")).count();
    }
  }
}
