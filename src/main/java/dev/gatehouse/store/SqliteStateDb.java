package dev.gatehouse.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code state.db}: the SQLite database for state that changes (agent usage, pairing, trust, approvals, owner-plane accounts and sessions). Created 0600 before SQLite touches it (its journal files copy that mode);
 * WAL journal, so a killed process loses nothing it committed. Several processes may open
 * it; SQLite serializes their writes (each waits up to 5 s for a lock).
 *
 * <p>The schema is versioned with {@code PRAGMA user_version}; {@link #MIGRATIONS} are
 * applied in order, each in one transaction, and never edited once released.
 */
public final class SqliteStateDb implements StateDb {

  /** Migration i brings the schema from version i to i + 1. */
  static final List<String[]> MIGRATIONS = List.<String[]>of(
      new String[] {
          "CREATE TABLE nonces (keyid TEXT NOT NULL, nonce TEXT NOT NULL, seen_at INTEGER NOT NULL,"
              + " PRIMARY KEY (keyid, nonce)) WITHOUT ROWID",
          "CREATE INDEX nonces_seen_at ON nonces (seen_at)",
          "CREATE TABLE agent_usage (name TEXT PRIMARY KEY, last_used INTEGER NOT NULL)"},
      new String[] {
          "CREATE TABLE approvals (id TEXT PRIMARY KEY, argv TEXT NOT NULL, argv_sha256 TEXT NOT NULL,"
              + " requester TEXT NOT NULL, requested_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
              + " approved_at INTEGER, approved_by TEXT, used_at INTEGER)"},
      new String[] {
          // Nonces become an append-only log (rows in time order, an index that only grows at
          // its end): the daemon checks them in memory and only appends here, where random
          // inserts into a key-ordered table cost a page write and often a page read per call.
          "CREATE TABLE nonce_log (seen_at INTEGER NOT NULL, keyid TEXT NOT NULL, nonce TEXT NOT NULL)",
          "CREATE INDEX nonce_log_seen_at ON nonce_log (seen_at)",
          "INSERT INTO nonce_log (seen_at, keyid, nonce) SELECT seen_at, keyid, nonce FROM nonces ORDER BY seen_at",
          "DROP TABLE nonces"},
      new String[] {
          // Chat pairing (chat.PairingStore). At most one pending code per (channel, sender): the
          // unique key makes a second one impossible even if two writers raced past the check.
          "CREATE TABLE pairing_pending (code TEXT PRIMARY KEY, channel TEXT NOT NULL, sender TEXT NOT NULL,"
              + " sender_name TEXT, ref TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
              + " UNIQUE (channel, sender))",
          "CREATE INDEX pairing_pending_channel ON pairing_pending (channel, expires_at)",
          "CREATE INDEX pairing_pending_expires ON pairing_pending (expires_at)",
          "CREATE TABLE pairing_allowed (channel TEXT NOT NULL, sender TEXT NOT NULL, sender_name TEXT,"
              + " approved_at INTEGER NOT NULL, approved_by TEXT NOT NULL, PRIMARY KEY (channel, sender)) WITHOUT ROWID",
          // When codes were issued, for the per-sender rate limit; rows older than its window are deleted.
          "CREATE TABLE pairing_issued (channel TEXT NOT NULL, sender TEXT NOT NULL, issued_at INTEGER NOT NULL)",
          "CREATE INDEX pairing_issued_sender ON pairing_issued (channel, sender, issued_at)",
          "CREATE INDEX pairing_issued_at ON pairing_issued (issued_at)"},
      new String[] {
          // Trust levels (trust.TrustStore): the level of each domain, and every change with who
          // and why. No row for a domain means trust was never set up in this home (see TrustStore).
          "CREATE TABLE trust_levels (domain TEXT PRIMARY KEY, level INTEGER NOT NULL, changed_at INTEGER NOT NULL)"
              + " WITHOUT ROWID",
          "CREATE TABLE trust_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, domain TEXT NOT NULL,"
              + " from_level INTEGER NOT NULL, to_level INTEGER NOT NULL, who TEXT NOT NULL, reason TEXT NOT NULL,"
              + " rollback_of INTEGER)",
          // Evidence against agents (policy refusals, owner denials), for demotion; rows older than
          // the demotion window may be deleted.
          "CREATE TABLE trust_evidence (at INTEGER NOT NULL, domain TEXT NOT NULL, agent TEXT NOT NULL,"
              + " kind TEXT NOT NULL)",
          "CREATE INDEX trust_evidence_domain ON trust_evidence (domain, at)",
          // Approvals of single broker requests (trust.ActionApprovalsStore): status is pending,
          // approved, denied or used; expiry is read from expires_at, never stored as a status.
          "CREATE TABLE action_approvals (id TEXT PRIMARY KEY, agent TEXT NOT NULL, action TEXT NOT NULL,"
              + " domain TEXT NOT NULL, request_sha256 TEXT NOT NULL, summary TEXT NOT NULL,"
              + " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL,"
              + " decided_at INTEGER, decided_by TEXT, reason TEXT, used_at INTEGER) WITHOUT ROWID",
          "CREATE INDEX action_approvals_request ON action_approvals (agent, request_sha256, status)",
          "CREATE INDEX action_approvals_status ON action_approvals (status, expires_at)"},
      new String[] {
          // Owner-plane accounts (owner.OwnerAccounts). password_hash is a self-describing Argon2id
          // string (PHC format: parameters, salt, hash); never the password.
          "CREATE TABLE owner_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
              + " created_at INTEGER NOT NULL, password_changed_at INTEGER NOT NULL) WITHOUT ROWID",
          // One row per login; ended_at set when it ends (logout, refresh reuse, expiry, password
          // change, removal), after which none of its tokens is accepted.
          "CREATE TABLE owner_sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, started_at INTEGER NOT NULL,"
              + " last_seen_at INTEGER NOT NULL, reauth_at INTEGER NOT NULL, csrf_token TEXT NOT NULL,"
              + " ended_at INTEGER, end_reason TEXT) WITHOUT ROWID",
          "CREATE INDEX owner_sessions_user ON owner_sessions (user, ended_at)",
          // Tokens by the SHA-256 of their text only; the session is the refresh family.
          "CREATE TABLE owner_tokens (token_sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, session TEXT NOT NULL,"
              + " issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, spent_at INTEGER) WITHOUT ROWID",
          "CREATE INDEX owner_tokens_session ON owner_tokens (session)",
          "CREATE INDEX owner_tokens_expires ON owner_tokens (expires_at)",
          // Each user's TOTP replay and lockout state (otp.AttemptState); no row: nothing yet.
          "CREATE TABLE owner_totp_attempts (user TEXT PRIMARY KEY, last_step INTEGER, failures INTEGER NOT NULL,"
              + " locked_until INTEGER) WITHOUT ROWID"});

  private final Connection connection;
  private final String url;
  private final ReentrantLock lock = new ReentrantLock();
  /** Statements prepared once per connection (guarded by lock): BEGIN, COMMIT and the hot inserts. */
  private final Map<String, PreparedStatement> prepared = new HashMap<>();
  private Thread checkpointer; // guarded by lock
  private volatile boolean closed;

  private SqliteStateDb(Connection connection, String url) {
    this.connection = connection;
    this.url = url;
  }

  public static SqliteStateDb open(Path file) throws IOException {
    if (!Files.exists(file)) {
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another process made it first
      }
    }
    try {
      String url = "jdbc:sqlite:" + file.toAbsolutePath();
      Connection c = DriverManager.getConnection(url, connectionProperties());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = NORMAL");
      }
      SqliteStateDb db = new SqliteStateDb(c, url);
      db.migrate();
      return db;
    } catch (SQLException e) {
      throw new IOException(file + " cannot be opened as a SQLite database: " + e.getMessage(), e);
    }
  }

  private void migrate() throws SQLException {
    transaction(c -> {
      int version;
      try (Statement s = c.createStatement(); var rs = s.executeQuery("PRAGMA user_version")) {
        version = rs.getInt(1);
      }
      if (version > MIGRATIONS.size()) {
        throw new SQLException("its schema version " + version + " is newer than this Gatehouse knows ("
            + MIGRATIONS.size() + "); use a newer Gatehouse");
      }
      for (int v = version; v < MIGRATIONS.size(); v++) {
        try (Statement s = c.createStatement()) {
          for (String sql : MIGRATIONS.get(v)) {
            s.execute(sql);
          }
          s.execute("PRAGMA user_version = " + (v + 1));
        }
      }
      return null;
    });
  }

  /**
   * The driver's settings: no generated-keys query after every insert (nothing here reads
   * them, and the driver would run a second statement per row to fetch them).
   */
  /**
   * Copies the database {@code file} to {@code dest} (a new file) with SQLite's online backup,
   * on a connection of its own, while other connections and processes keep writing. All pages
   * are copied in one step, inside one read transaction: the copy is the database as one
   * commit left it (in WAL mode, writers are not held up meanwhile), never a mix of two.
   */
  public static void snapshot(Path file, Path dest) throws IOException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), connectionProperties())) {
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
      }
      // pagesPerStep -1: one step, one snapshot (a smaller step restarts whenever another connection writes)
      int rc = c.unwrap(org.sqlite.SQLiteConnection.class).getDatabase()
          .backup("main", dest.toAbsolutePath().toString(), null, 100, 50, -1);
      if (rc != 0) {
        throw new IOException(file + " could not be copied (SQLite backup error " + rc + ")");
      }
    } catch (SQLException e) {
      throw new IOException(file + " could not be copied: " + e.getMessage(), e);
    }
  }

  private static Properties connectionProperties() {
    org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
    config.setGetGeneratedKeys(false);
    return config.toProperties();
  }

  /** Runs {@code work} in one immediate transaction (the write lock taken up front). */
  @Override
  public <T> T transaction(Work<T> work) throws SQLException {
    return run("BEGIN IMMEDIATE", work);
  }

  /**
   * Runs {@code work}, which only reads, in one deferred transaction: it sees one consistent
   * snapshot and, the journal being WAL, never waits for another process's writer (only for
   * this connection's other users). A write inside it may fail with SQLITE_BUSY: use
   * {@link #transaction} for anything that writes.
   */
  @Override
  public <T> T read(Work<T> work) throws SQLException {
    return run("BEGIN DEFERRED", work);
  }

  private <T> T run(String begin, Work<T> work) throws SQLException {
    lock.lock();
    try {
      prepared(begin).execute();
      try {
        T result = work.run(connection);
        prepared("COMMIT").execute();
        return result;
      } catch (SQLException | RuntimeException e) {
        forgetPrepared(); // the driver may have finalized the one that failed; prepare afresh next time
        try (Statement s = connection.createStatement()) {
          s.execute("ROLLBACK");
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@code sql} prepared once on this connection, for use inside {@link #transaction} only
   * (the statement is shared: set every parameter, and do not close it).
   */
  @Override
  public PreparedStatement prepared(String sql) throws SQLException {
    if (!lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("a prepared statement is used inside transaction() only");
    }
    PreparedStatement s = prepared.get(sql);
    if (s == null) {
      s = connection.prepareStatement(sql);
      prepared.put(sql, s);
    }
    return s;
  }

  /**
   * For the daemon: copies the write-ahead log into the database from a second connection
   * every {@code every} (a PASSIVE checkpoint, which never blocks a writer), instead of in
   * the commit that crosses SQLite's threshold — a checkpoint fsyncs, and that commit's
   * callers would wait for it. SQLite's own checkpoint stays as a backstop at 10,000 pages.
   */
  @Override
  public void checkpointInBackground(Duration every) throws SQLException {
    lock.lock();
    try {
      if (checkpointer != null || closed) {
        return;
      }
      try (Statement s = connection.createStatement()) {
        s.execute("PRAGMA wal_autocheckpoint = 10000");
      }
      Connection second = DriverManager.getConnection(url);
      try (Statement s = second.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
      }
      checkpointer = Thread.ofPlatform().daemon().name("state-db-checkpoint").start(() -> {
        try (second) {
          while (!closed) {
            Thread.sleep(every);
            try (Statement s = second.createStatement()) {
              s.execute("PRAGMA wal_checkpoint(PASSIVE)");
            } catch (SQLException e) {
              // tried again next time; the backstop checkpoint keeps the log bounded
            }
          }
        } catch (InterruptedException | SQLException e) {
          // closing
        }
      });
    } finally {
      lock.unlock();
    }
  }

  private void forgetPrepared() {
    for (PreparedStatement s : prepared.values()) {
      try {
        s.close();
      } catch (SQLException ignored) {
        // already finalized by the driver
      }
    }
    prepared.clear();
  }

  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      if (checkpointer != null) {
        checkpointer.interrupt();
      }
      forgetPrepared();
      connection.close();
    } catch (SQLException ignored) {
      // closing: nothing left to protect
    } finally {
      lock.unlock();
    }
  }
}
