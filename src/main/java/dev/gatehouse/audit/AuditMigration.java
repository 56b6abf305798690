package dev.gatehouse.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Moves a home's audit log (its segments and latest checkpoint) into an empty database log
 * ({@code gatehouse migrate}): the same lines byte for byte, so the chain, the tree and every
 * signed checkpoint still hold, then verified there.
 */
public final class AuditMigration {
  private static final int BATCH = 1000;

  private AuditMigration() {}

  /** What was moved: entries, and the size of the latest signed checkpoint carried over. */
  public record Moved(long entries, long checkpointSize) {}

  /**
   * For a {@code migrate} run again on a database an earlier run committed to and then stopped
   * (killed, or its connection lost at the commit) before it could change gatehouse.yaml: if
   * the database's log is this home's first N entries, exactly (its Merkle root and last hash,
   * N its size), the entries the home recorded since are appended after them, as a replica
   * would have appended them (they chain from the same last hash), and the whole is verified
   * there, in the caller's transaction, under the audit lock. Empty, and nothing written, if
   * the database's log is not such a prefix (another log, or one that went on without this home).
   */
  public static Optional<Moved> resume(Path dir, Checkpoint.Verifier verifier, Connection c)
      throws IOException, SQLException {
    AuditVerifier.Result checked = AuditVerifier.verify(dir, verifier, null);
    if (!checked.intact()) {
      throw new IOException("the home's audit log does not verify: " + checked.problem());
    }
    if (c.getAutoCommit()) {
      throw new IllegalStateException("the audit log is resumed inside the caller's transaction");
    }
    try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      s.setLong(1, PgAuditLog.AUDIT_LOCK);
      s.execute();
    }
    PgAuditLog.Head there = PgAuditLog.Head.read(c);
    if (!verifier.text().equals(there.verifier())) {
      return Optional.empty();
    }
    List<byte[]> lines = AuditVerifier.scan(dir, false, true, -1).lines();
    long n = there.head().size();
    if (n == 0 || n > lines.size()) {
      return Optional.empty();
    }
    CompactRange prefix = new CompactRange();
    String last = AuditRecord.GENESIS;
    for (byte[] line : lines.subList(0, (int) n)) {
      prefix.append(Rfc6962.leafHash(line));
      last = AuditRecord.hashOf(line);
    }
    if (!Arrays.equals(prefix.root(), there.head().root()) || !last.equals(there.head().lastHash())) {
      return Optional.empty();
    }
    LogHead head = append(c, lines, (int) n);
    String note = Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8);
    Checkpoint latest = Checkpoint.verify(note, verifier);
    if (latest.size() > there.checkpointSize()) {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO audit_checkpoints (size, note, signed_at)"
          + " VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING")) {
        s.setLong(1, latest.size());
        s.setString(2, note);
        s.setLong(3, Instant.now().toEpochMilli());
        s.executeUpdate();
      }
      PgAuditLog.writeHead(c, head, latest.size(),
          Files.getLastModifiedTime(dir.resolve(FileAuditLog.CHECKPOINT_FILE)).toMillis(), note);
    } else {
      PgAuditLog.writeHead(c, head, there.checkpointSize(), there.checkpointAt(), there.checkpointNote());
    }
    AuditVerifier.Result resumed = PgAuditRows.verifyInTransaction(c);
    if (!resumed.intact() || resumed.entries() != checked.entries() || !Arrays.equals(resumed.root(), checked.root())) {
      throw new IOException("the database's log, with this home's later entries after it, does not verify: "
          + (resumed.intact() ? "it is not the home's log" : resumed.problem()));
    }
    return Optional.of(new Moved(lines.size(), Math.max(latest.size(), there.checkpointSize())));
  }

  /**
   * Folds every line of {@code lines} into the head the database's log has after them, and
   * inserts those from index {@code from} on (the ones before are in the database already), in
   * batches; returns that head.
   */
  private static LogHead append(Connection c, List<byte[]> lines, int from) throws SQLException {
    CompactRange range = new CompactRange();
    String prev = AuditRecord.GENESIS;
    VaultWrites vault = VaultWrites.NONE;
    List<byte[]> batch = new ArrayList<>();
    int batchFrom = from;
    for (int i = 0; i < lines.size(); i++) {
      byte[] line = lines.get(i);
      AuditRecord r = AuditRecord.parse(line);
      vault = vault.apply(r.type(), r.outcome(), r.details());
      range.append(Rfc6962.leafHash(line));
      prev = AuditRecord.hashOf(line);
      if (i >= from) {
        batch.add(line);
        if (batch.size() == BATCH || i == lines.size() - 1) {
          PgAuditLog.insert(c, new LogHead.Appended(batchFrom, batch, new LogHead(range, prev, vault)));
          batchFrom += batch.size();
          batch = new ArrayList<>();
        }
      }
    }
    return new LogHead(range, prev, vault);
  }

  /**
   * Copies the log in {@code dir} (verified first with {@code verifier}) into the database on
   * {@code c}, which must hold no audit entry, inside the caller's open transaction (under the
   * audit lock, which it takes), then verifies it on the rows there. Nothing is committed: the
   * caller commits, or rolls back after any failure (an IOException naming the problem).
   */
  public static Moved copy(Path dir, Checkpoint.Verifier verifier, Connection c) throws IOException, SQLException {
    AuditVerifier.Result checked = AuditVerifier.verify(dir, verifier, null);
    if (!checked.intact()) {
      throw new IOException("the home's audit log does not verify, so it is not moved: " + checked.problem());
    }
    List<byte[]> lines = AuditVerifier.scan(dir, false, true, -1).lines();
    String note = Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8);
    Checkpoint latest = Checkpoint.verify(note, verifier);
    if (c.getAutoCommit()) {
      throw new IllegalStateException("the audit log is copied inside the caller's transaction");
    }
    try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      s.setLong(1, PgAuditLog.AUDIT_LOCK);
      s.execute();
    }
    try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT size FROM audit_head WHERE id = 1")) {
      if (!rs.next() || rs.getLong(1) != 0) {
        throw new IOException("the database already holds an audit log; migrate moves a home into an empty one");
      }
    }
    LogHead head = append(c, lines, 0); // what the verified lines give: the head replicas append after
    if (!Arrays.equals(head.root(), checked.root()) || head.size() != checked.entries()) {
      throw new IOException("the moved log's tree differs from the verified one; nothing was moved");
    }
    PgAuditLog.writeHead(c, head, latest.size(), Files.getLastModifiedTime(dir.resolve(FileAuditLog.CHECKPOINT_FILE))
        .toMillis(), note);
    try (PreparedStatement s = c.prepareStatement("INSERT INTO audit_checkpoints (size, note, signed_at)"
        + " VALUES (?, ?, ?)")) {
      s.setLong(1, latest.size());
      s.setString(2, note);
      s.setLong(3, Instant.now().toEpochMilli());
      s.executeUpdate();
    }
    try (PreparedStatement s = c.prepareStatement("UPDATE audit_head SET verifier = ? WHERE id = 1")) {
      s.setString(1, verifier.text());
      s.executeUpdate();
    }
    AuditVerifier.Result moved = PgAuditRows.verifyInTransaction(c);
    if (!moved.intact() || moved.entries() != checked.entries()) {
      throw new IOException("the moved log does not verify in the database: " + moved.problem());
    }
    return new Moved(lines.size(), latest.size());
  }
}
