package dev.gatehouse.broker;

import dev.gatehouse.store.StateDb;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Remembers every request nonce for longer than a signature can be accepted, in memory and
 * in {@code state.db}'s append-only {@code nonce_log}, so neither a replay nor a restart of the
 * daemon reopens a used nonce.
 *
 * <p>Guarantees of {@link #firstUse}:
 * <ul>
 *   <li>It returns true only for the first use of (key id, nonce) within the keep time, and
 *       only once that nonce's row is committed to {@code state.db} (WAL, so a killed daemon
 *       keeps it): a call let through can never be replayed, not even after a restart. The
 *       check itself is in memory (an atomic put-if-absent); the rows are read back when the
 *       store is first used.
 *   <li>It throws {@link SQLException} if the record cannot be made; the caller must refuse
 *       (the nonce stays used).
 *   <li>Concurrent callers share one transaction (group commit): one caller at a time leads,
 *       appends every queued nonce (up to {@value #MAX_BATCH}) in one transaction, and wakes
 *       the others at once; if the transaction fails, every caller in that batch gets the
 *       failure.
 * </ul>
 * Memory: one entry per nonce within the keep time — bounded by the agents' rate limits.
 */
public final class NonceStore {
  static final int MAX_BATCH = 1024;
  private static final String INSERT_NONCE = "INSERT INTO nonce_log (seen_at, keyid, nonce) VALUES (?, ?, ?)";
  private static final String UPSERT_USAGE = "INSERT INTO agent_usage (name, last_used) VALUES (?, ?)"
      + " ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used";

  private final StateDb db;
  private final long keepMillis;
  private final ReentrantLock queueLock = new ReentrantLock();
  private final Condition progress = queueLock.newCondition();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by queueLock
  private boolean leading; // a caller is committing a batch; guarded by queueLock
  private int inFlight; // items of the batch being committed; guarded by queueLock
  private long batches; // batches taken, one transaction each; guarded by queueLock
  private long lastPurge; // touched only by the leader (leading hands it over under queueLock)
  /** "keyid NUL nonce" -> when it was first used (epoch ms); loaded from state.db on first use. */
  private final ConcurrentHashMap<String, Long> seen = new ConcurrentHashMap<>();
  private final ReentrantLock loadLock = new ReentrantLock();
  private volatile boolean loaded;
  private final AtomicLong lastMemoryPurge = new AtomicLong();

  /**
   * One caller's nonce. The leader writes {@code failure} if the batch failed, then sets
   * {@code done} under queueLock; the caller reads them once it sees {@code done} there.
   */
  private static final class Pending {
    final String keyId;
    final String nonce;
    final long now;
    final String agent;
    boolean done; // guarded by queueLock
    SQLException failure;

    Pending(String keyId, String nonce, long now, String agent) {
      this.keyId = keyId;
      this.nonce = nonce;
      this.now = now;
      this.agent = agent;
    }
  }

  /** @param keep how long a nonce is remembered; must exceed the whole acceptance window */
  public NonceStore(StateDb db, Duration keep) {
    this.db = db;
    this.keepMillis = keep.toMillis();
  }

  /**
   * Records {@code nonce} for {@code keyId}; true if it was never seen (within the keep
   * time) and is now committed, false for a replay. Throws if the record cannot be made (the
   * caller refuses).
   */
  public boolean firstUse(String keyId, String nonce, Instant now) throws SQLException {
    return firstUse(keyId, nonce, now, null);
  }

  /**
   * {@link #firstUse}, and on a first use also notes that agent {@code agent} made a call
   * now — in the same transaction. Waits for the batch that holds this nonce (leading it if
   * no batch is in progress). Expired nonces are purged at most once a second.
   */
  public boolean firstUse(String keyId, String nonce, Instant now, String agent) throws SQLException {
    long t = now.toEpochMilli();
    load(t);
    purgeMemory(t);
    String key = keyId + '\0' + nonce;
    Long before = seen.putIfAbsent(key, t);
    if (before != null && (before >= t - keepMillis || !seen.replace(key, before, t))) {
      return false; // used within the keep time, or another caller just took it
    }
    Pending p = new Pending(keyId, nonce, t, agent);
    queueLock.lock();
    try {
      queue.add(p);
      leadUntil(p);
    } finally {
      queueLock.unlock();
    }
    if (p.failure != null) {
      SQLException f = p.failure; // shared by the batch: every caller gets its own, with the cause
      throw new SQLException("the nonce could not be recorded: " + f.getMessage(), f.getSQLState(),
          f.getErrorCode(), f);
    }
    return true;
  }

  /** Reads the nonces still within the keep time from state.db, once. */
  private void load(long now) throws SQLException {
    if (loaded) {
      return;
    }
    loadLock.lock();
    try {
      if (loaded) {
        return;
      }
      db.transaction(c -> {
        try (PreparedStatement s = c.prepareStatement(
            "SELECT keyid, nonce, seen_at FROM nonce_log WHERE seen_at >= ?")) {
          s.setLong(1, now - keepMillis);
          try (var rs = s.executeQuery()) {
            while (rs.next()) {
              seen.merge(rs.getString(1) + '\0' + rs.getString(2), rs.getLong(3), Math::max);
            }
          }
        }
        return null;
      });
      loaded = true;
    } finally {
      loadLock.unlock();
    }
  }

  /** Forgets, at most once a second, the nonces past the keep time. */
  private void purgeMemory(long now) {
    long last = lastMemoryPurge.get();
    if (now - last >= 1000 && lastMemoryPurge.compareAndSet(last, now)) {
      long cutoff = now - keepMillis;
      seen.values().removeIf(t -> t < cutoff);
    }
  }

  /**
   * Group commit, with queueLock held: until {@code p} has its outcome, wait while another
   * caller leads a batch, else lead one (take what is queued, commit it in one transaction)
   * and wake everyone at once — no convoy of wake-ups through a lock.
   */
  private void leadUntil(Pending p) {
    while (!p.done) {
      if (leading) {
        progress.awaitUninterruptibly(); // the leader's batch may hold ours
        continue;
      }
      leading = true;
      List<Pending> batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
      while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
        batch.add(queue.poll());
      }
      inFlight = batch.size();
      batches++;
      queueLock.unlock();
      try {
        commit(batch);
      } finally {
        queueLock.lock();
        for (Pending q : batch) {
          q.done = true;
        }
        leading = false;
        inFlight = 0;
        progress.signalAll();
      }
    }
  }

  /** One batch, one transaction; gives every item its outcome (recorded or a failure), whatever happens. */
  private void commit(List<Pending> batch) {
    long oldest = Long.MAX_VALUE;
    long latest = Long.MIN_VALUE;
    for (Pending p : batch) {
      oldest = Math.min(oldest, p.now);
      latest = Math.max(latest, p.now);
    }
    // The cutoff is the oldest caller's: no caller sees a nonce forgotten within its keep time.
    long cutoff = oldest - keepMillis;
    boolean purge = latest - lastPurge >= 1000;
    boolean committed = false;
    SQLException failure = null;
    try {
      db.transaction(c -> {
        if (purge) {
          try (PreparedStatement s = c.prepareStatement("DELETE FROM nonce_log WHERE seen_at < ?")) {
            s.setLong(1, cutoff);
            s.executeUpdate();
          }
        }
        Map<String, Long> used = new LinkedHashMap<>(); // agent -> its latest first use
        try (PreparedStatement insert = c.prepareStatement(INSERT_NONCE)) {
          for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            insert.setLong(1, p.now);
            insert.setString(2, p.keyId);
            insert.setString(3, p.nonce);
            insert.executeUpdate();
            if (p.agent != null) {
              used.merge(p.agent, p.now, Math::max);
            }
          }
        }
        if (!used.isEmpty()) {
          try (PreparedStatement upsert = c.prepareStatement(UPSERT_USAGE)) {
            for (Map.Entry<String, Long> e : used.entrySet()) {
              upsert.setString(1, e.getKey());
              upsert.setLong(2, e.getValue());
              upsert.executeUpdate();
            }
          }
        }
        return null;
      });
      committed = true;
      if (purge) {
        lastPurge = latest;
      }
    } catch (SQLException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = new SQLException(String.valueOf(e.getMessage()), e);
    } finally {
      if (!committed && failure == null) {
        failure = new SQLException("the nonce batch was abandoned"); // an Error: it goes on up
      }
      for (int i = 0; i < batch.size(); i++) {
        Pending p = batch.get(i);
        if (!committed) {
          p.failure = failure;
        }
      }
    }
  }

  /** Callers waiting for their outcome: queued, or in the batch being committed. For tests. */
  int waiting() {
    queueLock.lock();
    try {
      return queue.size() + inFlight;
    } finally {
      queueLock.unlock();
    }
  }

  /** Batches taken so far, each one transaction. For tests. */
  long batches() {
    queueLock.lock();
    try {
      return batches;
    } finally {
      queueLock.unlock();
    }
  }

  /** Notes that agent {@code name} made a call now. */
  public void touch(String name, Instant now) throws SQLException {
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement(UPSERT_USAGE)) {
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
