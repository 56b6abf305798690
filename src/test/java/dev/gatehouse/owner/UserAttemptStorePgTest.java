package dev.gatehouse.owner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.otp.AttemptState;
import dev.gatehouse.otp.AttemptStore;
import dev.gatehouse.otp.PgAttemptStore;
import dev.gatehouse.store.HomeLock;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.testing.TestPostgres;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Owner-plane users' TOTP state on a real PostgreSQL ({@link TestPostgres}), from three replicas. */
class UserAttemptStorePgTest {
  @TempDir
  Path temp;

  private final List<PgStateDb> replicas = new ArrayList<>();

  @BeforeEach
  void openThreeReplicas() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    for (int i = 0; i < 3; i++) {
      replicas.add(PgStateDb.open(d.connector()));
    }
  }

  @AfterEach
  void close() {
    replicas.forEach(PgStateDb::close);
  }

  private AttemptStore store(int replica, String user) {
    return UserAttemptStore.of(replicas.get(replica), new HomeLock(temp.resolve("lock" + replica)), user);
  }

  @Test
  void of_onPostgres_locksTheUsersRow_notTheHomeLock() {
    assertThat(store(0, "alice")).isInstanceOf(PgAttemptStore.class);
  }

  @Test
  void parallelReadCheckWrites_overThreeReplicas_loseNoUpdate() throws Exception {
    int n = 30;
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        AttemptStore s = store(i % 3, "alice");
        done.add(pool.submit(() -> {
          go.await();
          return s.exclusive(held -> {
            AttemptState a = held.load();
            held.save(new AttemptState(a.lastAcceptedStep(), a.failures() + 1, null));
            return a.failures();
          });
        }));
      }
      go.countDown();
      List<Integer> seen = new ArrayList<>();
      for (Future<Integer> f : done) {
        seen.add(f.get());
      }
      assertThat(seen).as("each section saw the one before it").doesNotHaveDuplicates();
    } finally {
      pool.shutdown();
    }
    assertThat(store(1, "alice").exclusive(AttemptStore.Held::load).failures()).isEqualTo(n);
    assertThat(store(2, "bob").exclusive(AttemptStore.Held::load)).as("users are apart").isEqualTo(AttemptState.INITIAL);
  }

  @Test
  void theRow_isTheSameForTheRowLockedStore_andTheSqlOfUserAttemptStore() throws Exception {
    Instant locked = Instant.parse("2026-11-22T10:15:00Z");
    AttemptState state = new AttemptState(59_000_000L, 0, locked);
    store(0, "alice").exclusive(held -> {
      held.save(state);
      return null;
    });
    UserAttemptStore plain = new UserAttemptStore(replicas.get(1), "alice"); // its SQL quotes "user"
    assertThat(plain.load()).isEqualTo(state);

    plain.save(new AttemptState(59_000_001L, 2, null));
    assertThat(store(2, "alice").exclusive(AttemptStore.Held::load)).isEqualTo(new AttemptState(59_000_001L, 2, null));

    plain.delete();
    assertThat(store(0, "alice").exclusive(AttemptStore.Held::load)).isEqualTo(AttemptState.INITIAL);
  }

  @Test
  void delete_inASection_isSeenByTheNextSectionOnAnotherReplica_asNothingSaved() throws Exception {
    store(0, "carol").exclusive(held -> {
      held.save(new AttemptState(7, 1, null));
      return null;
    });
    store(1, "carol").exclusive(held -> {
      held.delete();
      return null;
    });
    assertThat(store(2, "carol").exclusive(AttemptStore.Held::load)).isEqualTo(AttemptState.INITIAL);
  }
}
