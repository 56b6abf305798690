package dev.gatehouse.otp;

import dev.gatehouse.store.PgStateDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Replay and lockout state as a row of a shared PostgreSQL database, for several replicas
 * (docs/storage.md, "TOTP across replicas").
 *
 * <p>Each {@link #exclusive} section is one transaction ({@link PgStateDb#rowLocked}): the row
 * is inserted if missing, locked with {@code SELECT … FOR UPDATE}, read, decided on, written,
 * and committed. A second section over the same row, on any replica, waits at its
 * {@code SELECT … FOR UPDATE} until the first commits, then reads what it wrote. Actions passed
 * to {@link Held#whenDurable} run after the commit (outside the row lock), so a decision is
 * recorded only once its state is durable. A lock not granted within {@link #LOCK_TIMEOUT}
 * fails the section (fail closed) rather than waiting on a stuck replica forever.
 */
public final class PgAttemptStore implements AttemptStore {
  /** The subject of the home's own TOTP key in {@code totp_attempts}. */
  public static final String HOME = "home";
  static final String LOCK_TIMEOUT = "30s";

  private final PgStateDb db;
  private final String table;
  private final String keyColumn;
  private final String key;
  private final String where; // names the state in errors

  private PgAttemptStore(PgStateDb db, String table, String keyColumn, String key, String where) {
    this.db = db;
    this.table = table;
    this.keyColumn = keyColumn;
    this.key = key;
    this.where = where;
  }

  /** The home's own key's state: the row {@value #HOME} of {@code totp_attempts}. */
  public static PgAttemptStore home(PgStateDb db) {
    return new PgAttemptStore(db, "totp_attempts", "subject", HOME, "the TOTP state in the database");
  }

  /** Owner-plane user {@code name}'s state: their row of {@code owner_totp_attempts}. */
  public static PgAttemptStore user(PgStateDb db, String name) {
    return new PgAttemptStore(db, "owner_totp_attempts", "\"user\"", name,
        "the TOTP state of user " + name + " in the database");
  }

  @Override
  public <T> T exclusive(Section<T> section) throws IOException {
    List<Runnable> afterCommit = new ArrayList<>();
    T result;
    try {
      result = db.rowLocked(c -> {
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
        }
        Row row = new Row(c, lock(c), afterCommit);
        try {
          return section.run(row);
        } catch (IOException e) {
          throw new UncheckedIOException(e); // rolls back, unwrapped below
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } catch (SQLException e) {
      throw new IOException(where + " cannot be read or written: " + e.getMessage(), e);
    }
    for (Runnable action : afterCommit) {
      action.run();
    }
    return result;
  }

  /**
   * Locks the row, inserting it first if missing, and returns its state. A row deleted by the
   * section this one waited for is no longer there when the lock is granted: then again.
   */
  private AttemptState lock(Connection c) throws SQLException {
    for (int attempt = 0; attempt < 3; attempt++) {
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " (" + keyColumn
          + ", last_step, failures, locked_until) VALUES (?, NULL, 0, NULL) ON CONFLICT (" + keyColumn
          + ") DO NOTHING")) {
        insert.setString(1, key);
        insert.executeUpdate();
      }
      try (PreparedStatement select = c.prepareStatement("SELECT last_step, failures, locked_until FROM " + table
          + " WHERE " + keyColumn + " = ? FOR UPDATE")) {
        select.setString(1, key);
        try (ResultSet rs = select.executeQuery()) {
          if (rs.next()) {
            return decode(rs);
          }
        }
      }
    }
    throw new SQLException("its row keeps disappearing while it is locked");
  }

  private AttemptState decode(ResultSet rs) throws SQLException {
    long step = rs.getLong(1);
    boolean noStep = rs.wasNull();
    int failures = rs.getInt(2);
    long locked = rs.getLong(3);
    boolean notLocked = rs.wasNull();
    if (failures < 0) {
      throw new SQLException("the failure count is negative");
    }
    return new AttemptState(noStep ? Long.MIN_VALUE : step, failures, notLocked ? null : Instant.ofEpochMilli(locked));
  }

  /** The locked row, for one section. */
  private final class Row implements Held {
    private final Connection c;
    private final List<Runnable> afterCommit;
    private AttemptState current;

    Row(Connection c, AttemptState current, List<Runnable> afterCommit) {
      this.c = c;
      this.current = current;
      this.afterCommit = afterCommit;
    }

    @Override
    public AttemptState load() {
      return current;
    }

    @Override
    public void save(AttemptState state) throws IOException {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO " + table + " (" + keyColumn
          + ", last_step, failures, locked_until) VALUES (?, ?, ?, ?) ON CONFLICT (" + keyColumn
          + ") DO UPDATE SET last_step = excluded.last_step, failures = excluded.failures,"
          + " locked_until = excluded.locked_until")) {
        s.setString(1, key);
        if (state.lastAcceptedStep() == Long.MIN_VALUE) {
          s.setNull(2, Types.BIGINT);
        } else {
          s.setLong(2, state.lastAcceptedStep());
        }
        s.setInt(3, state.failures());
        if (state.lockedUntil() == null) {
          s.setNull(4, Types.BIGINT);
        } else {
          s.setLong(4, state.lockedUntil().toEpochMilli());
        }
        s.executeUpdate();
      } catch (SQLException e) {
        throw new IOException(where + " cannot be written: " + e.getMessage(), e);
      }
      current = state;
    }

    @Override
    public void delete() throws IOException {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM " + table + " WHERE " + keyColumn + " = ?")) {
        s.setString(1, key);
        s.executeUpdate();
      } catch (SQLException e) {
        throw new IOException(where + " cannot be deleted: " + e.getMessage(), e);
      }
      current = AttemptState.INITIAL;
    }

    @Override
    public void whenDurable(Runnable action) {
      afterCommit.add(action);
    }
  }
}
