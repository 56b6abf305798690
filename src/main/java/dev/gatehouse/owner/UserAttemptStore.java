package dev.gatehouse.owner;

import dev.gatehouse.otp.AttemptState;
import dev.gatehouse.otp.AttemptStore;
import dev.gatehouse.otp.PgAttemptStore;
import dev.gatehouse.store.HomeLock;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * One owner-plane user's TOTP replay and lockout state, as a row of {@code owner_totp_attempts}
 * in {@code state.db}: each save and delete is one committed transaction (WAL; a killed process
 * keeps it). Kept in {@code state.db} rather than a file per user so a user's whole state is in
 * one place, nothing in the home is named after a user, and every process opening the home
 * sees the same row. The home lock makes a read-check-write exclusive; on a shared PostgreSQL
 * database, the row's own lock does instead ({@link #of}). The SQL runs on both engines
 * ({@code "user"} is quoted: a reserved word in PostgreSQL).
 */
final class UserAttemptStore implements AttemptStore.Held {
  private final StateDb db;
  private final String user;

  UserAttemptStore(StateDb db, String user) {
    this.db = db;
    this.user = user;
  }

  /**
   * {@code user}'s attempt store over {@code db}: its row under the home {@code lock} in the
   * embedded {@code state.db}; on a shared PostgreSQL database, its row locked for each section
   * ({@link PgAttemptStore#user}), which excludes every replica.
   */
  static AttemptStore of(StateDb db, HomeLock lock, String user) {
    return db instanceof PgStateDb pg ? PgAttemptStore.user(pg, user)
        : AttemptStore.underLock(lock, new UserAttemptStore(db, user));
  }

  @Override
  public AttemptState load() throws IOException {
    try {
      return db.read(c -> {
        PreparedStatement s = db.prepared(
            "SELECT last_step, failures, locked_until FROM owner_totp_attempts WHERE \"user\" = ?");
        s.setString(1, user);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return AttemptState.INITIAL;
          }
          long step = rs.getLong(1);
          boolean noStep = rs.wasNull();
          int failures = rs.getInt(2);
          long locked = rs.getLong(3);
          boolean notLocked = rs.wasNull();
          if (failures < 0) {
            throw new SQLException("the TOTP failure count of user " + user + " is negative");
          }
          return new AttemptState(noStep ? Long.MIN_VALUE : step, failures,
              notLocked ? null : Instant.ofEpochMilli(locked));
        }
      });
    } catch (SQLException e) {
      throw new IOException(db.name() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void save(AttemptState state) throws IOException {
    try {
      db.transaction(c -> {
        PreparedStatement s = db.prepared("INSERT INTO owner_totp_attempts (\"user\", last_step, failures, locked_until)"
            + " VALUES (?, ?, ?, ?) ON CONFLICT (\"user\") DO UPDATE SET last_step = excluded.last_step,"
            + " failures = excluded.failures, locked_until = excluded.locked_until");
        s.setString(1, user);
        if (state.lastAcceptedStep() == Long.MIN_VALUE) {
          s.setNull(2, java.sql.Types.INTEGER);
        } else {
          s.setLong(2, state.lastAcceptedStep());
        }
        s.setInt(3, state.failures());
        if (state.lockedUntil() == null) {
          s.setNull(4, java.sql.Types.INTEGER);
        } else {
          s.setLong(4, state.lockedUntil().toEpochMilli());
        }
        return s.executeUpdate();
      });
    } catch (SQLException e) {
      throw new IOException(db.name() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete() throws IOException {
    try {
      db.transaction(c -> {
        PreparedStatement s = db.prepared("DELETE FROM owner_totp_attempts WHERE \"user\" = ?");
        s.setString(1, user);
        return s.executeUpdate();
      });
    } catch (SQLException e) {
      throw new IOException(db.name() + ": " + e.getMessage(), e);
    }
  }
}
