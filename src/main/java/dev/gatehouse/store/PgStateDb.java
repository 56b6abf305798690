package dev.gatehouse.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The state on a shared PostgreSQL database, for several daemons (DESIGN §13, docs/storage.md).
 *
 * <p>Every {@link #transaction} takes one transaction-scoped advisory lock first, so writers
 * of this state are serialized across all replicas exactly as SQLite's {@code BEGIN IMMEDIATE}
 * serializes them across processes: the stores' read-check-write logic holds on both engines
 * unchanged. {@link #read} is a read-only REPEATABLE READ transaction (one snapshot). State
 * that many callers write at once (replay nonces, TOTP attempts) has tables of its own with
 * row-level locks and does not take this lock ({@link #rowLocked}). A transaction's work must
 * not change its connection's session settings (isolation, read-only, auto-commit): the
 * isolation level is set only when it changes, so one setting a call made would outlive it.
 *
 * <p>One connection per process, as with SQLite. A connection that breaks (the server
 * restarted, the network dropped it) is discarded, the caller gets the failure, and the next
 * transaction connects afresh: the daemon fails closed while the database is away and resumes
 * by itself when it is back. Every connection, the first and each one after, logs in with the
 * password its {@link PgConnector} gives at that moment.
 */
public final class PgStateDb implements StateDb {
  /** The advisory lock key every state writer takes: "gh-state" in ASCII. */
  public static final long STATE_LOCK = 0x67682d7374617465L;
  /** Where Flyway keeps its record of applied migrations in the database. */
  public static final String HISTORY_TABLE = Schema.HISTORY_TABLE;
  static final String LOCATION = "classpath:db/postgresql";
  /** Idle connections kept for {@link #rowLocked}; more are opened while more callers wait on row locks. */
  private static final int ROW_LOCKED_IDLE = 4;
  private static final int UNSET = -1;

  private final PgConnector connector;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, PreparedStatement> prepared = new HashMap<>(); // guarded by lock
  private Connection connection; // guarded by lock; null until needed, or after it broke
  private int isolation = UNSET; // guarded by lock; the level set on connection, UNSET for a new one
  private final ConcurrentLinkedDeque<Connection> rowLockedIdle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  private PgStateDb(PgConnector connector) {
    this.connector = connector;
  }

  /**
   * Connects through {@code connector} (user, password, TLS; see {@code Config.Storage}),
   * brings the schema up to this version's, and refuses a schema newer than this version
   * knows. Every later connection (a reconnect) asks {@code connector} for its properties again.
   */
  public static PgStateDb open(PgConnector connector) throws IOException {
    migrate(connector);
    PgStateDb db = new PgStateDb(connector);
    try {
      db.read(c -> null); // connects now: a wrong password is reported at start, not at the first call
    } catch (SQLException e) {
      throw new IOException("cannot connect to " + connector.url() + ": " + e.getMessage(), e);
    }
    return db;
  }

  /**
   * Applies the pending migrations of {@code db/postgresql}; several replicas may do so at once
   * (Flyway locks). The properties are read once for it; the source's failure is thrown as it is.
   */
  public static void migrate(PgConnector connector) throws IOException {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setURL(connector.url());
    Properties properties = connector.properties();
    try {
      for (String name : properties.stringPropertyNames()) {
        source.setProperty(name, properties.getProperty(name));
      }
      Schema.migrate(Schema.flyway(source, LOCATION), "the database", "another replica runs a newer Gatehouse; "
          + "upgrade this one before it uses that database");
    } catch (SQLException | FlywayException e) {
      throw new IOException("cannot prepare the schema at " + connector.url() + ": " + Schema.rootMessage(e), e);
    } finally {
      properties.remove("password");
      source.setPassword(null);
    }
  }

  @Override
  public String name() {
    return "the shared database " + connector.url();
  }

  @Override
  public <T> T transaction(Work<T> work) throws SQLException {
    return run(false, work);
  }

  @Override
  public <T> T read(Work<T> work) throws SQLException {
    return run(true, work);
  }

  private <T> T run(boolean readOnly, Work<T> work) throws SQLException {
    lock.lock();
    try {
      Connection c = connection();
      try {
        c.setReadOnly(readOnly); // pgjdbc: BEGIN READ ONLY at the first statement, no exchange of its own
        int level = readOnly ? Connection.TRANSACTION_REPEATABLE_READ : Connection.TRANSACTION_READ_COMMITTED;
        if (isolation != level) { // pgjdbc sends a SET for every call, even of the level in force
          isolation = UNSET; // unknown until the SET is answered
          c.setTransactionIsolation(level);
          isolation = level;
        }
        c.setAutoCommit(false);
        if (!readOnly) {
          PreparedStatement l = prepared("SELECT pg_advisory_xact_lock(?)");
          l.setLong(1, STATE_LOCK);
          l.execute();
        }
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        if (e instanceof SQLException s && broken(c, s)) {
          discardConnection();
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code work} in one READ COMMITTED transaction that does not take the state lock:
   * for state whose rows serialize their own writers ({@code SELECT … FOR UPDATE}), so that
   * one replica waiting for a row holds up no other writer. Atomic, and durable once it
   * returns; a failure rolls it back.
   *
   * <p>It runs on a connection of its own, not the one {@link #transaction} and {@link #read}
   * share: callers run in parallel, and a caller may use those two meanwhile (as separate
   * transactions). Use statements of {@code work}'s connection, not {@link #prepared}.
   */
  public <T> T rowLocked(Work<T> work) throws SQLException {
    Connection c = rowLockedIdle.pollFirst();
    while (c != null && !c.isValid(5)) { // an idle connection the server dropped (a restart): not the caller's failure
      closeQuietly(c);
      c = rowLockedIdle.pollFirst();
    }
    if (c == null) {
      if (closed) {
        throw new SQLException("the state database is closed", "08003");
      }
      c = connector.connect();
      try {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      } catch (SQLException e) {
        closeQuietly(c);
        throw e;
      }
    }
    try {
      T result = work.run(c);
      c.commit();
      release(c);
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof SQLException s && broken(c, s)) {
        closeQuietly(c);
      } else {
        release(c);
      }
      throw e;
    }
  }

  private void release(Connection c) {
    if (closed || rowLockedIdle.size() >= ROW_LOCKED_IDLE) {
      closeQuietly(c);
      return;
    }
    rowLockedIdle.offerFirst(c);
    if (closed && rowLockedIdle.remove(c)) { // close() ran meanwhile
      closeQuietly(c);
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // already gone
    }
  }

  /** Whether the failure means the connection is no longer usable: {@link dev.gatehouse.store.PgPool#broken}. */
  private static boolean broken(Connection c, SQLException e) {
    return dev.gatehouse.store.PgPool.broken(c, e);
  }

  @Override
  public PreparedStatement prepared(String sql) throws SQLException {
    if (!lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("a prepared statement is used inside transaction() or read() only");
    }
    PreparedStatement s = prepared.get(sql);
    if (s == null) {
      s = connection().prepareStatement(sql);
      prepared.put(sql, s);
    }
    return s;
  }

  private Connection connection() throws SQLException {
    if (closed) {
      throw new SQLException("the state database is closed", "08003");
    }
    if (connection == null) {
      connection = connector.connect();
    }
    return connection;
  }

  private void discardConnection() {
    prepared.clear();
    isolation = UNSET;
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // already gone
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Connection c; (c = rowLockedIdle.pollFirst()) != null; ) {
      closeQuietly(c);
    }
    lock.lock();
    try {
      discardConnection();
    } finally {
      lock.unlock();
    }
  }
}
