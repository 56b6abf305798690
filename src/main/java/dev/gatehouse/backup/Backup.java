package dev.gatehouse.backup;

import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.store.Home;
import dev.gatehouse.store.HomeLock;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.vault.AesGcm;
import dev.gatehouse.vault.Vault;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code gatehouse backup}: one encrypted archive of a home's state, consistent while the
 * daemon runs (docs/backup.md).
 *
 * <p>Consistency: {@code vault.gh} and the audit log are taken together under the vault's
 * file lock (which every vault write holds, with its ledger records in the log) and the audit
 * writers' lock (which every appended batch and every checkpoint holds): the vault file, the
 * segments' sizes at that moment, the checkpoint and {@code tip.json} are one state. The
 * segments are then copied up to those sizes (they are only ever appended to, so that prefix
 * does not change), so the locks are held only for a few reads. {@code state.db} is copied
 * by SQLite's online backup in one read transaction. Every other file is written by atomic
 * rename, so each is copied whole, as of some moment during the backup.
 */
public final class Backup {
  /** Files of a home that are not state: locks, the pid, SQLite's side files, a crash's temporary files. */
  private static final Set<String> NOT_STATE = Set.of(".lock", ".vault.gh.lock", ".state.db.lock", Names.PID, "state.db-wal",
      "state.db-shm", "state.db-journal", "audit/.lock");
  private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.tmp-.*");

  private Backup() {}

  /** What was written. */
  public record Written(Path file, long bytes, int files, long auditBytes, boolean stateDb) {}

  /** Names this class needs from the composition root, without depending on it. */
  private static final class Names {
    static final String PID = "serve.pid";
    static final String VAULT = "vault.gh";
    static final String AUDIT = "audit";
  }

  /**
   * Writes the archive of {@code home} to {@code target} (a new file, mode 0600, written
   * whole or not at all). {@code vault} must be unsealed: its master key wraps the archive key.
   */
  public static Written write(Home home, Vault vault, Path target, SecureRandom random, Clock clock) throws IOException {
    Path out = target.toAbsolutePath().normalize();
    Path parent = out.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException("cannot write " + target + ": its folder does not exist");
    }
    if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(target + " exists; choose a new file name (a backup never overwrites)");
    }
    if (out.startsWith(home.dir().toAbsolutePath().normalize())) {
      throw new BadInputException("write the backup outside the home (" + home.dir() + ")");
    }
    Path work = Files.createTempDirectory(parent, ".gatehouse-backup-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path temp = null;
    byte[] key = new byte[AesGcm.KEY_BYTES];
    try {
      Locked locked = lockedState(home, vault);
      Path db = home.file(StateDb.FILE);
      Path dbCopy = null;
      if (Files.exists(db)) {
        dbCopy = work.resolve(StateDb.FILE);
        StateDb.snapshot(db, dbCopy);
      }
      random.nextBytes(key);
      temp = Files.createTempFile(parent, "." + out.getFileName() + ".tmp-", "",
          PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
      int files = 0;
      long auditBytes = 0;
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE);
          DataOutputStream raw = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16))) {
        ByteArrayOutputStream prefix = new ByteArrayOutputStream();
        ArchiveFormat.writeHeader(raw, clock.instant().toString(), locked.vault(),
            vault.wrapKey(key, ArchiveFormat.KEY_PURPOSE), prefix);
        byte[] prefixHash = dev.gatehouse.Sha256.of(prefix.toByteArray());
        try (DataOutputStream plain = new DataOutputStream(new ArchiveFormat.SealingStream(raw, key, prefixHash, random))) {
          for (Path f : otherFiles(home.dir())) {
            byte[] content;
            try {
              content = Files.readAllBytes(f);
            } catch (NoSuchFileException gone) {
              continue; // removed meanwhile: not state any more
            }
            record(plain, relative(home.dir(), f), content);
            files++;
          }
          if (dbCopy != null) {
            recordPrefix(plain, StateDb.FILE, dbCopy, Files.size(dbCopy)); // a private copy: streamed, never in memory
            files++;
          }
          for (Map.Entry<String, byte[]> e : locked.auditFiles().entrySet()) {
            record(plain, Names.AUDIT + "/" + e.getKey(), e.getValue());
            files++;
          }
          for (Map.Entry<Path, Long> s : locked.segments().entrySet()) {
            recordPrefix(plain, Names.AUDIT + "/" + s.getKey().getFileName(), s.getKey(), s.getValue());
            auditBytes += s.getValue();
            files++;
          }
          plain.writeByte('E');
        }
        ch.force(true);
      }
      Files.move(temp, out); // a rename; refused (not replaced) if FILE appeared meanwhile
      temp = null;
      AtomicFiles.fsyncDirectory(parent);
      return new Written(out, Files.size(out), files + 1, auditBytes, dbCopy != null); // + vault.gh, in the header
    } catch (FileAlreadyExistsException e) {
      throw new BadInputException(target + " exists; choose a new file name (a backup never overwrites)");
    } finally {
      java.util.Arrays.fill(key, (byte) 0);
      if (temp != null) {
        Files.deleteIfExists(temp);
      }
      deleteTree(work);
    }
  }

  /** What is read under the vault and audit locks. */
  private record Locked(byte[] vault, Map<String, byte[]> auditFiles, Map<Path, Long> segments) {}

  private static Locked lockedState(Home home, Vault vault) throws IOException {
    Path audit = home.file(Names.AUDIT);
    try (HomeLock.Held v = vault.fileLock().acquire();
        HomeLock.Held a = new HomeLock(audit.resolve(".lock")).acquire()) {
      byte[] vaultBytes = Files.readAllBytes(home.file(Names.VAULT));
      Map<String, byte[]> auditFiles = new LinkedHashMap<>();
      for (String name : List.of(FileAuditLog.VERIFIER_FILE, FileAuditLog.CHECKPOINT_FILE, "tip.json")) {
        Path f = audit.resolve(name);
        if (Files.exists(f)) {
          auditFiles.put(name, Files.readAllBytes(f));
        }
      }
      Map<Path, Long> segments = new LinkedHashMap<>();
      for (Path s : FileAuditLog.segments(audit)) {
        segments.put(s, Files.size(s));
      }
      return new Locked(vaultBytes, auditFiles, segments);
    }
  }

  /** Every regular file of the home that is state and not taken under the locks, in a stable order. */
  private static List<Path> otherFiles(Path dir) throws IOException {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted().toList()) {
        String rel = relative(dir, p);
        String name = p.getFileName().toString();
        if (p.equals(dir) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || NOT_STATE.contains(rel)
            || TEMPORARY.matcher(name).matches() || rel.equals(Names.VAULT) || rel.equals(StateDb.FILE)
            || lockedAuditFile(rel)) {
          continue;
        }
        found.add(p);
      }
    }
    return found;
  }

  private static boolean lockedAuditFile(String rel) {
    return rel.equals("audit/" + FileAuditLog.VERIFIER_FILE) || rel.equals("audit/" + FileAuditLog.CHECKPOINT_FILE)
        || rel.equals("audit/tip.json") || rel.matches("audit/segment-[0-9]{6}\\.jsonl");
  }

  private static String relative(Path dir, Path p) {
    return dir.relativize(p).toString();
  }

  private static void record(DataOutputStream plain, String path, byte[] content) throws IOException {
    header(plain, path, content.length);
    plain.write(content);
  }

  private static void recordPrefix(DataOutputStream plain, String path, Path file, long size) throws IOException {
    header(plain, path, size);
    try (InputStream in = Files.newInputStream(file)) {
      long copied = copy(in, plain, size);
      if (copied != size) {
        throw new IOException(file + " shrank while it was copied (an append-only file)");
      }
    }
  }

  private static void header(DataOutputStream plain, String path, long size) throws IOException {
    byte[] name = path.getBytes(StandardCharsets.UTF_8);
    plain.writeByte('F');
    plain.writeShort(name.length);
    plain.write(name);
    plain.writeLong(size);
  }

  private static long copy(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buf = new byte[1 << 16];
    long done = 0;
    while (done < limit) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, limit - done));
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
      done += n;
    }
    return done;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
