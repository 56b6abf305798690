package dev.gatehouse.audit;

import dev.gatehouse.error.RefusedException;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.store.GroupCommit;
import dev.gatehouse.store.PgConnector;
import dev.gatehouse.store.PgStateDb;
import java.io.IOException;
import java.security.PrivateKey;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The audit log of several replicas in one PostgreSQL database: one global sequence, one hash
 * chain and one Merkle tree, in the format of docs/audit-format.md, line for line (the lines
 * are built by the same {@link LogHead} as {@link FileAuditLog}'s).
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #record} returns only once its entry is committed; if it cannot be, it throws
 *       {@link RefusedException} and the caller refuses its action. A seq is never returned for
 *       an entry that is not committed. (A commit whose answer is lost, the connection dropping
 *       after the server committed, is reported as a failure: the entry is then on record for
 *       an action that was refused, never the other way round.)
 *   <li>Each replica has one writer thread ({@link GroupCommit}); each batch is ONE
 *       transaction that takes the transaction-scoped advisory lock {@link #AUDIT_LOCK},
 *       reads the head row, inserts the batch's lines after it, updates the head, and signs
 *       and stores a checkpoint when one is due: so appends of every replica are serialized,
 *       the sequence has no gap, and a checkpoint is signed by whichever replica holds the lock,
 *       over entries any replica appended. A failure rolls the whole batch back and fails
 *       each of its callers; a broken connection is replaced at the next batch, so appends
 *       resume by themselves when the database is back.
 *   <li>{@link #recordEventually} entries are committed with a later batch; nobody waits.
 *   <li>A checkpoint is due every {@code checkpointEveryEntries} entries, or at the first batch
 *       {@code checkpointEvery} after the last one (by the signing replica's clock), at the
 *       first batch ever, and on {@link #close}.
 *   <li>Every replica must sign with the same key (the shared vault's): the first one to open
 *       the log records its verifier key in the head row, and any other key is refused.
 *   <li>Secrets are redacted ({@link Redactor}) before an entry is built.
 * </ul>
 */
public final class PgAuditLog implements HeldAuditLog {
  /** The advisory lock every audit append takes: "gh-audit" in ASCII. */
  public static final long AUDIT_LOCK = 0x67682d6175646974L;
  /** The longest a batch waits for another replica's batch to release the lock before it fails. */
  static final Duration LOCK_TIMEOUT = Duration.ofSeconds(15);

  private final PgConnector connector;
  private final Clock clock;
  private final Appends appends; // redacts, then queues
  private final Checkpoint.Verifier verifier;
  private final PrivateKey signingKey;
  private final FileAuditLog.Settings settings;
  private final Metrics metrics;
  private final Duration lockTimeout;
  private final GroupCommit<AuditEvent> commits;
  private final ReentrantLock lock = new ReentrantLock();
  private Connection connection; // guarded by lock; null until needed, or after it broke
  private volatile boolean closed;
  private volatile Consumer<String> checkpointListener = note -> { };

  private PgAuditLog(PgConnector connector, Clock clock, Redactor redactor, Checkpoint.Verifier verifier,
      PrivateKey signingKey, FileAuditLog.Settings settings, Metrics metrics, Duration lockTimeout) {
    this.lockTimeout = lockTimeout;
    this.connector = connector;
    this.clock = clock;
    this.verifier = verifier;
    this.signingKey = signingKey;
    this.settings = settings;
    this.metrics = metrics;
    this.commits = new GroupCommit<>("gatehouse-audit-pg-writer", FileAuditLog.MAX_BATCH_ENTRIES, this::writeBatch);
    this.appends = new Appends(commits, redactor, metrics);
  }

  /**
   * Connects through {@code connector} (user, password, TLS, asked for again at every later
   * connection), brings the schema up to date, and checks that the log there is signed with {@code verifier}'s key (or
   * claims it for that key when nothing has been appended yet).
   *
   * @throws IOException if the database cannot be reached or its log has another key
   */
  public static PgAuditLog open(PgConnector connector, Clock clock, Redactor redactor,
      Checkpoint.Verifier verifier, PrivateKey signingKey, FileAuditLog.Settings settings, Metrics metrics)
      throws IOException {
    return open(connector, clock, redactor, verifier, signingKey, settings, metrics, LOCK_TIMEOUT);
  }

  /** {@link #open} with another bound on waiting for, and idling while holding, the lock (for tests). */
  static PgAuditLog open(PgConnector connector, Clock clock, Redactor redactor,
      Checkpoint.Verifier verifier, PrivateKey signingKey, FileAuditLog.Settings settings, Metrics metrics,
      Duration lockTimeout) throws IOException {
    PgStateDb.open(connector).close(); // applies the migrations (Flyway), the audit tables among them
    PgAuditLog log = new PgAuditLog(connector, clock, redactor, verifier, signingKey, settings, metrics,
        lockTimeout);
    try {
      log.locked(c -> {
        Head h = Head.read(c);
        if (h.verifier() == null) {
          try (PreparedStatement s = c.prepareStatement("UPDATE audit_head SET verifier = ? WHERE id = 1")) {
            s.setString(1, verifier.text());
            s.executeUpdate();
          }
        } else {
          log.checkKey(h);
        }
        return null;
      });
    } catch (SQLException e) {
      log.close();
      throw new IOException("cannot open the audit log at " + connector.url() + ": " + e.getMessage(), e);
    } catch (RefusedException e) {
      log.close();
      throw new IOException(e.getMessage(), e);
    }
    return log;
  }

  @Override
  public long record(AuditEvent event) {
    return appends.durable(event);
  }

  @Override
  public void recordEventually(AuditEvent event) {
    appends.eventually(event);
  }

  @Override
  public void recordVaultWrite(String actor, String outcome, Map<String, String> details, boolean sign) {
    appends.vaultWrite(actor, outcome, details);
    if (sign) {
      checkpoint();
    }
  }

  /** From the head row, which every replica's batch keeps up to date in the same transaction as its entries. */
  @Override
  public VaultWrites vaultWrites() {
    try {
      return locked(c -> Head.read(c).head().vault());
    } catch (SQLException | RuntimeException e) {
      throw new RefusedException("the audit log in the database cannot be read (" + describe(e)
          + "); refusing to use the vault, to fail closed", e);
    }
  }

  /**
   * From now on, hands every checkpoint this replica signs (the note as stored) to
   * {@code listener} (the witness), after its transaction committed. It must only queue the
   * note; whatever it throws is ignored.
   */
  @Override
  public void onCheckpoint(Consumer<String> listener) {
    this.checkpointListener = Objects.requireNonNull(listener);
  }

  /** Signs a checkpoint now if anything was appended (by any replica) since the latest. */
  @Override
  public void checkpoint() {
    String note;
    try {
      note = locked(c -> {
        Head h = Head.read(c);
        checkKey(h);
        if (h.head().size() == h.checkpointSize() && h.checkpointNote() != null) {
          return null;
        }
        return signInto(c, h.head(), clock.instant());
      });
    } catch (SQLException | RuntimeException e) {
      throw unavailable(e);
    }
    witness(note);
  }

  /** The log's size now, all replicas' entries counted. */
  @Override
  public long size() {
    try {
      return locked(c -> Head.read(c).head().size());
    } catch (SQLException | RuntimeException e) {
      throw unavailable(e);
    }
  }

  /** The latest signed checkpoint as stored (a signed note), or null when none is yet. */
  public String latestCheckpoint() {
    try {
      return locked(c -> Head.read(c).checkpointNote());
    } catch (SQLException | RuntimeException e) {
      throw unavailable(e);
    }
  }

  /**
   * For the daemon: the evidence for entry {@code seq}, signing a checkpoint first when the
   * latest does not cover it, so the result is against a signed checkpoint whenever the entry
   * exists ({@link InclusionEvidence#signed} for the files).
   *
   * @throws RefusedException if the database cannot be read, or the log is not intact
   */
  @Override
  public InclusionEvidence evidence(long seq) throws IOException {
    String note = latestCheckpoint();
    boolean covered;
    try {
      covered = note != null && seq < Checkpoint.verify(note, verifier).size();
    } catch (IllegalArgumentException e) {
      covered = true; // a checkpoint that does not verify: the evidence is refused, naming what is wrong
    }
    if (seq >= 0 && !covered) {
      checkpoint(); // a no-op when nothing was appended since the last one
    }
    lock.lock();
    Connection c = null;
    try {
      c = connection();
      return PgAuditRows.evidence(c, seq);
    } catch (SQLException e) {
      if (c != null && broken(c, e)) {
        discardConnection();
      }
      throw new RefusedException("the audit log in the database cannot be read (" + describe(e) + ")", e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Commits what is queued, then signs a final checkpoint if the database is there (if it is
   * not, the entries are committed already and the next replica's checkpoint covers them),
   * and closes the connection.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    commits.drain();
    try {
      checkpoint();
    } catch (RuntimeException e) {
      // nothing is lost: every entry acknowledged is committed, and a later checkpoint signs it
    }
    commits.stop();
    closed = true;
    lock.lock();
    try {
      discardConnection();
    } finally {
      lock.unlock();
    }
  }

  /**
   * One batch, one transaction: its callers get their seqs only once it committed. Entries
   * queued while the batch waited for the lock join it (up to the batch size), so replicas
   * that take turns at the lock write larger batches rather than more of them.
   */
  private void writeBatch(List<GroupCommit.Ticket<AuditEvent>> batch) {
    long began = System.nanoTime();
    List<GroupCommit.Ticket<AuditEvent>> all = new ArrayList<>(batch);
    Written written = null;
    RuntimeException failure = null;
    try {
      written = locked(c -> {
        Head h = Head.read(c);
        checkKey(h);
        all.addAll(commits.takeQueued(FileAuditLog.MAX_BATCH_ENTRIES - all.size()));
        List<AuditEvent> events = new ArrayList<>(all.size());
        all.forEach(t -> events.add(t.item()));
        Instant now = clock.instant();
        LogHead.Appended a = h.head().append(events, now);
        insert(c, a);
        LogHead next = a.head();
        boolean due = h.checkpointAt() < 0
            || next.size() - h.checkpointSize() >= settings.checkpointEveryEntries()
            || Duration.between(Instant.ofEpochMilli(h.checkpointAt()), now).compareTo(settings.checkpointEvery()) >= 0;
        if (due) {
          return new Written(a.from(), signInto(c, next, now)); // writes the head too
        }
        writeHead(c, next, h.checkpointSize(), h.checkpointAt(), h.checkpointNote());
        return new Written(a.from(), null);
      });
    } catch (SQLException | RuntimeException e) {
      failure = unavailable(e);
    } finally {
      for (int i = 0; i < all.size(); i++) { // a seq only once committed; any other end fails every caller
        all.get(i).finish(written != null ? written.from() + i : -1, written != null ? null
            : failure != null ? failure : new RefusedException("the audit writer stopped; refusing, to fail closed"));
      }
    }
    if (written != null) {
      metrics.auditBatch(all.size(), System.nanoTime() - began);
      witness(written.note());
    }
  }

  /** A committed batch: its first seq, and the checkpoint signed with it (null if none). */
  private record Written(long from, String note) {}

  static void insert(Connection c, LogHead.Appended a) throws SQLException {
    Long[] seqs = new Long[a.lines().size()];
    for (int i = 0; i < seqs.length; i++) {
      seqs[i] = a.from() + i;
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO audit_entries (seq, line) SELECT * FROM unnest(?::bigint[], ?::bytea[])")) {
      Array seqArray = c.createArrayOf("bigint", seqs);
      Array lineArray = c.createArrayOf("bytea", a.lines().toArray(new byte[0][]));
      s.setArray(1, seqArray);
      s.setArray(2, lineArray);
      int n = s.executeUpdate();
      if (n != seqs.length) {
        throw new SQLException("inserted " + n + " of " + seqs.length + " audit entries");
      }
    }
  }

  /** Signs {@code head} as a checkpoint and stores it with the head, in the caller's transaction; the note. */
  private String signInto(Connection c, LogHead head, Instant now) throws SQLException {
    String note = new Checkpoint(verifier.name(), head.size(), head.root(), head.vault().extensions())
        .sign(verifier, signingKey);
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO audit_checkpoints (size, note, signed_at) VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING")) {
      s.setLong(1, head.size());
      s.setString(2, note);
      s.setLong(3, now.toEpochMilli());
      s.executeUpdate();
    }
    writeHead(c, head, head.size(), now.toEpochMilli(), note);
    return note;
  }

  static void writeHead(Connection c, LogHead head, long checkpointSize, long checkpointAt, String note)
      throws SQLException {
    byte[] peaks = new byte[Rfc6962.HASH_BYTES * Long.bitCount(head.size())];
    List<byte[]> p = head.range().peaks();
    for (int i = 0; i < p.size(); i++) {
      System.arraycopy(p.get(i), 0, peaks, i * Rfc6962.HASH_BYTES, Rfc6962.HASH_BYTES);
    }
    try (PreparedStatement s = c.prepareStatement("UPDATE audit_head SET size = ?, last_hash = ?, peaks = ?, vault = ?,"
        + " checkpoint_size = ?, checkpoint_at = ?, checkpoint_note = ? WHERE id = 1")) {
      s.setLong(1, head.size());
      s.setString(2, head.lastHash());
      s.setBytes(3, peaks);
      s.setString(4, String.join("\n", head.vault().extensions()));
      s.setLong(5, checkpointSize);
      if (checkpointAt < 0) {
        s.setNull(6, java.sql.Types.BIGINT);
      } else {
        s.setLong(6, checkpointAt);
      }
      s.setString(7, note);
      s.executeUpdate();
    }
  }

  private void checkKey(Head h) {
    if (h.verifier() != null && !h.verifier().equals(verifier.text())) {
      throw new RefusedException("the audit log in the database is signed with the key " + h.verifier()
          + ", not this replica's " + verifier.text() + ": every replica must use the same vault's audit keys");
    }
  }

  private void witness(String note) {
    if (note != null) {
      try {
        checkpointListener.accept(note);
      } catch (RuntimeException e) {
        // the witness's own failure, which it records itself; never the log's
      }
    }
  }

  private static RefusedException unavailable(Exception e) {
    if (e instanceof RefusedException r) {
      return r;
    }
    return new RefusedException("the audit log in the database cannot be written (" + describe(e)
        + "); refusing, to fail closed", e);
  }

  private static String describe(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  // ---- the connection ---------------------------------------------------------------------

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * {@code work} in one transaction holding {@link #AUDIT_LOCK}; a broken connection is dropped
   * for the next. A kept connection found broken at the transaction's first statement (the
   * server restarted since) is replaced and the transaction started once more: nothing of it
   * can have been committed, since it had not begun.
   */
  private <T> T locked(Work<T> work) throws SQLException {
    lock.lock();
    try {
      boolean fresh = connection == null;
      Connection c = connection();
      try {
        lockAudit(c);
      } catch (SQLException e) {
        if (fresh || !broken(c, e)) {
          throw failed(c, e);
        }
        discardConnection();
        c = connection();
        try {
          lockAudit(c);
        } catch (SQLException again) {
          throw failed(c, again);
        }
      }
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException e) {
        throw failed(c, e);
      } catch (RuntimeException e) {
        rollback(c, e);
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private static void lockAudit(Connection c) throws SQLException {
    try (PreparedStatement l = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      l.setLong(1, AUDIT_LOCK);
      l.execute();
    }
  }

  /** Rolls back after {@code e}, dropping the connection if {@code e} broke it; {@code e}. Holds lock. */
  private SQLException failed(Connection c, SQLException e) {
    rollback(c, e);
    if (broken(c, e)) {
      discardConnection();
    }
    return e;
  }

  private static void rollback(Connection c, Exception e) {
    try {
      c.rollback();
    } catch (SQLException suppressed) {
      e.addSuppressed(suppressed);
    }
  }

  /** Whether the failure means the connection is no longer usable: {@link dev.gatehouse.store.PgPool#broken}. */
  private static boolean broken(Connection c, SQLException e) {
    return dev.gatehouse.store.PgPool.broken(c, e);
  }

  private Connection connection() throws SQLException {
    if (closed) {
      throw new SQLException("the audit log is closed", "08003");
    }
    if (connection == null) {
      Connection c = connector.connect();
      try (Statement s = c.createStatement()) {
        // A replica that stops mid-transaction (a pause, a cut network) must not hold every
        // other replica's appends for long: its transaction is ended by the server, and a
        // batch waiting for the lock fails (fail closed) rather than waits without end.
        s.execute("SET lock_timeout = '" + lockTimeout.toMillis() + "ms'");
        s.execute("SET idle_in_transaction_session_timeout = '" + lockTimeout.toMillis() + "ms'");
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      connection = c;
    }
    return connection;
  }

  private void discardConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // already gone
      }
      connection = null;
    }
  }

  // ---- the head row -------------------------------------------------------------------------

  /**
   * The head row: the log's end, its key, and the latest checkpoint (size, epoch ms or -1, note
   * or null). Read only after {@link #AUDIT_LOCK} is held, by a statement of its own: under READ
   * COMMITTED a statement sees what was committed before it began, so this one sees the
   * previous holder's commit (a read in the lock's own statement could miss it).
   */
  record Head(LogHead head, String verifier, long checkpointSize, long checkpointAt, String checkpointNote) {
    static Head read(Connection c) throws SQLException {
      try (PreparedStatement s = c.prepareStatement("SELECT size, last_hash, peaks, vault, verifier, checkpoint_size,"
          + " checkpoint_at, checkpoint_note FROM audit_head WHERE id = 1");
          ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new SQLException("the audit_head row is missing: the audit tables were damaged");
        }
        long size = r.getLong(1);
        byte[] peaks = r.getBytes(3);
        if (peaks.length != Rfc6962.HASH_BYTES * Long.bitCount(size)) {
          throw new SQLException("the audit_head row is damaged (its peaks do not fit its size " + size + ")");
        }
        List<byte[]> list = new ArrayList<>();
        for (int i = 0; i < peaks.length; i += Rfc6962.HASH_BYTES) {
          list.add(Arrays.copyOfRange(peaks, i, i + Rfc6962.HASH_BYTES));
        }
        String vault = r.getString(4);
        LogHead head = new LogHead(new CompactRange(size, list), r.getString(2),
            VaultWrites.fromExtensions(vault.isEmpty() ? List.of() : List.of(vault.split("\n"))));
        long at = r.getLong(7);
        boolean neverSigned = r.wasNull();
        return new Head(head, r.getString(5), r.getLong(6), neverSigned ? -1 : at, r.getString(8));
      }
    }
  }
}
