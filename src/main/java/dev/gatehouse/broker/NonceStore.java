package dev.gatehouse.broker;

import dev.gatehouse.store.GroupCommit;
import dev.gatehouse.store.StateDb;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 *       check itself is in memory ({@link NonceSet}); the rows are read back when the store
 *       is first used.
 *   <li>It throws {@link SQLException} if the record cannot be made; the caller must refuse
 *       (the nonce stays used).
 *   <li>Concurrent callers share one transaction (group commit, {@link GroupCommit}): a
 *       writer thread appends every queued nonce (up to {@value #MAX_BATCH}) in one
 *       transaction and wakes each caller; if the transaction fails, every caller in that
 *       batch gets the failure. {@link #use} lets the caller do other work (the broker
 *       writes its audit record) while the row is committed, and wait just before acting.
 * </ul>
 * Memory: 32 bytes or so per nonce, kept between one and two keep times — bounded by the
 * agents' rate limits.
 */
public final class NonceStore implements AutoCloseable {
  static final int MAX_BATCH = 1024;
  /** Expired rows are deleted at most this often, at most {@link #PURGE_ROWS} at a time (10,000/s). */
  static final long PURGE_EVERY_MS = 100;
  static final int PURGE_ROWS = 1000;
  private static final String INSERT_NONCE = "INSERT INTO nonce_log (seen_at, keyid, nonce) VALUES (?, ?, ?)";
  private static final String UPSERT_USAGE = "INSERT INTO agent_usage (name, last_used) VALUES (?, ?)"
      + " ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used";
  private static final String PURGE = "DELETE FROM nonce_log WHERE rowid IN"
      + " (SELECT rowid FROM nonce_log WHERE seen_at < ? ORDER BY seen_at LIMIT " + PURGE_ROWS + ")";

  private final StateDb db;
  private final long keepMillis;
  private final NonceSet seen; // loaded from state.db on first use
  private final ReentrantLock loadLock = new ReentrantLock();
  private volatile boolean loaded;
  private final GroupCommit<Use> commits = new GroupCommit<>("gatehouse-nonce-writer", MAX_BATCH, this::commit);
  private final AtomicInteger waiting = new AtomicInteger(); // submitted, not yet committed or failed
  private final AtomicLong batches = new AtomicLong();
  private long lastPurge; // the writer thread's

  private record Use(String keyId, String nonce, long now, String agent) {}

  /** A first use whose row is being committed; {@link #await} it before acting on the call. */
  public static final class Recording {
    private final GroupCommit.Ticket<Use> ticket;

    private Recording(GroupCommit.Ticket<Use> ticket) {
      this.ticket = ticket;
    }

    /** Returns once the row is committed; throws if it cannot be (the caller must refuse). */
    public void await() throws SQLException {
      try {
        ticket.await();
      } catch (RuntimeException e) {
        Throwable c = e.getCause() instanceof SQLException ? e.getCause() : e;
        throw new SQLException("the nonce could not be recorded: " + c.getMessage(), c);
      }
    }

    /**
     * {@link #await}, for a signed endpoint: a nonce that cannot be recorded refuses the
     * request (503 audit-unavailable), since a replay of it could not be refused later.
     */
    public void awaitOrRefuse() throws Refused {
      try {
        await();
      } catch (SQLException e) {
        throw new Refused(Problem.Kind.AUDIT_UNAVAILABLE, "the replay record could not be made");
      }
    }
  }

  /** @param keep how long a nonce is remembered; must exceed the whole acceptance window */
  public NonceStore(StateDb db, Duration keep) {
    this.db = db;
    this.keepMillis = keep.toMillis();
    this.seen = new NonceSet(keepMillis);
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
   * now — in the same transaction. Waits for the batch that holds this nonce.
   */
  public boolean firstUse(String keyId, String nonce, Instant now, String agent) throws SQLException {
    Optional<Recording> r = use(keyId, nonce, now, agent);
    if (r.isEmpty()) {
      return false;
    }
    r.get().await();
    return true;
  }

  /**
   * Decides at once whether this is the first use of {@code nonce} for {@code keyId} (empty:
   * a replay) and starts committing it; the calling thread must {@link Recording#await} the
   * result before it acts on the call. Expired rows are deleted in small slices, at most
   * every {@value #PURGE_EVERY_MS} ms.
   */
  public Optional<Recording> use(String keyId, String nonce, Instant now, String agent) throws SQLException {
    long t = now.toEpochMilli();
    load(t);
    if (!seen.firstUse(keyId, nonce, t)) {
      return Optional.empty(); // used within the keep time
    }
    waiting.incrementAndGet();
    return Optional.of(new Recording(commits.submit(new Use(keyId, nonce, t, agent), true)));
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
              seen.remember(rs.getString(1), rs.getString(2), rs.getLong(3));
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

  /** One batch, one transaction, on the writer thread; finishes every ticket either way. */
  private void commit(List<GroupCommit.Ticket<Use>> batch) {
    batches.incrementAndGet();
    long oldest = Long.MAX_VALUE;
    long latest = Long.MIN_VALUE;
    for (GroupCommit.Ticket<Use> t : batch) {
      oldest = Math.min(oldest, t.item().now());
      latest = Math.max(latest, t.item().now());
    }
    // The cutoff is the oldest caller's: no caller sees a nonce forgotten within its keep time.
    long cutoff = oldest - keepMillis;
    boolean purge = latest - lastPurge >= PURGE_EVERY_MS;
    RuntimeException failure = null;
    try {
      db.transaction(c -> {
        if (purge) {
          // A bounded slice of the oldest rows, often: a whole second's rows at once would hold
          // this batch (and every caller behind it) for a millisecond or more.
          PreparedStatement s = db.prepared(PURGE);
          s.setLong(1, cutoff);
          s.executeUpdate();
        }
        Map<String, Long> used = new LinkedHashMap<>(); // agent -> its latest first use
        PreparedStatement insert = db.prepared(INSERT_NONCE);
        for (GroupCommit.Ticket<Use> t : batch) {
          Use u = t.item();
          insert.setLong(1, u.now());
          insert.setString(2, u.keyId());
          insert.setString(3, u.nonce());
          insert.executeUpdate();
          if (u.agent() != null) {
            used.merge(u.agent(), u.now(), Math::max);
          }
        }
        PreparedStatement upsert = db.prepared(UPSERT_USAGE);
        for (Map.Entry<String, Long> e : used.entrySet()) {
          upsert.setString(1, e.getKey());
          upsert.setLong(2, e.getValue());
          upsert.executeUpdate();
        }
        return null;
      });
      if (purge) {
        lastPurge = latest;
      }
    } catch (SQLException e) {
      failure = new IllegalStateException(e.getMessage(), e);
    } catch (RuntimeException e) {
      failure = e;
    }
    waiting.addAndGet(-batch.size());
    for (GroupCommit.Ticket<Use> t : batch) {
      t.finish(0, failure);
    }
  }

  /**
   * Commits what is queued and lets the writer thread end (before state.db closes). A later
   * {@link #use} starts it again.
   */
  @Override
  public void close() {
    commits.drain();
    commits.stop();
  }

  /** Callers whose nonce is not yet committed (or failed). For tests. */
  int waiting() {
    return waiting.get();
  }

  /** Batches taken so far, each one transaction. For tests. */
  long batches() {
    return batches.get();
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
