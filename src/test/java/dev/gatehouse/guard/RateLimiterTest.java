package dev.gatehouse.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.guard.RateLimiter.Allowed;
import dev.gatehouse.guard.RateLimiter.Check;
import dev.gatehouse.guard.RateLimiter.Decision;
import dev.gatehouse.guard.RateLimiter.Limited;
import dev.gatehouse.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final Allowed ALLOWED = new Allowed();

  private final MutableClock clock = new MutableClock(T0);

  private static Check agent(String key, String limit) {
    return new Check("agent", key, Limit.parse(limit));
  }

  private static Check action(String key, String limit) {
    return new Check("action", key, Limit.parse(limit));
  }

  private static Decision acquire(RateLimiter limiter, Check... checks) {
    return limiter.tryAcquire(List.of(checks));
  }

  private static Limited limited(Check check, long retrySeconds) {
    return new Limited(check.scope(), check.key(), check.limit(), Duration.ofSeconds(retrySeconds));
  }

  private void at(String offset) {
    clock.set(T0.plus(Duration.parse(offset)));
  }

  // ---- one limit

  @Test
  void tryAcquire_exactlyMaxInAWindow_thenRefused() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "5/minute");
    for (int i = 0; i < 5; i++) {
      assertThat(acquire(limiter, bob)).as("attempt %d", i + 1).isEqualTo(ALLOWED);
    }
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 60));
    assertThat(acquire(limiter, agent("alice", "5/minute"))).as("another key has its own count").isEqualTo(ALLOWED);
  }

  @Test
  void tryAcquire_windowSlides_eventsLeaveExactlyOneWindowAfterTheyWereAccepted() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "3/10s");
    at("PT0S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    at("PT4S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    at("PT8S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    at("PT9.999999999S");
    assertThat(acquire(limiter, bob)).as("the event at 0 s is still inside").isEqualTo(limited(bob, 1));
    at("PT10S");
    assertThat(acquire(limiter, bob)).as("the event at 0 s has left").isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).as("4 s, 8 s and 10 s are inside").isEqualTo(limited(bob, 4));
    at("PT13.5S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 1));
    at("PT14S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    at("PT18S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).as("10 s, 14 s and 18 s are inside").isEqualTo(limited(bob, 2));
  }

  @Test
  void tryAcquire_refusedAttempts_areNotCounted() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "2/10s");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    for (int second = 1; second < 10; second++) {
      at("PT" + second + "S");
      assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 10 - second));
    }
    at("PT10S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 10));
  }

  @Test
  void retryAfter_isTheWaitForTheOldestEventRoundedUpToWholeSecondsAtLeastOne() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "1/minute");
    at("PT0.25S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 60));
    at("PT0.250000001S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 60)); // 59.999999999 s
    at("PT1.25S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 59));
    at("PT1.5S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 59)); // 58.75 s
    at("PT60S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 1)); // 0.25 s
    at("PT60.249999999S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 1)); // 1 ns
    at("PT60.25S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
  }

  @Test
  void retryAfter_retryingThatMuchLater_succeeds() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "3/30s");
    for (String t : List.of("PT0.1S", "PT7.3S", "PT7.3S")) {
      at(t);
      assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    }
    at("PT12.7S");
    Limited refused = (Limited) acquire(limiter, bob);
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(18)); // 30.1 - 12.7 = 17.4
    clock.advance(refused.retryAfter().minusNanos(600_000_001)); // 30.099999999 s: one nanosecond early
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 1));
    at("PT12.7S");
    clock.advance(refused.retryAfter());
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
  }

  @Test
  void tryAcquire_clockSteppingBack_doesNotFreeCapacity() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "1/10s");
    at("PT1H");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    at("PT0S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 10));
    at("PT1H9S");
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 1));
    at("PT1H10S");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
  }

  @Test
  void tryAcquire_sameKeyUnderTwoLimits_countsEachIndependently() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check burst = agent("bob", "2/second");
    Check sustained = agent("bob", "3/minute");
    assertThat(acquire(limiter, burst, sustained)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, burst, sustained)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, burst, sustained)).isEqualTo(limited(burst, 1));
    at("PT1S");
    assertThat(acquire(limiter, burst, sustained)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, burst, sustained)).isEqualTo(limited(sustained, 59));
  }

  // ---- several limits at once

  @Test
  void tryAcquire_refusalByOneLimit_recordsNothingUnderTheOthers() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "3/minute");
    Check deploy = action("deploy", "1/minute");
    assertThat(acquire(limiter, bob, deploy)).isEqualTo(ALLOWED);
    for (int i = 0; i < 10; i++) {
      assertThat(acquire(limiter, bob, deploy)).isEqualTo(limited(deploy, 60));
    }
    // bob has one event, not eleven
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 60));
  }

  @Test
  void tryAcquire_refusalByALaterLimit_recordsNothingUnderAnEarlierNewKey() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check deploy = action("deploy", "1/minute");
    assertThat(acquire(limiter, deploy)).isEqualTo(ALLOWED);
    Check carol = agent("carol", "1/minute");
    assertThat(acquire(limiter, carol, deploy)).isEqualTo(limited(deploy, 60));
    assertThat(limiter.trackedKeys()).as("carol is not tracked").isEqualTo(1);
    assertThat(acquire(limiter, carol)).isEqualTo(ALLOWED);
  }

  @Test
  void tryAcquire_allowed_recordsOneEventUnderEveryLimit() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "1/minute");
    Check deploy = action("deploy", "1/minute");
    Check source = new Check("source", "192.0.2.7", Limit.parse("1/minute"));
    assertThat(acquire(limiter, bob, deploy, source)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 60));
    assertThat(acquire(limiter, deploy)).isEqualTo(limited(deploy, 60));
    assertThat(acquire(limiter, source)).isEqualTo(limited(source, 60));
  }

  @Test
  void retryAfter_withSeveralFullLimits_isTheLongestWaitAndNamesThatLimit() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "1/10s");
    Check deploy = action("deploy", "1/minute");
    Check other = action("other", "1/30s");
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    at("PT5S");
    assertThat(acquire(limiter, deploy, other)).isEqualTo(ALLOWED);
    at("PT6S");
    assertThat(acquire(limiter, bob, deploy, other)).isEqualTo(limited(deploy, 59));
    assertThat(acquire(limiter, other, bob)).isEqualTo(limited(other, 29));
    at("PT10S");
    assertThat(acquire(limiter, bob)).as("bob alone would be allowed now").isEqualTo(ALLOWED);
  }

  @Test
  void retryAfter_tiedWaits_nameTheFirstCheck() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "1/minute");
    Check deploy = action("deploy", "1/minute");
    assertThat(acquire(limiter, bob, deploy)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob, deploy)).isEqualTo(limited(bob, 60));
    assertThat(acquire(limiter, deploy, bob)).isEqualTo(limited(deploy, 60));
  }

  @Test
  void tryAcquire_equalChecks_countOnce() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check bob = agent("bob", "2/minute");
    assertThat(acquire(limiter, bob, bob, agent("bob", "2/minute"))).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, bob)).isEqualTo(limited(bob, 60));
  }

  @Test
  void tryAcquire_noChecks_isAllowed() {
    assertThat(new RateLimiter(clock, 1).tryAcquire(List.of())).isEqualTo(ALLOWED);
  }

  @Test
  void tryAcquire_misuse_isRefused() {
    RateLimiter limiter = new RateLimiter(clock, 2);
    assertThatThrownBy(() -> limiter.tryAcquire(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> limiter.tryAcquire(Arrays.asList(agent("bob", "1/minute"), null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> acquire(limiter, agent("a", "1/minute"), agent("b", "1/minute"), agent("c", "1/minute")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("3 checks at once, more than maxKeys 2");
    assertThat(limiter.trackedKeys()).isZero();
    assertThatThrownBy(() -> new RateLimiter(clock, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RateLimiter(null, 1)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Check("", "bob", Limit.parse("1/minute"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Check("agent", null, Limit.parse("1/minute"))).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Limited("agent", "bob", Limit.parse("1/minute"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Limited("agent", "bob", Limit.parse("1/minute"), Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- memory

  @Test
  void trackedKeys_keyIdleForItsWindow_isForgotten() {
    RateLimiter limiter = new RateLimiter(clock, 100);
    assertThat(acquire(limiter, agent("bob", "1/10s"), action("deploy", "5/minute"))).isEqualTo(ALLOWED);
    assertThat(limiter.trackedKeys()).isEqualTo(2);
    at("PT9.999999999S");
    assertThat(limiter.trackedKeys()).isEqualTo(2);
    at("PT10S");
    assertThat(limiter.trackedKeys()).isEqualTo(1);
    at("PT59.999999999S");
    assertThat(limiter.trackedKeys()).isEqualTo(1);
    at("PT60S");
    assertThat(limiter.trackedKeys()).isZero();
  }

  @Test
  void tryAcquire_aSecondAfterTheLastSweep_forgetsIdleKeys() {
    RateLimiter limiter = new RateLimiter(clock, 1_000_000);
    for (int i = 0; i < 1000; i++) {
      acquire(limiter, new Check("source", "192.0.2." + i, Limit.parse("1/second")));
    }
    assertThat(limiter.heldKeys()).isEqualTo(1000);
    at("PT1S");
    acquire(limiter, agent("bob", "1/minute")); // a call at least a second after the last sweep sweeps
    assertThat(limiter.heldKeys()).isEqualTo(1);
  }

  @Test
  void tryAcquire_beyondMaxKeys_evictsTheLeastRecentlyUsed() {
    RateLimiter limiter = new RateLimiter(clock, 3);
    Check a = agent("a", "1/minute");
    Check b = agent("b", "1/minute");
    Check c = agent("c", "1/minute");
    Check d = agent("d", "1/minute");
    assertThat(acquire(limiter, a)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, b)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, c)).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, a)).as("a refused attempt is a use").isEqualTo(limited(a, 60));
    assertThat(acquire(limiter, d)).isEqualTo(ALLOWED); // evicts b, the least recently used
    assertThat(limiter.trackedKeys()).isEqualTo(3);
    assertThat(acquire(limiter, a)).isEqualTo(limited(a, 60));
    assertThat(acquire(limiter, d)).isEqualTo(limited(d, 60));
    assertThat(acquire(limiter, b)).as("b was forgotten").isEqualTo(ALLOWED); // evicts c
    assertThat(acquire(limiter, a)).isEqualTo(limited(a, 60));
    assertThat(acquire(limiter, b)).isEqualTo(limited(b, 60));
    assertThat(acquire(limiter, c)).as("c was forgotten").isEqualTo(ALLOWED);
    assertThat(limiter.trackedKeys()).isEqualTo(3);
  }

  @Test
  void tryAcquire_beyondMaxKeys_forgetsIdleKeysBeforeEvictingLiveOnes() {
    RateLimiter limiter = new RateLimiter(clock, 2);
    Check live = agent("live", "1/minute");
    Check idle = agent("idle", "1/second");
    assertThat(acquire(limiter, live)).isEqualTo(ALLOWED);
    at("PT0.5S");
    assertThat(acquire(limiter, idle)).isEqualTo(ALLOWED);
    at("PT1S"); // the periodic sweep runs here, while idle is still inside its window
    assertThat(acquire(limiter, idle)).isEqualTo(limited(idle, 1));
    at("PT1.5S"); // idle has left its window; live is the least recently used
    assertThat(acquire(limiter, agent("new", "1/minute"))).isEqualTo(ALLOWED);
    assertThat(acquire(limiter, live)).as("live was kept").isEqualTo(limited(live, 59));
  }

  @Test
  void tryAcquire_oneCallWithMaxKeysNewChecks_keepsThemAll() {
    RateLimiter limiter = new RateLimiter(clock, 3);
    assertThat(acquire(limiter, agent("old", "1/minute"))).isEqualTo(ALLOWED);
    Check a = agent("a", "1/minute");
    Check b = action("b", "1/minute");
    Check c = new Check("source", "c", Limit.parse("1/minute"));
    assertThat(acquire(limiter, a, b, c)).isEqualTo(ALLOWED);
    assertThat(limiter.trackedKeys()).isEqualTo(3);
    assertThat(acquire(limiter, a)).isEqualTo(limited(a, 60));
    assertThat(acquire(limiter, b)).isEqualTo(limited(b, 60));
    assertThat(acquire(limiter, c)).isEqualTo(limited(c, 60));
  }

  // ---- concurrency

  @Test
  void tryAcquire_manyThreadsFixedClock_exactlyMaxSucceed() throws Exception {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check shared = action("deploy", "500/minute");
    int threads = 16;
    int attemptsEach = 200;
    AtomicInteger allowed = new AtomicInteger();
    runConcurrently(threads, t -> {
      for (int i = 0; i < attemptsEach; i++) {
        if (limiter.tryAcquire(List.of(shared)) instanceof Allowed) {
          allowed.incrementAndGet();
        }
      }
    });
    assertThat(allowed).hasValue(500);
    assertThat(acquire(limiter, shared)).isEqualTo(limited(shared, 60));
  }

  @Test
  void tryAcquire_manyThreadsSeveralLimits_neverRecordPartially() throws Exception {
    RateLimiter limiter = new RateLimiter(clock, 100);
    Check shared = action("deploy", "250/minute");
    int threads = 8;
    int[] allowedPerAgent = new int[threads];
    runConcurrently(threads, t -> {
      Check own = agent("agent-" + t, "40/minute");
      for (int i = 0; i < 100; i++) {
        if (limiter.tryAcquire(List.of(own, shared)) instanceof Allowed) {
          allowedPerAgent[t]++;
        }
      }
    });
    // 8 agents x 40 = 320 > 250: the shared limit binds, and every agent stays within its own
    assertThat(Arrays.stream(allowedPerAgent).sum()).isEqualTo(250);
    assertThat(Arrays.stream(allowedPerAgent).max().orElseThrow()).isLessThanOrEqualTo(40);
    // each agent's own log holds exactly its allowed count: the remaining room matches
    for (int t = 0; t < threads; t++) {
      Check own = agent("agent-" + t, "40/minute");
      int more = 0;
      while (acquire(limiter, own) instanceof Allowed) {
        more++;
      }
      assertThat(more).as("agent-%d", t).isEqualTo(40 - allowedPerAgent[t]);
    }
  }

  private interface Worker {
    void run(int thread) throws Exception;
  }

  private static void runConcurrently(int threads, Worker worker) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          worker.run(thread);
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- against a reference: every accepted timestamp per limit, kept forever

  sealed interface Op {}

  record Advance(long nanos) implements Op {}

  record Acquire(List<Check> checks) implements Op {}

  private static final List<Check> UNIVERSE = List.of(
      agent("bob", "2/second"),
      agent("bob", "3/5s"),
      agent("alice", "3/5s"),
      action("deploy", "4/10s"),
      action("read", "1/2s"),
      new Check("source", "192.0.2.7", Limit.parse("5/minute")));

  /** The naive sliding log: an event at t is inside at now while now - t < window. */
  static final class Reference {
    final Map<Check, List<Long>> accepted = new HashMap<>();

    Decision tryAcquire(List<Check> checks, long now) {
      Limited refusal = null;
      long longestWait = 0;
      for (Check check : new LinkedHashSet<>(checks)) {
        long window = check.limit().window().toNanos();
        List<Long> inside = accepted.getOrDefault(check, List.of()).stream()
            .filter(t -> now - t < window).sorted().toList();
        int excess = inside.size() - check.limit().max();
        if (excess >= 0) {
          long wait = inside.get(excess) + window - now;
          if (refusal == null || wait > longestWait) {
            longestWait = wait;
            long seconds = Math.max(1, (wait + 999_999_999) / 1_000_000_000);
            refusal = new Limited(check.scope(), check.key(), check.limit(), Duration.ofSeconds(seconds));
          }
        }
      }
      if (refusal != null) {
        return refusal;
      }
      for (Check check : new LinkedHashSet<>(checks)) {
        accepted.computeIfAbsent(check, k -> new ArrayList<>()).add(now);
      }
      return new Allowed();
    }

    long limitsWithEventsInside(long now) {
      return accepted.entrySet().stream()
          .filter(e -> e.getValue().stream().anyMatch(t -> now - t < e.getKey().limit().window().toNanos()))
          .count();
    }
  }

  @Property(tries = 300)
  void tryAcquire_matchesTheNaiveSlidingLog(@ForAll("operations") List<Op> ops) {
    MutableClock clock = new MutableClock(T0);
    RateLimiter limiter = new RateLimiter(clock, 1000);
    Reference reference = new Reference();
    long now = 0;
    for (Op op : ops) {
      switch (op) {
        case Advance a -> {
          now += a.nanos();
          clock.advance(Duration.ofNanos(a.nanos()));
        }
        case Acquire a -> assertThat(limiter.tryAcquire(a.checks()))
            .as("%s at %d ns", a.checks(), now)
            .isEqualTo(reference.tryAcquire(a.checks(), now));
      }
    }
    assertThat(limiter.trackedKeys()).isEqualTo(reference.limitsWithEventsInside(now));
  }

  @Property(tries = 100)
  void trackedKeys_neverExceedsMaxKeys(
      @ForAll("operations") List<Op> ops, @ForAll @IntRange(min = 3, max = 6) int maxKeys) {
    MutableClock clock = new MutableClock(T0);
    RateLimiter limiter = new RateLimiter(clock, maxKeys);
    for (Op op : ops) {
      switch (op) {
        case Advance a -> clock.advance(Duration.ofNanos(a.nanos()));
        case Acquire a -> {
          limiter.tryAcquire(a.checks());
          assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(maxKeys);
        }
      }
    }
  }

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<Op> advance = Arbitraries.oneOf(
        Arbitraries.longs().between(0, 3_000_000_000L),
        Arbitraries.of(1L, 999_999_999L, 1_000_000_000L, 2_000_000_000L, 5_000_000_000L),
        Arbitraries.longs().between(0, 1000).map(ms -> ms * 1_000_000L)).map(Advance::new);
    Arbitrary<Op> acquire = Arbitraries.of(UNIVERSE).list().ofMinSize(0).ofMaxSize(3).map(Acquire::new);
    return Arbitraries.frequencyOf(
        Tuple.of(1, advance),
        Tuple.of(3, acquire)).list().ofMaxSize(120);
  }
}
