package dev.gatehouse.broker;

import dev.gatehouse.store.StateDb;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When each agent (and chat channel) last made an authenticated call: noted in memory on every
 * call, written to {@code state.db}'s {@code agent_usage} at most once per {@link #EVERY}
 * (and on {@link #close}), so no call waits for SQLite. What a reader of {@code state.db}
 * sees may be up to that much behind; a killed daemon loses at most that much of it. It is
 * information for the owner, not a security decision.
 */
public final class AgentUsage implements AutoCloseable {
  public static final Duration EVERY = Duration.ofSeconds(1);
  private static final String UPSERT = "INSERT INTO agent_usage (name, last_used) VALUES (?, ?)"
      + " ON CONFLICT (name) DO UPDATE SET last_used = CASE WHEN excluded.last_used > agent_usage.last_used"
      + " THEN excluded.last_used ELSE agent_usage.last_used END"; // max(), in SQL both engines read alike

  private final StateDb db;
  private final ConcurrentHashMap<String, Long> pending = new ConcurrentHashMap<>();
  private volatile ScheduledExecutorService writer; // written under this; started by the first note

  public AgentUsage(StateDb db) {
    this.db = db;
  }

  /** Notes that {@code name} made a call at {@code at}. */
  public void note(String name, Instant at) {
    pending.merge(name, at.toEpochMilli(), Math::max);
    if (writer == null) {
      start();
    }
  }

  private synchronized void start() {
    if (writer == null) {
      writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-usage-writer");
        t.setDaemon(true);
        return t;
      });
      writer.scheduleWithFixedDelay(this::flushQuietly, EVERY.toMillis(), EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Writes what was noted since the last write, in one transaction. */
  public synchronized void flush() throws SQLException {
    if (pending.isEmpty()) {
      return;
    }
    Map<String, Long> batch = new HashMap<>();
    for (String name : pending.keySet()) {
      Long at = pending.remove(name);
      if (at != null) {
        batch.put(name, at);
      }
    }
    try {
      db.transaction(c -> {
        PreparedStatement s = db.prepared(UPSERT);
        for (Map.Entry<String, Long> e : batch.entrySet()) {
          s.setString(1, e.getKey());
          s.setLong(2, e.getValue());
          s.executeUpdate();
        }
        return null;
      });
    } catch (SQLException | RuntimeException e) {
      batch.forEach((name, at) -> pending.merge(name, at, Math::max)); // tried again with the next write
      throw e;
    }
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (SQLException | RuntimeException e) {
      // kept in memory and tried again in a second; usage is information, not a decision
    }
  }

  /** When {@code name} last made a call, as written to {@code state.db} (what another process sees). */
  public static Optional<Instant> lastUsed(StateDb db, String name) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT last_used FROM agent_usage WHERE name = ?")) {
        s.setString(1, name);
        try (var rs = s.executeQuery()) {
          return rs.next() ? Optional.of(Instant.ofEpochMilli(rs.getLong(1))) : Optional.empty();
        }
      }
    });
  }

  /** Stops the writer and writes what is left (before {@code state.db} closes). */
  @Override
  public void close() {
    ScheduledExecutorService w;
    synchronized (this) {
      w = writer;
      writer = null;
    }
    if (w != null) {
      w.shutdown();
      try {
        w.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    flushQuietly();
  }
}
