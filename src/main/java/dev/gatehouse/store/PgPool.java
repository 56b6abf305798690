package dev.gatehouse.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A fixed number of connections to one PostgreSQL database, shared by the threads of one
 * daemon (docs/storage.md).
 *
 * <p>Guarantees:
 * <ul>
 *   <li>At most {@link #size} connections are open at once, each lent to one caller at a time.
 *       They are opened when first needed, so a pool is made without touching the server.
 *   <li>{@link #borrow} waits at most the borrow timeout for a free connection, then fails
 *       with SQL state {@value #NO_CONNECTION} ("unable to establish connection"), which a
 *       caller treats as the database being away.
 *   <li>A connection comes out of the pool in autocommit mode, with no transaction open and
 *       not read-only: whatever a lease left open is rolled back when it is given back.
 *   <li>A connection that failed for good (SQL state class 08, an administrator's or a
 *       crash's 57P0x, a failure without a state, or closed) is closed and not lent again, and so are the idle ones
 *       beside it, which the same server restart has most likely broken too. Their places
 *       are filled again on demand: while the server is away every borrow or statement
 *       fails, and once it is back the pool serves again by itself.
 * </ul>
 * Anything else a lease changes on its connection (session settings) it restores itself.
 */
public final class PgPool implements AutoCloseable {
  /** The SQL state of a borrow that found no connection: "sqlclient unable to establish sqlconnection". */
  public static final String NO_CONNECTION = "08001";

  /** What a lease does with its connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final PgConnector connector;
  private final int size;
  private final long timeoutNanos;
  private final Semaphore free;
  private final ArrayDeque<Connection> idle = new ArrayDeque<>(); // guarded by itself
  private volatile boolean closed;

  /**
   * A pool of {@code size} connections made through {@code connector}, which is asked for the
   * properties (user, password, TLS) at each connection the pool opens; nothing is connected yet.
   *
   * @param borrowTimeout how long {@link #borrow} waits for a free connection
   */
  public PgPool(PgConnector connector, int size, Duration borrowTimeout) {
    if (size < 1) {
      throw new IllegalArgumentException("a pool needs at least one connection, not " + size);
    }
    if (borrowTimeout.isNegative()) {
      throw new IllegalArgumentException("the borrow timeout is negative: " + borrowTimeout);
    }
    this.connector = Objects.requireNonNull(connector, "connector");
    this.size = size;
    this.timeoutNanos = borrowTimeout.toNanos();
    this.free = new Semaphore(size, true);
  }

  /** How many connections the pool may hold open. */
  public int size() {
    return size;
  }

  /**
   * Lends {@code work} a connection, and takes it back whatever happens. A {@link SQLException}
   * from {@code work} is rethrown after the connection's fate is settled (see the class).
   */
  public <T> T run(Work<T> work) throws SQLException {
    try (Lease lease = borrow()) {
      try {
        return work.run(lease.connection());
      } catch (SQLException e) {
        lease.failed(e);
        throw e;
      }
    }
  }

  /**
   * A connection for the caller alone until {@link Lease#close}; waits at most the borrow
   * timeout for one, connecting if the pool has none idle.
   *
   * @throws SQLException state {@value #NO_CONNECTION} if none was free in time, or the
   *     driver's own if connecting failed
   */
  public Lease borrow() throws SQLException {
    if (closed) {
      throw new SQLException("the database connection pool is closed", NO_CONNECTION);
    }
    boolean permitted;
    try {
      permitted = free.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for a database connection", NO_CONNECTION, e);
    }
    if (!permitted) {
      throw new SQLException("no database connection became free within " + Duration.ofNanos(timeoutNanos).toMillis()
          + " ms (all " + size + " are in use); the database is slow or the pool is too small", NO_CONNECTION);
    }
    try {
      Connection c;
      synchronized (idle) {
        c = idle.pollFirst();
      }
      if (c == null) {
        c = connector.connect();
      }
      return new Lease(c);
    } catch (SQLException | RuntimeException e) {
      free.release();
      throw e;
    }
  }

  /** Closes the idle connections now and every lent one when it is given back; borrowing fails from now on. */
  @Override
  public void close() {
    closed = true;
    dropIdle();
  }

  private void dropIdle() {
    ArrayDeque<Connection> dropped;
    synchronized (idle) {
      dropped = new ArrayDeque<>(idle);
      idle.clear();
    }
    for (Connection c : dropped) {
      closeQuietly(c);
    }
  }

  private void giveBack(Connection c, boolean broken) {
    try {
      if (broken || closed || !reset(c)) {
        closeQuietly(c);
        if (broken) {
          dropIdle();
        }
      } else {
        synchronized (idle) {
          idle.addFirst(c); // the most recently used first: the fewest connections stay warm
        }
        if (closed) {
          dropIdle(); // close() ran between the check above and the add
        }
      }
    } finally {
      free.release();
    }
  }

  /** Back to autocommit and read-write; false if the connection cannot be trusted with that. */
  private static boolean reset(Connection c) {
    try {
      if (c.isClosed()) {
        return false;
      }
      if (!c.getAutoCommit()) {
        c.rollback();
        c.setAutoCommit(true);
      }
      if (c.isReadOnly()) {
        c.setReadOnly(false);
      }
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Whether {@code e} on {@code c} means the connection is no longer usable (SQL state class
   * 08, a shutdown 57P0x, no state at all, anywhere in the chain, or a closed connection): the
   * one rule every PostgreSQL user here applies before replacing a connection.
   */
  public static boolean broken(Connection c, SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      String state = s.getSQLState();
      if (state == null || state.startsWith("08") || state.startsWith("57P")) {
        return true;
      }
    }
    try {
      return c.isClosed();
    } catch (SQLException closedCheck) {
      return true;
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // already gone
    }
  }

  /** One borrowed connection; {@link #close} gives it back (once). */
  public final class Lease implements AutoCloseable {
    private final Connection connection;
    private boolean broken;
    private boolean returned;

    private Lease(Connection connection) {
      this.connection = connection;
    }

    public Connection connection() {
      return connection;
    }

    /**
     * Tells the pool that a statement on this connection failed with {@code e}; if the
     * failure means the connection is broken, it is discarded when given back.
     */
    public void failed(SQLException e) {
      broken |= broken(connection, e);
    }

    @Override
    public void close() {
      if (!returned) {
        returned = true;
        giveBack(connection, broken);
      }
    }
  }
}
