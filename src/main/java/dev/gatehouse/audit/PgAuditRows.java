package dev.gatehouse.audit;

import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the audit log a {@link PgAuditLog} keeps: {@link #export} writes it as the files of
 * docs/audit-format.md (which {@link AuditVerifier} then verifies as it would a home's), and
 * {@link #verify} runs the same verification on the rows themselves. Both read one snapshot
 * (a read-only REPEATABLE READ transaction), so replicas appending meanwhile change nothing
 * they see.
 */
public final class PgAuditRows {
  /** Rows read per round trip, and lines per run handed to the verifier. */
  static final int FETCH = 4096;

  private static final String NO_LOG = "the database holds no audit log yet: it starts when the first replica opens it";

  private PgAuditRows() {}

  /** What an export wrote. */
  public record Exported(long entries, int segments, boolean checkpoint) {}

  /**
   * Writes every entry, the latest checkpoint and the verifier key into {@code dir} (created
   * 0700 if missing; refused unless empty) as {@code segment-NNNNNN.jsonl} (a new one after
   * {@code segmentMaxBytes}), {@code checkpoint} and {@code signing-key.pub}, each line the
   * stored bytes. Files are 0600 and fsynced.
   *
   * @throws IOException if {@code dir} is not empty
   * @throws NotConfiguredException if the database holds no audit log
   */
  public static Exported export(Connection c, Path dir, long segmentMaxBytes) throws IOException, SQLException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          throw new IOException(dir + " is not empty: an export goes into a new or empty folder");
        }
      }
    } else {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    return snapshot(c, () -> {
      PgAuditLog.Head head = PgAuditLog.Head.read(c);
      if (head.verifier() == null) {
        throw new NotConfiguredException(NO_LOG);
      }
      long entries = 0;
      int segments = 0;
      long inSegment = 0;
      FileChannel channel = null;
      OutputStream out = null;
      try (PreparedStatement s = c.prepareStatement("SELECT line FROM audit_entries ORDER BY seq")) {
        s.setFetchSize(FETCH);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            byte[] line = r.getBytes(1);
            if (out == null || inSegment >= segmentMaxBytes) {
              if (out != null) {
                out.flush();
                channel.force(false);
                channel.close();
              }
              segments++;
              channel = FileChannel.open(dir.resolve(FileAuditLog.segmentName(segments)),
                  Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW),
                  PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
              out = new java.io.BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
              inSegment = 0;
            }
            out.write(line);
            out.write('\n');
            inSegment += line.length + 1;
            entries++;
          }
        }
        if (out != null) {
          out.flush();
          channel.force(false);
        }
      } finally {
        if (channel != null) {
          channel.close();
        }
      }
      if (head.checkpointNote() != null) {
        AtomicFiles.write(dir.resolve(FileAuditLog.CHECKPOINT_FILE), head.checkpointNote().getBytes(StandardCharsets.UTF_8));
      }
      AtomicFiles.write(dir.resolve(FileAuditLog.VERIFIER_FILE), (head.verifier() + "\n").getBytes(StandardCharsets.UTF_8));
      return new Exported(entries, segments, head.checkpointNote() != null);
    });
  }

  /**
   * {@link AuditVerifier#verifyAll(String, Checkpoint.Verifier, List, AuditVerifier.Scanner)} on
   * the rows: every line, the chain, the latest checkpoint's signature and root, each of
   * {@code olderNotes}; then that the head row (what replicas append after) is the end of
   * those entries. A problem names the seq and the database row.
   *
   * @throws NotConfiguredException if the database holds no audit log
   */
  public static AuditVerifier.Result verify(Connection c, List<String> olderNotes) throws IOException, SQLException {
    return snapshot(c, () -> verifyRows(c, olderNotes));
  }

  /** {@link #verify} inside the caller's transaction (which sees its own writes): for a move into the database. */
  static AuditVerifier.Result verifyInTransaction(Connection c) throws IOException, SQLException {
    return verifyRows(c, List.of());
  }

  private static AuditVerifier.Result verifyRows(Connection c, List<String> olderNotes) throws IOException, SQLException {
    {
      PgAuditLog.Head head = PgAuditLog.Head.read(c);
      if (head.verifier() == null) {
        throw new NotConfiguredException(NO_LOG);
      }
      Checkpoint.Verifier key = Checkpoint.Verifier.parse(head.verifier());
      AuditVerifier.Result r = AuditVerifier.verifyAll(head.checkpointNote(), key, olderNotes,
          (keepTree, captureSize) -> {
            try (PreparedStatement s = c.prepareStatement("SELECT seq, line FROM audit_entries ORDER BY seq")) {
              s.setFetchSize(FETCH);
              try (ResultSet rows = s.executeQuery()) {
                return AuditVerifier.scan(runs(rows), keepTree, null, captureSize, Long.MAX_VALUE);
              }
            } catch (SQLException e) {
              throw new IOException("cannot read the audit entries: " + e.getMessage(), e);
            }
          });
      if (r.intact() && (r.entries() != head.head().size() || !Arrays.equals(r.root(), head.head().root()))) {
        return new AuditVerifier.Result(r.entries(), r.root(), r.latest(), r.older(), "the audit_head row says "
            + head.head().size() + " entries" + (r.entries() == head.head().size() ? " with another root" : "")
            + " but the entries give " + r.entries() + ": the head was changed, or entries were added or removed");
      }
      return r;
    }
  }

  /** The latest signed checkpoint (its signature verified) and the verifier key; the checkpoint is null when none is yet. */
  public record Latest(Checkpoint checkpoint, String note, Checkpoint.Verifier key) {}

  /**
   * What {@code audit checkpoint} prints for the log in the database.
   *
   * @throws NotConfiguredException if the database holds no audit log
   * @throws IllegalArgumentException if the stored checkpoint is not validly signed by the stored key
   */
  public static Latest latest(Connection c) throws IOException, SQLException {
    return snapshot(c, () -> {
      PgAuditLog.Head head = PgAuditLog.Head.read(c);
      if (head.verifier() == null) {
        throw new NotConfiguredException(NO_LOG);
      }
      Checkpoint.Verifier key = Checkpoint.Verifier.parse(head.verifier());
      String note = head.checkpointNote();
      return new Latest(note == null ? null : Checkpoint.verify(note, key), note, key);
    });
  }

  /** The stored lines from seq {@code from} on, in order, from one snapshot (what {@code audit tail} reads). */
  public static List<byte[]> lines(Connection c, long from) throws IOException, SQLException {
    return snapshot(c, () -> {
      List<byte[]> lines = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT line FROM audit_entries WHERE seq >= ? ORDER BY seq")) {
        s.setFetchSize(FETCH);
        s.setLong(1, from);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            lines.add(r.getBytes(1));
          }
        }
      }
      return lines;
    });
  }

  /**
   * {@link InclusionEvidence#of(String, Checkpoint.Verifier, long, AuditVerifier.Chunks)} for
   * entry {@code seq} of the log in the database, from one snapshot.
   *
   * @throws NotConfiguredException if the database holds no audit log
   */
  public static InclusionEvidence evidence(Connection c, long seq) throws IOException, SQLException {
    return snapshot(c, () -> {
      PgAuditLog.Head head = PgAuditLog.Head.read(c);
      if (head.verifier() == null) {
        throw new NotConfiguredException(NO_LOG);
      }
      try (PreparedStatement s = c.prepareStatement("SELECT seq, line FROM audit_entries ORDER BY seq")) {
        s.setFetchSize(FETCH);
        try (ResultSet rows = s.executeQuery()) {
          return InclusionEvidence.of(head.checkpointNote(), Checkpoint.Verifier.parse(head.verifier()), seq,
              runs(rows));
        }
      }
    });
  }

  /** The rows in runs of up to {@link #FETCH} lines, each line named by its row's seq. */
  private static AuditVerifier.Chunks runs(ResultSet rows) {
    boolean[] more = {true};
    return () -> {
      if (!more[0]) {
        return null;
      }
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      List<Long> keys = new ArrayList<>();
      try {
        while (keys.size() < FETCH && (more[0] = rows.next())) {
          keys.add(rows.getLong(1));
          bytes.write(rows.getBytes(2));
          bytes.write('\n');
        }
      } catch (SQLException e) {
        throw new IOException("cannot read the audit entries: " + e.getMessage(), e);
      }
      if (keys.isEmpty()) {
        return null;
      }
      more[0] = more[0] && keys.size() == FETCH; // a full run may have more after it
      // A line holding a newline of its own is split here and fails as "not a valid entry"
      // at its seq; the run names lines by position, so name them by their row's key only
      // while positions and rows agree.
      return new AuditVerifier.Chunk("database rows from seq " + keys.get(0), bytes.toByteArray(),
          i -> i < keys.size() ? "database row seq " + keys.get(i) : "database rows from seq " + keys.get(0),
          !more[0]);
    };
  }

  interface Read<T> {
    T run() throws IOException, SQLException;
  }

  /** {@code read} in one read-only REPEATABLE READ transaction on {@code c}. */
  static <T> T snapshot(Connection c, Read<T> read) throws IOException, SQLException {
    boolean autoCommit = c.getAutoCommit();
    int isolation = c.getTransactionIsolation();
    c.setAutoCommit(false);
    c.setReadOnly(true);
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try {
      return read.run();
    } finally {
      try {
        c.rollback();
      } finally {
        // Restored: a writer's transaction must stay READ COMMITTED, so that its head read,
        // after the lock, sees the previous holder's commit.
        c.setReadOnly(false);
        c.setTransactionIsolation(isolation);
        c.setAutoCommit(autoCommit);
      }
    }
  }
}
