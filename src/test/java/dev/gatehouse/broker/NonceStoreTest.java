package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.gatehouse.store.StateDb;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NonceStoreTest {
  private static final Duration KEEP = Duration.ofMinutes(5);
  private static final Duration NO_HANG = Duration.ofSeconds(30); // a hang guard, not a timing assertion
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir
  Path temp;

  private StateDb db;
  private NonceStore store;

  @BeforeEach
  void open() throws Exception {
    db = StateDb.open(temp.resolve(StateDb.FILE));
    store = new NonceStore(db, KEEP);
  }

  @AfterEach
  void close() {
    store.close();
    db.close();
  }

  @Test
  void close_commitsWhatIsQueued_andALaterUseStillWorks() throws Exception {
    var recording = store.use("k", "queued", T0, "bot").orElseThrow();
    store.close();
    assertThat(rows("k")).as("committed by the time close returns").isEqualTo(1);
    recording.await();
    assertThat(store.firstUse("k", "queued", T0)).isFalse();
    assertThat(store.firstUse("k", "after-close", T0)).isTrue();
    assertThat(rows("k")).isEqualTo(2);
  }

  @Test
  void firstUse_isTrueOnce_perKeyAndNonce() throws Exception {
    assertThat(store.firstUse("k1", "n", T0)).isTrue();
    assertThat(store.firstUse("k1", "n", T0.plusSeconds(1))).isFalse();
    assertThat(store.firstUse("k2", "n", T0.plusSeconds(1))).isTrue();
    assertThat(rows("k1")).isEqualTo(1);
  }

  @Test
  void aReplay_isRefused_afterTheDatabaseIsClosedAndReopened() throws Exception {
    assertThat(store.firstUse("k", "n", T0, "bot")).isTrue();
    db.close();
    db = StateDb.open(temp.resolve(StateDb.FILE));
    store = new NonceStore(db, KEEP);

    assertThat(store.firstUse("k", "n", T0.plusSeconds(10), "bot")).isFalse();
    assertThat(store.lastUsed("bot")).contains(T0); // the replay noted no use
  }

  @Test
  void aNonce_isRememberedForTheKeepTime_andPurgedAfter() throws Exception {
    assertThat(store.firstUse("k", "n", T0)).isTrue();
    assertThat(store.firstUse("k", "n", T0.plus(KEEP).minusMillis(1))).isFalse(); // a purge ran, and kept it
    assertThat(store.firstUse("k", "n", T0.plus(KEEP).plusSeconds(2))).isTrue();
    assertThat(rows("k")).as("the expired row was deleted from state.db").isEqualTo(1);
  }

  @Test
  void afterARestart_onlyNoncesWithinTheKeepTime_areRemembered() throws Exception {
    assertThat(store.firstUse("k", "old", T0)).isTrue();
    assertThat(store.firstUse("k", "recent", T0.plus(KEEP).minusSeconds(10))).isTrue();
    db.close();
    db = StateDb.open(temp.resolve(StateDb.FILE));
    store = new NonceStore(db, KEEP);

    Instant later = T0.plus(KEEP).plusSeconds(1);
    assertThat(store.firstUse("k", "recent", later)).isFalse();
    assertThat(store.firstUse("k", "old", later)).isTrue();
  }

  @Test
  void agentUsage_isNotedOnAFirstUse_only() throws Exception {
    assertThat(store.lastUsed("bot")).isEmpty();
    store.firstUse("k", "n1", T0, "bot");
    assertThat(store.lastUsed("bot")).contains(T0);
    store.firstUse("k", "n1", T0.plusSeconds(5), "bot");
    assertThat(store.lastUsed("bot")).contains(T0);
    store.firstUse("k", "n2", T0.plusSeconds(7), "bot");
    assertThat(store.lastUsed("bot")).contains(T0.plusSeconds(7));
  }

  /** 2,000 nonces, each sent two or three times from different threads: exactly one first use each. */
  @ParameterizedTest(name = "virtual threads: {0}")
  @ValueSource(booleans = {false, true})
  void concurrentCallers_getExactlyOneFirstUsePerNonce_andEveryRowIsThere(boolean virtual) throws Exception {
    int threads = 16;
    int nonces = 2000;
    List<List<Integer>> work = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      work.add(new ArrayList<>());
    }
    int calls = 0;
    for (int n = 0; n < nonces; n++) {
      int copies = 2 + n % 2;
      for (int c = 0; c < copies; c++) {
        work.get((n + 5 * c) % threads).add(n); // 0, 5 and 10 apart: always different threads
        calls++;
      }
    }
    Random random = new Random(42);
    work.forEach(w -> Collections.shuffle(w, random));
    AtomicIntegerArray firsts = new AtomicIntegerArray(nonces);
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch start = new CountDownLatch(1);

    assertTimeoutPreemptively(NO_HANG, () -> {
      List<Thread> started = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        List<Integer> mine = work.get(t);
        String agent = "agent-" + t % 4;
        Runnable run = () -> {
          try {
            start.await();
            for (int n : mine) {
              if (store.firstUse("k", "nonce-" + n, T0.plusMillis(n), agent)) {
                firsts.incrementAndGet(n);
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        };
        started.add(virtual ? Thread.ofVirtual().start(run) : Thread.ofPlatform().start(run));
      }
      start.countDown();
      for (Thread t : started) {
        t.join();
      }
    });

    assertThat(failures).isEmpty();
    for (int n = 0; n < nonces; n++) {
      assertThat(firsts.get(n)).as("first uses of nonce-%d", n).isEqualTo(1);
    }
    assertThat(rows("k")).isEqualTo(nonces);
    assertThat(store.batches()).isBetween(1L, (long) calls);
  }

  /**
   * While the database is held by another transaction, the writer's first batch waits for it
   * and every later first use queues (a duplicate is answered from memory at once). When it is
   * let go, the queue goes in one more transaction.
   */
  @Test
  void concurrentCallers_shareTransactions_andDuplicatesInABatchGetFalse() throws Exception {
    int callers = 32; // 16 nonces, each twice
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Boolean[] results = new Boolean[callers];
    Throwable[] failures = new Throwable[callers];

    store.firstUse("warm", "up", T0); // the store reads state.db once, before the database is held
    long batchesBefore = store.batches();
    assertTimeoutPreemptively(NO_HANG, () -> {
      Thread holder = Thread.ofVirtual().start(() -> hold(holding, release, false));
      holding.await();
      List<Thread> started = startCallers(results, failures,
          id -> store.firstUse("k", "nonce-" + id % 16, T0.plusMillis(id), "agent-" + id % 3));
      // A duplicate is answered from memory at once; the 16 first uses queue for the database.
      awaitState(() -> store.waiting() == 16 && Arrays.stream(started.toArray(Thread[]::new))
          .filter(Thread::isAlive).count() == 16);
      release.countDown();
      holder.join();
      for (Thread t : started) {
        t.join();
      }
    });

    assertThat(failures).containsOnlyNulls();
    Map<Integer, Integer> firsts = new HashMap<>();
    Map<String, Long> latestFirstUse = new HashMap<>();
    for (int i = 0; i < callers; i++) {
      if (results[i]) {
        firsts.merge(i % 16, 1, Integer::sum);
        latestFirstUse.merge("agent-" + i % 3, T0.plusMillis(i).toEpochMilli(), Math::max);
      }
    }
    assertThat(firsts).hasSize(16).allSatisfy((nonce, count) -> assertThat(count).isEqualTo(1));
    assertThat(rows("k")).isEqualTo(16);
    for (Map.Entry<String, Long> e : latestFirstUse.entrySet()) {
      assertThat(store.lastUsed(e.getKey())).contains(Instant.ofEpochMilli(e.getValue()));
    }
    // The first caller's batch, then everyone else's: far fewer transactions than calls.
    assertThat(store.batches() - batchesBefore).isBetween(1L, 2L);
  }

  @Test
  void whenTheDatabaseIsClosedUnderABatch_everyWaiterGetsTheFailure_andLaterCallsFailToo() throws Exception {
    int callers = 12;
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Throwable[] failures = new Throwable[callers];
    Boolean[] results = new Boolean[callers];

    store.firstUse("warm", "up", T0); // the store reads state.db once, before the database is held
    long batchesBefore = store.batches();
    assertTimeoutPreemptively(NO_HANG, () -> {
      Thread holder = Thread.ofVirtual().start(() -> hold(holding, release, true));
      holding.await();
      List<Thread> started = startCallers(results, failures, id -> store.firstUse("k", "nonce-" + id, T0, "bot"));
      awaitState(() -> store.waiting() == callers);
      release.countDown(); // the holder closes the connection
      holder.join();
      for (Thread t : started) {
        t.join();
      }
      assertThatThrownBy(() -> store.firstUse("k", "later", T0)).isInstanceOf(SQLException.class);
    });

    assertThat(results).containsOnlyNulls();
    assertThat(failures).allSatisfy(f -> assertThat(f).isInstanceOf(SQLException.class).hasCauseInstanceOf(SQLException.class));
    assertThat(store.batches() - batchesBefore).isBetween(1L, 3L); // the failing batches had many waiters (+ the later call)
  }

  @Test
  void aFailedBatch_recordsNothing_itsNonceStaysUsed_andTheStoreWorksOnceTheDatabaseDoes() throws Exception {
    store.firstUse("warm", "up", T0);
    renameLog("nonce_log", "nonce_log_away");
    assertThatThrownBy(() -> store.firstUse("k", "n", T0, "bot")).isInstanceOf(SQLException.class)
        .hasMessageContaining("nonce_log");
    renameLog("nonce_log_away", "nonce_log");
    assertThat(store.lastUsed("bot")).isEmpty();
    assertThat(rows("k")).isZero();
    assertThat(store.firstUse("k", "n", T0, "bot")).as("fail closed: a refused nonce is not reopened").isFalse();
    assertThat(store.firstUse("k", "n2", T0, "bot")).isTrue();
    assertThat(store.lastUsed("bot")).contains(T0);
  }

  @Test
  void whenStateDbCannotBeRead_noCallIsAccepted_untilItCan() throws Exception {
    renameLog("nonce_log", "nonce_log_away");
    assertThatThrownBy(() -> store.firstUse("k", "n", T0)).isInstanceOf(SQLException.class);
    renameLog("nonce_log_away", "nonce_log");
    assertThat(store.firstUse("k", "n", T0)).isTrue();
  }

  private void renameLog(String from, String to) throws SQLException {
    db.transaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("ALTER TABLE " + from + " RENAME TO " + to);
      }
      return null;
    });
  }

  // ---- helpers ----------------------------------------------------------------------------

  interface Caller {
    boolean call(int id) throws Exception;
  }

  /** One virtual thread per slot of {@code results}; each records its answer or its failure. */
  private static List<Thread> startCallers(Boolean[] results, Throwable[] failures, Caller caller) {
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < results.length; i++) {
      int id = i;
      started.add(Thread.ofVirtual().start(() -> {
        try {
          results[id] = caller.call(id);
        } catch (Throwable e) {
          failures[id] = e;
        }
      }));
    }
    return started;
  }

  /** Holds the database in a transaction until {@code release}; then closes the connection if asked. */
  private void hold(CountDownLatch holding, CountDownLatch release, boolean closeIt) {
    try {
      db.transaction(c -> {
        holding.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        if (closeIt) {
          c.close();
        }
        return null;
      });
    } catch (SQLException e) {
      if (!closeIt) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Waits for a state of the store (not for time); the enclosing timeout guards against a hang. */
  private static void awaitState(BooleanSupplier state) {
    while (!state.getAsBoolean()) {
      Thread.yield();
    }
  }

  private int rows(String keyId) throws SQLException {
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT count(*) FROM nonce_log WHERE keyid = ?")) {
        s.setString(1, keyId);
        try (var rs = s.executeQuery()) {
          return rs.getInt(1);
        }
      }
    });
  }
}
