package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.otp.VerifyOutcome.Accepted;
import dev.gatehouse.otp.VerifyOutcome.LockedOut;
import dev.gatehouse.otp.VerifyOutcome.Reason;
import dev.gatehouse.otp.VerifyOutcome.Rejected;
import dev.gatehouse.store.Home;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TotpServiceTest {
  private static final Instant START = Instant.parse("2026-11-22T10:00:05Z");

  @TempDir
  Path temp;

  private Path homeDir;
  private final MutableClock clock = new MutableClock(START);
  private byte[] key;
  private List<String> recoveryCodes;

  @BeforeEach
  void enrollAndConfirm() {
    homeDir = TestHome.create(temp);
    TotpService totp = service();
    OtpAuthUri uri = totp.beginEnrollment("owner@test", "test");
    key = uri.secret();
    clock.advance(Duration.ofSeconds(30));
    TotpService.Confirmation c = totp.confirm(codeAt(clock.instant()), "test");
    assertThat(c.outcome()).isInstanceOf(Accepted.class);
    recoveryCodes = c.recoveryCodes();
    clock.advance(Duration.ofSeconds(30)); // the confirmation spent the current step
  }

  private EnrollmentStore enrollments() {
    return new VaultEnrollmentStore(TestHome.open(homeDir, clock).vault(), homeDir.resolve(Gatehouse.LEGACY_TOTP_FILE));
  }

  private TotpService service() {
    return TestHome.open(homeDir, clock).totp();
  }

  private String codeAt(Instant t) {
    return Hotp.totp(key, t, TotpParameters.DEFAULT);
  }

  private String wrongCodeAt(Instant t) {
    // A code no step of the window accepts.
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

  @Test
  void verify_acceptsTheCurrentCode() {
    assertThat(service().verify(codeAt(clock.instant()), "test")).isEqualTo(new Accepted(VerifyOutcome.Method.TOTP, 10));
  }

  @Test
  void verify_reusedCode_isRejectedWithinTheStep() {
    TotpService totp = service();
    String code = codeAt(clock.instant());
    assertThat(totp.verify(code, "test")).isInstanceOf(Accepted.class);
    assertThat(totp.verify(code, "test")).isEqualTo(new Rejected(Reason.REPLAYED, 2, null));
    assertThat(totp.verify(code.substring(0, 3) + " " + code.substring(3), "test"))
        .as("a space does not make a used code new").isInstanceOf(Rejected.class);
  }

  @Test
  void verify_reusedCode_isRejectedAfterARestart() {
    String code = codeAt(clock.instant());
    assertThat(service().verify(code, "test")).isInstanceOf(Accepted.class);
    assertThat(service().verify(code, "test")).isInstanceOf(Rejected.class);
  }

  @Test
  void verify_olderStepThanTheLastAccepted_isRejected() {
    TotpService totp = service();
    assertThat(totp.verify(codeAt(clock.instant().plusSeconds(30)), "test")).isInstanceOf(Accepted.class);
    assertThat(totp.verify(codeAt(clock.instant()), "test")).isEqualTo(new Rejected(Reason.REPLAYED, 2, null));
  }

  @Test
  void verify_acceptsOneStepOfSkewEitherWay_butNotTwo() {
    clock.advance(Duration.ofSeconds(30)); // so that the step before now was never used
    for (int k : new int[] {-2, 2}) {
      assertThat(service().verify(codeAt(clock.instant().plusSeconds(30L * k)), "test")).as("step %d", k)
          .isEqualTo(new Rejected(Reason.INVALID, k == -2 ? 2 : 1, null));
    }
    assertThat(service().verify(codeAt(clock.instant().minusSeconds(30)), "test")).isInstanceOf(Accepted.class);
    clock.advance(Duration.ofSeconds(30));
    assertThat(service().verify(codeAt(clock.instant().plusSeconds(30)), "test")).isInstanceOf(Accepted.class);
  }

  @Test
  void verify_stepEdges_followTheClock() {
    // At the last second of a step the next step's code is one step ahead (accepted);
    // at its first second, the code of two steps back is refused.
    Instant stepStart = Instant.ofEpochSecond(Hotp.timeStep(clock.instant(), 30) * 30 + 300);
    clock.set(stepStart.plusSeconds(29));
    assertThat(service().verify(codeAt(stepStart.plusSeconds(30)), "test")).isInstanceOf(Accepted.class);
    clock.set(stepStart.plusSeconds(60));
    assertThat(service().verify(codeAt(stepStart.minusSeconds(1)), "test")).isInstanceOf(Rejected.class);
  }

  @Test
  void lockout_afterThreeFailures_refusesEvenAValidCode_acrossRestarts_untilItExpires() {
    Instant now = clock.instant();
    assertThat(service().verify(wrongCodeAt(now), "test")).isEqualTo(new Rejected(Reason.INVALID, 2, null));
    assertThat(service().verify(wrongCodeAt(now), "test")).isEqualTo(new Rejected(Reason.INVALID, 1, null));
    assertThat(service().verify(wrongCodeAt(now), "test"))
        .isEqualTo(new Rejected(Reason.INVALID, 0, now.plus(Duration.ofMinutes(15))));

    assertThat(service().verify(codeAt(clock.instant()), "test")).isEqualTo(new LockedOut(now.plus(Duration.ofMinutes(15))));
    assertThat(service().status().lockedUntil()).isEqualTo(now.plus(Duration.ofMinutes(15)));

    clock.advance(Duration.ofMinutes(15).minusSeconds(1));
    assertThat(service().verify(codeAt(clock.instant()), "test")).isInstanceOf(LockedOut.class);
    clock.advance(Duration.ofSeconds(1));
    assertThat(service().verify(codeAt(clock.instant()), "test")).isInstanceOf(Accepted.class);
    assertThat(service().status().lockedUntil()).isNull();
  }

  @Test
  void lockout_countsOnlyConsecutiveFailures() {
    TotpService totp = service();
    totp.verify(wrongCodeAt(clock.instant()), "test");
    totp.verify(wrongCodeAt(clock.instant()), "test");
    assertThat(totp.verify(codeAt(clock.instant()), "test")).isInstanceOf(Accepted.class);
    assertThat(totp.status().failures()).isZero();
    assertThat(totp.verify(wrongCodeAt(clock.instant()), "test")).isEqualTo(new Rejected(Reason.INVALID, 2, null));
  }

  @Test
  void malformedCodes_changeNothing() {
    TotpService totp = service();
    for (String bad : List.of("abcdef", "12345", "123456789", "", "١٢٣٤٥٦", "1234567")) {
      assertThatThrownBy(() -> totp.verify(bad, "test")).isInstanceOf(BadInputException.class);
    }
    assertThat(totp.status().failures()).isZero();
  }

  @Test
  void recoveryCode_worksOnce_inPlaceOfACode() {
    TotpService totp = service();
    String code = recoveryCodes.get(3);
    assertThat(totp.verify(code, "test")).isEqualTo(new Accepted(VerifyOutcome.Method.RECOVERY_CODE, 9));
    assertThat(service().verify(code.toUpperCase().replace("-", " "), "test"))
        .isEqualTo(new Rejected(Reason.INVALID, 2, null));
    assertThat(service().status().recoveryCodesLeft()).isEqualTo(9);
  }

  @Test
  void recoveryCodes_areStoredOnlyAsSaltedHashes() throws Exception {
    String stored;
    try (var v = TestHome.open(homeDir, clock).vault().reveal(VaultEnrollmentStore.ENTRY,
        dev.gatehouse.vault.SecretAccess.get()).orElseThrow()) {
      stored = new String(v.bytes(dev.gatehouse.vault.SecretAccess.get()));
    }
    assertThat(stored).contains("\"recovery\"");
    assertThat(recoveryCodes).hasSize(10).doesNotHaveDuplicates();
    for (String c : recoveryCodes) {
      assertThat(stored).doesNotContain(c).doesNotContain(c.replace("-", ""));
    }
  }

  @Test
  void tenParallelAttempts_withOneValidCode_succeedExactlyOnce() throws Exception {
    String code = codeAt(clock.instant());
    List<VerifyOutcome> outcomes = runInParallel(10, i -> service().verify(code, "t" + i));
    assertThat(outcomes).filteredOn(o -> o instanceof Accepted).hasSize(1);
  }

  @Test
  void parallelWrongCodes_buyNoMoreThanTheAllowedTries() throws Exception {
    String wrong = wrongCodeAt(clock.instant());
    List<VerifyOutcome> outcomes = runInParallel(12, i -> service().verify(wrong, "t" + i));
    assertThat(outcomes).filteredOn(o -> o instanceof Rejected).hasSize(3);
    assertThat(outcomes).filteredOn(o -> o instanceof LockedOut).hasSize(9);
  }

  private interface Attempt {
    VerifyOutcome run(int i);
  }

  private static List<VerifyOutcome> runInParallel(int n, Attempt attempt) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<VerifyOutcome>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      futures.add(pool.submit(() -> {
        go.await();
        return attempt.run(id);
      }));
    }
    go.countDown();
    List<VerifyOutcome> outcomes = new ArrayList<>();
    for (Future<VerifyOutcome> f : futures) {
      outcomes.add(f.get());
    }
    pool.shutdown();
    return outcomes;
  }

  @Test
  void unwritableState_refusesTheCode_failClosed() throws Exception {
    Path state = homeDir.resolve(Gatehouse.OTP_STATE_FILE);
    Files.delete(state);
    Files.createDirectory(state, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    // A rename cannot replace a non-empty directory: every save fails, even as root.
    Files.createFile(state.resolve("x"), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    String code = codeAt(clock.instant());
    assertThatThrownBy(() -> new TotpService(enrollments(),
        new UnreadableButSavingAttempts(state), Home.open(homeDir).lock(), TotpPolicy.DEFAULT, clock,
        new SecureRandom(), e -> 0).verify(code, "test"))
        .isInstanceOf(RefusedException.class).hasMessageContaining("fail closed").hasMessageNotContaining(code);
  }

  /** Reads as "no state" but saves to the real (broken) path: isolates the write failure. */
  private record UnreadableButSavingAttempts(Path path) implements AttemptStore.Held {
    @Override
    public AttemptState load() {
      return AttemptState.INITIAL;
    }

    @Override
    public void save(AttemptState s) throws java.io.IOException {
      new FileAttemptStore(path).save(s);
    }

    @Override
    public void delete() {}
  }

  @Test
  void damagedState_refusesTheCode_failClosed() throws Exception {
    Files.writeString(homeDir.resolve(Gatehouse.OTP_STATE_FILE), "{\"v\":1,\"last_step\":\"x\"");
    assertThatThrownBy(() -> service().verify(codeAt(clock.instant()), "test"))
        .isInstanceOf(RefusedException.class).hasMessageContaining("otp-state.json");
  }

  @Test
  void events_reportEveryOutcome_neverTheCode() throws Exception {
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    Home home = Home.open(homeDir);
    TotpService totp = new TotpService(enrollments(),
        new FileAttemptStore(home.file(Gatehouse.OTP_STATE_FILE)), home.lock(), TotpPolicy.DEFAULT, clock,
        new SecureRandom(), e -> {
          events.add(e);
          return events.size();
        });
    String good = codeAt(clock.instant());
    String bad = wrongCodeAt(clock.instant());
    totp.verify(good, "cli:owner");
    totp.verify(bad, "cli:owner");
    totp.verify(recoveryCodes.get(0), "cli:owner");
    assertThat(events).extracting(AuditEvent::outcome).containsExactly("accepted", "rejected", "accepted");
    assertThat(events).allSatisfy(e -> assertThat(e.type()).isEqualTo("totp.verify"));
    assertThat(events.toString()).doesNotContain(good).doesNotContain(bad)
        .doesNotContain(recoveryCodes.get(0)).doesNotContain(Base32.encode(key));
  }

  @Test
  void setup_isRefusedWhileActive_andResetRemovesEverything() throws Exception {
    TotpService totp = service();
    assertThatThrownBy(() -> totp.beginEnrollment("x", "test")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("totp reset");
    totp.verify(wrongCodeAt(clock.instant()), "test");
    assertThat(totp.reset("test")).isTrue();
    assertThat(TestHome.open(homeDir, clock).vault().contains(VaultEnrollmentStore.ENTRY)).isFalse();
    assertThat(Files.exists(homeDir.resolve(Gatehouse.OTP_STATE_FILE))).isFalse();
    assertThatThrownBy(() -> totp.verify(codeAt(clock.instant()), "test")).isInstanceOf(NotConfiguredException.class);
  }

  @Test
  void pendingKey_doesNotVerify_untilConfirmed() {
    TotpService totp = service();
    totp.reset("test");
    OtpAuthUri uri = totp.beginEnrollment("owner@test", "test");
    String code = Hotp.totp(uri.secret(), clock.instant(), uri.params());
    assertThatThrownBy(() -> totp.verify(code, "test")).isInstanceOf(NotConfiguredException.class);
    assertThat(totp.status().enrollment()).isEqualTo(Enrollment.Status.PENDING);
    assertThat(totp.confirm(code, "test").outcome()).isInstanceOf(Accepted.class);
    assertThat(totp.status().enrollment()).isEqualTo(Enrollment.Status.ACTIVE);
  }
}
