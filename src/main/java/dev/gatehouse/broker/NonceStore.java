package dev.gatehouse.broker;

import dev.gatehouse.store.StateDb;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * Remembers every request nonce for longer than a signature can be accepted, in
 * {@code state.db}, so neither a replay nor a restart of the daemon reopens a used nonce.
 */
public final class NonceStore {
  private final StateDb db;
  private final Duration keep;
  private volatile long lastPurge;

  /** @param keep how long a nonce is remembered; must exceed the whole acceptance window */
  public NonceStore(StateDb db, Duration keep) {
    this.db = db;
    this.keep = keep;
  }

  /**
   * Records {@code nonce} for {@code keyId}; true if it was never seen (within the keep
   * time), false for a replay. Throws if the record cannot be made (the caller refuses).
   */
  public boolean firstUse(String keyId, String nonce, Instant now) throws SQLException {
    return firstUse(keyId, nonce, now, null);
  }

  /**
   * {@link #firstUse}, and on a first use also notes that agent {@code agent} made a call
   * now — in the same transaction. Expired nonces are purged at most once a second.
   */
  public boolean firstUse(String keyId, String nonce, Instant now, String agent) throws SQLException {
    boolean purge = now.toEpochMilli() - lastPurge >= 1000;
    if (purge) {
      lastPurge = now.toEpochMilli();
    }
    return db.transaction(c -> {
      if (purge) {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM nonces WHERE seen_at < ?")) {
          p.setLong(1, now.minus(keep).toEpochMilli());
          p.executeUpdate();
        }
      }
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO nonces (keyid, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
        insert.setString(1, keyId);
        insert.setString(2, nonce);
        insert.setLong(3, now.toEpochMilli());
        if (insert.executeUpdate() != 1) {
          return false;
        }
      }
      if (agent != null) {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO agent_usage (name, last_used) VALUES (?, ?)"
            + " ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used")) {
          s.setString(1, agent);
          s.setLong(2, now.toEpochMilli());
          s.executeUpdate();
        }
      }
      return true;
    });
  }

  /** Notes that agent {@code name} made a call now. */
  public void touch(String name, Instant now) throws SQLException {
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO agent_usage (name, last_used) VALUES (?, ?)"
          + " ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used")) {
        s.setString(1, name);
        s.setLong(2, now.toEpochMilli());
        s.executeUpdate();
      }
      return null;
    });
  }

  /** When agent {@code name} last made an authenticated call, if ever. */
  public java.util.Optional<Instant> lastUsed(String name) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT last_used FROM agent_usage WHERE name = ?")) {
        s.setString(1, name);
        try (var rs = s.executeQuery()) {
          return rs.next() ? java.util.Optional.of(Instant.ofEpochMilli(rs.getLong(1))) : java.util.Optional.empty();
        }
      }
    });
  }
}
