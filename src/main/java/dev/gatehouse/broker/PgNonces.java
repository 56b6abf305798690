package dev.gatehouse.broker;

import dev.gatehouse.store.PgPool;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replay record shared by several daemons on one PostgreSQL database (docs/storage.md):
 * table {@code agent_nonces}, keyed by the use's replay digest (the {@link AuditedNonces#REPLAY}
 * detail's 16 bytes; the nonce itself is not stored).
 *
 * <p>A {@link #use} is one {@code INSERT ... ON CONFLICT DO NOTHING} in autocommit: the
 * database's unique key decides, across every replica at once, which of any number of
 * concurrent uses of one (key id, nonce) is the first, and the commit has made that use
 * durable before {@code use} returns. So a replay to any replica, at any later time while the
 * row exists, is refused, and a recording is on record from the start ({@link Recording#await}
 * has nothing to do). Its {@link Recording#details()} are the embedded backend's, so the
 * entries that carry them read alike on both.
 *
 * <p>Fails closed: when the database cannot be reached the use is not decided and
 * {@code use} throws {@link Unrecorded}, which the endpoints answer with 503
 * {@link Problem.Kind#AUDIT_UNAVAILABLE} before the request has any effect.
 *
 * <p>A row lives at least the keep time and {@link AuditedNonces#MARGIN} by the clock of the
 * replica that prunes it (the margin covers the replicas' clocks disagreeing by up to that
 * much); each replica deletes older rows in batches of at most {@value #PRUNE_BATCH}, at
 * most once every {@link #PRUNE_EVERY} unless a full batch shows it is behind, on a thread of
 * its own rather than the caller's.
 */
public final class PgNonces implements NonceStore {
  /** How often one replica prunes, at most (unless its last batch was full). */
  public static final Duration PRUNE_EVERY = Duration.ofSeconds(5);
  /** The most rows one pruning statement deletes. */
  static final int PRUNE_BATCH = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.nonces");
  private static final String INSERT = "INSERT INTO agent_nonces (replay, kid, created, seen_at) VALUES (?, ?, ?, ?)"
      + " ON CONFLICT DO NOTHING";
  // SKIP LOCKED: replicas pruning at once divide the old rows between them instead of queueing.
  private static final String PRUNE = "DELETE FROM agent_nonces WHERE replay IN (SELECT replay FROM agent_nonces"
      + " WHERE seen_at < ? ORDER BY seen_at LIMIT ? FOR UPDATE SKIP LOCKED)";

  private final PgPool pool;
  private final Clock clock;
  private final Duration keep;
  private final Executor pruner;
  private final AtomicLong nextPrune = new AtomicLong(Long.MIN_VALUE);
  private final AtomicBoolean pruning = new AtomicBoolean();
  private final AtomicBoolean failing = new AtomicBoolean();

  PgNonces(PgPool pool, Clock clock, Duration keep, Executor pruner) {
    if (keep.isNegative() || keep.isZero()) {
      throw new IllegalArgumentException("the keep time must be positive: " + keep);
    }
    this.pool = pool;
    this.clock = clock;
    this.keep = keep;
    this.pruner = pruner;
  }

  /**
   * The record in {@code pool}'s database, whose schema has {@code agent_nonces} (migration
   * V2); {@code keep} must exceed the signatures' acceptance window ({@link Broker#NONCE_KEEP}).
   * Pruning runs on a virtual thread of its own, started by a use that finds it due.
   */
  public static PgNonces open(PgPool pool, Clock clock, Duration keep) {
    return new PgNonces(pool, clock, keep, r -> Thread.ofVirtual().name("gatehouse-nonce-prune").start(r));
  }

  @Override
  public Optional<Recording> use(Use use) throws Unrecorded {
    byte[] sha = NonceSet.sha256(use.keyId(), use.nonce());
    int inserted;
    try {
      inserted = pool.run(c -> {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
          s.setBytes(1, Arrays.copyOf(sha, 16));
          s.setString(2, use.keyId());
          s.setLong(3, use.created());
          s.setLong(4, use.now().toEpochMilli());
          return s.executeUpdate();
        }
      });
    } catch (SQLException e) {
      if (failing.compareAndSet(false, true)) {
        LOG.warn("the shared replay record cannot be reached; signed requests are refused (503) until it can: {}"
            + " (SQL state {})", e.getMessage(), e.getSQLState());
      }
      throw new Unrecorded("the replay record could not be consulted: " + e.getMessage(), e);
    }
    if (failing.compareAndSet(true, false)) {
      LOG.info("the shared replay record is reachable again");
    }
    pruneIfDue();
    return inserted == 0 ? Optional.empty() : Optional.of(new Durable(AuditedNonces.details(use, sha)));
  }

  /**
   * Deletes up to {@value #PRUNE_BATCH} rows seen before the keep time and
   * {@link AuditedNonces#MARGIN} by this replica's clock; returns how many.
   */
  int prune() throws SQLException {
    long before = clock.instant().minus(keep).minus(AuditedNonces.MARGIN).toEpochMilli();
    return pool.run(c -> {
      try (PreparedStatement s = c.prepareStatement(PRUNE)) {
        s.setLong(1, before);
        s.setInt(2, PRUNE_BATCH);
        return s.executeUpdate();
      }
    });
  }

  /** Hands one prune to the pruner when it is due and none is running. */
  private void pruneIfDue() {
    long now = clock.millis();
    long next = nextPrune.get();
    // A clock stepped back by more than the interval does not postpone pruning by the step.
    boolean due = now >= next || next - now > PRUNE_EVERY.toMillis();
    if (!due || !pruning.compareAndSet(false, true)) {
      return;
    }
    try {
      pruner.execute(() -> {
        long again = now + PRUNE_EVERY.toMillis();
        try {
          if (prune() == PRUNE_BATCH) {
            again = now; // behind: the next use prunes again
          }
        } catch (SQLException | RuntimeException e) {
          LOG.debug("pruning the replay record failed; retried in {}: {}", PRUNE_EVERY, e.getMessage());
        } finally {
          nextPrune.set(again);
          pruning.set(false);
        }
      });
    } catch (RejectedExecutionException e) {
      pruning.set(false);
    }
  }

  /** A use the database holds durably already: nothing left to record. */
  private record Durable(Map<String, String> details) implements Recording {
    @Override
    public void recordedIn(long seq) {
      // on record since the insert committed
    }

    @Override
    public void await() {
      // on record since the insert committed
    }
  }
}
