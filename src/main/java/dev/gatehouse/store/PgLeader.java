package dev.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leader among the replicas for a job only one of them may do (long-polling Telegram):
 * whoever holds the session-level advisory lock {@code key} on a connection of its own.
 *
 * <p>PostgreSQL releases the lock when that session ends, which it does as soon as a killed
 * replica's socket closes; a waiting replica tries again every {@code every} and takes over.
 * The leader checks its own session every {@code every} too: when the check fails, it may have
 * lost the lock, so it stops the job at once ({@link Role#deposed}) and competes again on a new
 * connection. So two replicas run the job together at most for one check interval, when the
 * server ends the leader's session without the leader's socket failing (a server restart).
 */
public final class PgLeader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.leader");

  /** What the leader does, started and stopped from the election's thread. */
  public interface Role {
    /** This replica now holds the lock: start the job. */
    void elected();

    /** This replica may no longer hold it: stop the job before returning. */
    void deposed();
  }

  private final PgConnector connector;
  private final long key;
  private final Duration every;
  private final Role role;
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean leading;
  private volatile Connection connection;

  private PgLeader(PgConnector connector, long key, Duration every, Role role, String name) {
    this.connector = connector;
    this.key = key;
    this.every = every;
    this.role = role;
    this.thread = Thread.ofPlatform().daemon().name("leader-" + name).unstarted(this::run);
  }

  /**
   * Competes for {@code key} from now on, in a thread of its own, until {@link #close}; each
   * new session connects through {@code connector} as it is then.
   */
  public static PgLeader start(PgConnector connector, long key, Duration every, Role role, String name) {
    PgLeader l = new PgLeader(connector, key, every, role, name);
    l.thread.start();
    return l;
  }

  /** Whether this replica leads at the moment (for status and tests). */
  public boolean leading() {
    return leading;
  }

  private void run() {
    while (!closed) {
      try {
        Connection c = connect();
        if (!leading) {
          if (tryLock(c)) {
            leading = true;
            LOG.info("leader: this replica now leads ({})", thread.getName());
            role.elected();
          }
        } else {
          alive(c);
        }
      } catch (SQLException | RuntimeException e) {
        depose("its database session failed: " + e.getMessage());
        drop();
      }
      if (!closed) {
        try {
          Thread.sleep(every);
        } catch (InterruptedException e) {
          break; // closing
        }
      }
    }
    depose("it is stopping");
    drop();
  }

  private Connection connect() throws SQLException {
    Connection c = connection;
    if (c == null) {
      c = connector.connect();
      c.setAutoCommit(true);
      connection = c;
    }
    return c;
  }

  private boolean tryLock(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      s.setLong(1, key);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** Fails unless this session still holds the lock. */
  private void alive(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        + " AND pid = pg_backend_pid() AND granted AND objsubid = 1 AND objid::bigint = ? AND classid::bigint = ?")) {
      s.setLong(1, key & 0xffffffffL);
      s.setLong(2, key >>> 32);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next() || rs.getInt(1) == 0) {
          throw new SQLException("the advisory lock is no longer held by this session");
        }
      }
    }
  }

  private void depose(String why) {
    if (leading) {
      leading = false;
      LOG.warn("leader: this replica stops leading: {}", why);
      try {
        role.deposed();
      } catch (RuntimeException e) {
        LOG.warn("leader: stopping the job failed: {}", e.toString());
      }
    }
  }

  private void drop() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close(); // ends the session, and with it the lock
      } catch (SQLException ignored) {
        // already gone
      }
    }
  }

  /** Stops competing; a leader stops its job and gives the lock up for another replica. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(15));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
