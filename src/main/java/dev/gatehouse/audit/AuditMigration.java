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
    CompactRange range = new CompactRange();
    String prev = AuditRecord.GENESIS;
    VaultWrites vault = VaultWrites.NONE;
    for (int from = 0; from < lines.size(); from += BATCH) {
      List<byte[]> batch = new ArrayList<>(lines.subList(from, Math.min(lines.size(), from + BATCH)));
      for (byte[] line : batch) {
        AuditRecord r = AuditRecord.parse(line);
        vault = vault.apply(r.type(), r.outcome(), r.details());
        range.append(Rfc6962.leafHash(line));
        prev = AuditRecord.hashOf(line);
      }
      PgAuditLog.insert(c, new LogHead.Appended(from, batch, new LogHead(range, prev, vault)));
    }
    LogHead head = new LogHead(range, prev, vault); // what the verified lines give: the head replicas append after
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
