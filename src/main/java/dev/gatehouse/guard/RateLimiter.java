package dev.gatehouse.guard;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Sliding-window rate limits keyed by strings (an agent name, an action, a source address).
 *
 * <p>Semantics: an exact sliding log. Each tracked limit keeps the timestamps of the events it
 * accepted; an event at time {@code t} counts against its limit at time {@code now} while
 * {@code now - t < window}, and leaves at exactly {@code t + window}. An attempt is allowed
 * when fewer than {@code max} events are inside the window. A refused attempt is not counted.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Thread-safe; every {@link #tryAcquire} is atomic (one lock guards all state).
 *   <li>Several checks are decided together: either every limit has room and one event is
 *       recorded under each, or nothing is recorded.
 *   <li>{@link Limited#retryAfter()} is the time until every refusing limit has room again,
 *       rounded up to whole seconds and at least one second: if no other event is accepted
 *       meanwhile, the same attempt made that much later is allowed.
 *   <li>Memory is bounded: a limit keeps 8 bytes per accepted event still in its window (so at
 *       most {@code 8 * max} bytes plus a small constant); a key whose events have all left
 *       the window is forgotten (swept by the first call at least a second after the last sweep,
 *       and before any eviction); at most {@code maxKeys} are tracked.
 *   <li>Time never goes backwards: a clock that steps back is read as standing still at the
 *       latest instant seen, so a clock change cannot free capacity.
 * </ul>
 *
 * <p>Tracked limits are identified by scope, key and {@link Limit}: the same key checked with
 * two limits (a burst limit and a sustained one, say) has two independent logs, and changing
 * a configured limit starts its counting afresh.
 *
 * <p>Eviction fails open for the evicted key: when {@code maxKeys} keys all have events in
 * their window and a new one arrives, the least recently used is forgotten with its events.
 * Size {@code maxKeys} above the number of keys expected to be active within one window.
 */
public final class RateLimiter {

  private final Clock clock;
  private final int maxKeys;
  private final Instant origin;
  /** Guarded by {@code this}; access order, eldest first. */
  private final LinkedHashMap<Check, Log> logs = new LinkedHashMap<>(16, 0.75f, true);
  /** Guarded by {@code this}; nanoseconds since {@link #origin}, never decreasing. */
  private long latest;
  /** Guarded by {@code this}; when idle keys were last swept. */
  private long lastSweep;

  private static final long SWEEP_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /**
   * @param clock the time source; read once per call
   * @param maxKeys the most limits tracked at once, at least 1
   */
  public RateLimiter(Clock clock, int maxKeys) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be at least 1, not " + maxKeys);
    }
    this.maxKeys = maxKeys;
    this.origin = clock.instant();
  }

  /**
   * One decision for several limits at once: either every limit has room and one event is
   * recorded under each, or none is recorded and the answer names the limit that refused and
   * how long until the earliest retry could succeed. Equal checks count once; an empty list is
   * allowed.
   *
   * @throws IllegalArgumentException if there are more distinct checks than {@code maxKeys}
   */
  public Decision tryAcquire(List<Check> checks) {
    Set<Check> distinct = new LinkedHashSet<>(List.copyOf(checks)); // copyOf refuses null elements
    if (distinct.size() > maxKeys) {
      throw new IllegalArgumentException(distinct.size() + " checks at once, more than maxKeys " + maxKeys);
    }
    synchronized (this) {
      long now = now();
      sweepIfDue(now);
      Limited refusal = null;
      long longestWait = 0;
      for (Check check : distinct) {
        Log log = logs.get(check); // also marks it most recently used
        if (log == null) {
          continue; // an untracked limit is empty; max >= 1, so it has room
        }
        long window = check.limit().window().toNanos();
        log.expire(now, window);
        if (log.size() < check.limit().max()) {
          continue;
        }
        long wait = log.oldest() + window - now; // > 0: the oldest has not expired
        if (refusal == null || wait > longestWait) {
          longestWait = wait;
          refusal = new Limited(check.scope(), check.key(), check.limit(), roundUpToSeconds(wait));
        }
      }
      if (refusal != null) {
        return refusal;
      }
      for (Check check : distinct) {
        Log log = logs.get(check);
        if (log == null) {
          makeRoomForOne(now);
          log = new Log();
          logs.put(check, log);
        }
        log.add(now, check.limit().max());
      }
      return new Allowed();
    }
  }

  /** How many limits are tracked now, after forgetting those whose events have all left their window. */
  public synchronized int trackedKeys() {
    sweep(now());
    return logs.size();
  }

  /** For tests: how many limits are held in memory now, without sweeping. */
  synchronized int heldKeys() {
    return logs.size();
  }

  // ---- internals; callers hold the lock

  private long now() {
    long t = Duration.between(origin, clock.instant()).toNanos();
    if (t > latest) {
      latest = t;
    }
    return latest;
  }

  private void sweepIfDue(long now) {
    if (now - lastSweep >= SWEEP_INTERVAL_NANOS) {
      sweep(now);
    }
  }

  private void sweep(long now) {
    lastSweep = now;
    Iterator<Map.Entry<Check, Log>> it = logs.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Check, Log> e = it.next();
      if (e.getValue().expire(now, e.getKey().limit().window().toNanos())) {
        it.remove();
      }
    }
  }

  /**
   * Ensures one more limit fits. The limits of the current call were all touched in the
   * checking pass, so they are the most recently used and the eldest is never one of them
   * (there are at most maxKeys of them, and at least one is not yet tracked).
   */
  private void makeRoomForOne(long now) {
    if (logs.size() < maxKeys) {
      return;
    }
    sweep(now);
    Iterator<Check> eldest = logs.keySet().iterator();
    while (logs.size() >= maxKeys) {
      eldest.next();
      eldest.remove();
    }
  }

  private static Duration roundUpToSeconds(long nanos) {
    long seconds = nanos / NANOS_PER_SECOND + (nanos % NANOS_PER_SECOND == 0 ? 0 : 1);
    return Duration.ofSeconds(Math.max(1, seconds));
  }

  /** The accepted events of one limit still in its window: a ring of timestamps, oldest first. */
  private static final class Log {
    private static final int MIN_CAPACITY = 4;
    private long[] ring = new long[MIN_CAPACITY];
    private int head;
    private int size;

    int size() {
      return size;
    }

    long oldest() {
      return ring[head];
    }

    /** Drops events that have left the window; true if none is left. */
    boolean expire(long now, long window) {
      while (size > 0 && ring[head] + window <= now) {
        head = (head + 1) % ring.length;
        size--;
      }
      if (size == 0) {
        head = 0;
      }
      if (ring.length > MIN_CAPACITY && size < ring.length / 4) {
        resize(Math.max(MIN_CAPACITY, ring.length / 2));
      }
      return size == 0;
    }

    void add(long now, int max) {
      if (size == ring.length) {
        resize((int) Math.min((long) max, 2L * ring.length));
      }
      ring[(head + size) % ring.length] = now;
      size++;
    }

    private void resize(int capacity) {
      long[] next = new long[Math.max(capacity, size)];
      for (int i = 0; i < size; i++) {
        next[i] = ring[(head + i) % ring.length];
      }
      ring = next;
      head = 0;
    }
  }

  /** One limit to check: {@code scope} says what the key names ("agent", "action", "source"). */
  public record Check(String scope, String key, Limit limit) {
    public Check {
      Objects.requireNonNull(scope, "scope");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(limit, "limit");
      if (scope.isEmpty()) {
        throw new IllegalArgumentException("a check's scope is not empty");
      }
    }
  }

  /** The outcome of {@link #tryAcquire}. */
  public sealed interface Decision permits Allowed, Limited {}

  /** Every limit had room; one event was recorded under each. */
  public record Allowed() implements Decision {}

  /**
   * Refused; nothing was recorded.
   *
   * @param scope the scope of the limit that refused (the one with the longest wait)
   * @param key the key of the limit that refused
   * @param limit the limit that refused
   * @param retryAfter at least 1 second, a whole number of seconds
   */
  public record Limited(String scope, String key, Limit limit, Duration retryAfter) implements Decision {
    public Limited {
      Objects.requireNonNull(scope, "scope");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(limit, "limit");
      Objects.requireNonNull(retryAfter, "retryAfter");
      if (retryAfter.getNano() != 0 || retryAfter.getSeconds() < 1) {
        throw new IllegalArgumentException("retryAfter is a whole number of seconds, at least 1, not " + retryAfter);
      }
    }
  }
}
