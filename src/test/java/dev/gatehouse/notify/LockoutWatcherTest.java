package dev.gatehouse.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.VerifyOutcome;
import dev.gatehouse.testing.Codes;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A lockout started in another process (here: another composition over the same home) is told once. */
class LockoutWatcherTest {
  @TempDir
  Path temp;

  @Test
  void aLockoutStartedAnywhere_isToldOnce_andTheNextOneAgain() {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:05Z"));
    Path home = TestHome.create(temp);
    List<Notification> told = new CopyOnWriteArrayList<>();
    try (Gatehouse daemon = TestHome.open(home, clock); Gatehouse cli = TestHome.open(home, clock)) {
      byte[] key = daemon.totp().beginEnrollment("owner@test", "test").secret();
      daemon.totp().confirm(Hotp.totp(key, clock.instant(), TotpParameters.DEFAULT), "test");
      LockoutWatcher watcher = new LockoutWatcher(daemon.totp()::status, told::add, clock);

      watcher.check();
      assertThat(told).as("no lockout, nothing to tell").isEmpty();
      VerifyOutcome last = null;
      for (int i = 0; i < 3; i++) {
        last = cli.totp().verify(Codes.wrong(key, clock.instant(), TotpParameters.DEFAULT, i), "cli:owner"); // an exec run with wrong codes, say
      }
      assertThat(last).isInstanceOf(VerifyOutcome.Rejected.class);
      watcher.check();
      watcher.check();
      assertThat(told).singleElement().satisfies(n -> {
        assertThat(n.event()).isEqualTo("totp.locked");
        assertThat(n.fields()).containsKey("until");
      });

      clock.advance(Duration.ofMinutes(16)); // the lockout is over
      watcher.check();
      assertThat(told).hasSize(1);
      for (int i = 3; i < 6; i++) {
        cli.totp().verify(Codes.wrong(key, clock.instant(), TotpParameters.DEFAULT, i), "cli:owner");
      }
      watcher.check();
      assertThat(told).as("a new lockout is told again").hasSize(2);
      assertThat(told.toString()).doesNotContain(Codes.wrong(key, clock.instant(), TotpParameters.DEFAULT, 0));
    }
  }

}
