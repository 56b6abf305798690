package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.otp.VerifyOutcome.Accepted;
import dev.gatehouse.otp.VerifyOutcome.LockedOut;
import dev.gatehouse.otp.VerifyOutcome.Reason;
import dev.gatehouse.otp.VerifyOutcome.Rejected;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestPostgres;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The home's TOTP gate over three "replicas": three {@link TotpService}s, each over its own
 * {@link PgStateDb} on one real PostgreSQL database ({@link TestPostgres}), sharing the
 * enrollment (in memory here; the vault in production).
 */
class PgAttemptStoreTest {
  private static final Instant START = Instant.parse("2026-11-22T10:00:05Z");
  private static final int REPLICAS = 3;

  private final MutableClock clock = new MutableClock(START);
  private final MemoryEnrollments enrollments = new MemoryEnrollments();
  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  private TestPostgres.Database database;
  private final List<PgStateDb> dbs = new ArrayList<>();
  private final List<TotpService> replicas = new ArrayList<>();
  private byte[] key;

  @BeforeEach
  void enrollOnOneReplica() throws Exception {
    database = TestPostgres.shared().newDatabase();
    startReplicas();
    OtpAuthUri uri = replicas.get(0).beginEnrollment("owner@test", "test");
    key = uri.secret();
    clock.advance(Duration.ofSeconds(30));
    assertThat(replicas.get(1).confirm(codeAt(clock.instant()), "test").outcome()).isInstanceOf(Accepted.class);
    clock.advance(Duration.ofSeconds(30)); // the confirmation spent the current step
    events.clear();
  }

  @AfterEach
  void stopReplicas() {
    dbs.forEach(PgStateDb::close);
    dbs.clear();
    replicas.clear();
  }

  private void startReplicas() throws Exception {
    for (int i = 0; i < REPLICAS; i++) {
      PgStateDb db = PgStateDb.open(database.connector());
      dbs.add(db);
      replicas.add(new TotpService(enrollments, PgAttemptStore.home(db), TotpPolicy.DEFAULT, clock,
          new SecureRandom(), e -> {
            events.add(e);
            return events.size();
          }));
    }
  }

  @Test
  void tenParallelAttempts_withOneValidCode_overThreeReplicas_succeedExactlyOnce() throws Exception {
    for (int round = 0; round < 5; round++) {
      String code = codeAt(clock.instant());
      events.clear();
      List<VerifyOutcome> outcomes = runInParallel(10, i -> replicas.get(i % REPLICAS).verify(code, "t" + i));

      // Serialized, the first attempt spends the code; the next three are replays, the third of
      // which reaches the limit (3 failures) and locks; the last six meet the lockout.
      Instant lockedUntil = clock.instant().plus(TotpPolicy.DEFAULT.lockout());
      assertThat(outcomes).as("round %d", round).filteredOn(o -> o instanceof Accepted).hasSize(1);
      assertThat(outcomes).as("round %d", round).filteredOn(o -> o instanceof Rejected)
          .containsExactlyInAnyOrder(new Rejected(Reason.REPLAYED, 2, null), new Rejected(Reason.REPLAYED, 1, null),
              new Rejected(Reason.REPLAYED, 0, lockedUntil));
      assertThat(outcomes).as("round %d", round).filteredOn(o -> o instanceof LockedOut)
          .containsOnly(new LockedOut(lockedUntil)).hasSize(6);
      assertThat(events).as("round %d: every attempt recorded, after its state", round).hasSize(10)
          .filteredOn(e -> e.outcome().equals("accepted")).hasSize(1);

      clock.advance(TotpPolicy.DEFAULT.lockout().plusSeconds(30)); // a new step, the lockout over
    }
  }

  @Test
  void lockout_reachedThroughFailuresOnEveryReplica_holdsOnEveryReplica() {
    String wrong = wrongCodeAt(clock.instant());
    assertThat(replicas.get(0).verify(wrong, "t")).isEqualTo(new Rejected(Reason.INVALID, 2, null));
    assertThat(replicas.get(1).verify(wrong, "t")).isEqualTo(new Rejected(Reason.INVALID, 1, null));
    Instant lockedUntil = clock.instant().plus(TotpPolicy.DEFAULT.lockout());
    assertThat(replicas.get(2).verify(wrong, "t")).isEqualTo(new Rejected(Reason.INVALID, 0, lockedUntil));

    String good = codeAt(clock.instant());
    for (TotpService replica : replicas) {
      assertThat(replica.verify(good, "t")).isEqualTo(new LockedOut(lockedUntil));
      assertThat(replica.status().lockedUntil()).isEqualTo(lockedUntil);
    }
  }

  @Test
  void lockout_survivesARestartOfEveryReplica_andEnds() throws Exception {
    String wrong = wrongCodeAt(clock.instant());
    for (int i = 0; i < 3; i++) {
      replicas.get(i).verify(wrong, "t");
    }
    Instant lockedUntil = clock.instant().plus(TotpPolicy.DEFAULT.lockout());
    stopReplicas();
    startReplicas();

    assertThat(replicas.get(0).verify(codeAt(clock.instant()), "t")).isEqualTo(new LockedOut(lockedUntil));
    clock.set(lockedUntil);
    assertThat(replicas.get(1).verify(codeAt(clock.instant()), "t")).isInstanceOf(Accepted.class);
  }

  @Test
  void acceptedStep_survivesARestart_andIsAReplayOnAnotherReplica() throws Exception {
    String code = codeAt(clock.instant());
    assertThat(replicas.get(0).verify(code, "t")).isInstanceOf(Accepted.class);
    stopReplicas();
    startReplicas();
    assertThat(replicas.get(2).verify(code, "t")).isEqualTo(new Rejected(Reason.REPLAYED, 2, null));
  }

  @Test
  void reset_onOneReplica_clearsTheStateForEveryReplica() {
    String wrong = wrongCodeAt(clock.instant());
    replicas.get(0).verify(wrong, "t");
    replicas.get(1).verify(wrong, "t");
    assertThat(replicas.get(2).reset("test")).isTrue();
    assertThat(replicas.get(0).status().failures()).isZero();
    assertThat(replicas.get(1).status().enrollment()).isNull();
  }

  @Test
  void databaseOutage_refusesTheCode_failClosed_andEveryReplicaResumesAfterIt() throws Exception {
    String code = codeAt(clock.instant());
    for (TotpService replica : replicas) {
      replica.status(); // each replica now holds an idle connection, which the outage breaks
    }
    TestPostgres pg = TestPostgres.shared();
    pg.stopImmediately();
    try {
      assertThatThrownBy(() -> replicas.get(0).verify(code, "t")).isInstanceOf(RefusedException.class)
          .hasMessageContaining("fail closed").hasMessageNotContaining(code);
    } finally {
      pg.start();
    }
    assertThat(events).as("nothing recorded for the refused attempt").isEmpty();
    assertThat(replicas.get(1).verify(code, "t")).as("the refused attempt spent nothing").isInstanceOf(Accepted.class);
    assertThat(replicas.get(2).verify(code, "t")).isEqualTo(new Rejected(Reason.REPLAYED, 2, null));
  }

  @Test
  void failingSection_rollsBackItsWrites_andRecordsNothing() throws Exception {
    PgAttemptStore store = PgAttemptStore.home(dbs.get(0));
    AttemptState before = store.exclusive(AttemptStore.Held::load);
    List<String> ran = new ArrayList<>();
    assertThatThrownBy(() -> store.exclusive(held -> {
      held.save(new AttemptState(before.lastAcceptedStep() + 1, 2, null));
      held.whenDurable(() -> ran.add("recorded"));
      throw new java.io.IOException("the vault is unreadable");
    })).isInstanceOf(java.io.IOException.class).hasMessage("the vault is unreadable");
    assertThat(ran).isEmpty();
    assertThat(PgAttemptStore.home(dbs.get(1)).exclusive(AttemptStore.Held::load)).isEqualTo(before);
  }

  private String codeAt(Instant t) {
    return Hotp.totp(key, t, TotpParameters.DEFAULT);
  }

  private String wrongCodeAt(Instant t) {
    for (int n = 0; ; n++) {
      String c = String.format("%06d", n);
      boolean matches = false;
      for (int k = -1; k <= 1; k++) {
        matches |= c.equals(codeAt(t.plusSeconds(30L * k)));
      }
      if (!matches) {
        return c;
      }
    }
  }

  private static List<VerifyOutcome> runInParallel(int n, IntFunction<VerifyOutcome> attempt) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<VerifyOutcome>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int id = i;
        futures.add(pool.submit(() -> {
          go.await();
          return attempt.apply(id);
        }));
      }
      go.countDown();
      List<VerifyOutcome> outcomes = new ArrayList<>();
      for (Future<VerifyOutcome> f : futures) {
        outcomes.add(f.get());
      }
      return outcomes;
    } finally {
      pool.shutdown();
    }
  }

  /** The enrollment every replica shares (the vault's entry, in production). */
  private static final class MemoryEnrollments implements EnrollmentStore {
    private Enrollment enrollment; // guarded by this

    @Override
    public synchronized Optional<Enrollment> load() {
      return Optional.ofNullable(enrollment);
    }

    @Override
    public synchronized void save(Enrollment e) {
      enrollment = e;
    }

    @Override
    public synchronized void delete() {
      enrollment = null;
    }
  }
}
