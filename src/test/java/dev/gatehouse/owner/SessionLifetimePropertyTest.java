package dev.gatehouse.owner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.owner.OwnerAuth.LoginResult.Granted;
import dev.gatehouse.owner.OwnerAuth.Tokens;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The lifetime rule, for any rhythm of refreshes: a refresh works while every gap since the
 * previous issue is under 30 minutes and the login is under 24 hours old; the access token of
 * the latest pair works while it is under 15 minutes old (and the login under 24 hours); once
 * a refresh fails, the session never comes back.
 */
class SessionLifetimePropertyTest {
  static Path temp;
  static Gatehouse g;
  static OwnerAccounts accounts;
  static byte[] key;
  static final MutableClock CLOCK = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MINUTES));
  static final String PASSWORD = "a long test password";
  static int tries;

  @BeforeContainer
  static void home() throws IOException {
    temp = Files.createTempDirectory("gh-sessions");
    g = TestHome.open(TestHome.create(temp), CLOCK);
    accounts = g.ownerAccounts();
    accounts.add("alice", Role.VIEWER, PASSWORD.toCharArray(), "cli:test");
    key = accounts.beginTotp("alice", "cli:test").secret();
    accounts.confirmTotp("alice", Hotp.totp(key, CLOCK.instant(), TotpParameters.DEFAULT), "cli:test");
  }

  @AfterContainer
  static void remove() throws IOException {
    g.close();
    try (var files = Files.walk(temp)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Provide
  Arbitrary<List<Integer>> gaps() {
    Arbitrary<Integer> gap = Arbitraries.oneOf(Arbitraries.integers().between(0, 2400),
        Arbitraries.of(899, 900, 901, 1799, 1800, 1801));
    return gap.list().ofMinSize(1).ofMaxSize(50);
  }

  @Property(tries = 30)
  void refreshAndAccess_followTheLifetimeRule(@ForAll("gaps") List<Integer> gapsInSeconds) {
    CLOCK.advance(Duration.ofSeconds(30)); // a new TOTP step for this login
    Instant login = CLOCK.instant();
    var r = accounts.login("alice", PASSWORD.toCharArray(), Hotp.totp(key, login, TotpParameters.DEFAULT),
        "192.0.2." + (tries++ % 250));
    Tokens latest = ((Granted) r).tokens();
    Instant issued = login;
    boolean alive = true;
    for (int gap : gapsInSeconds) {
      CLOCK.advance(Duration.ofSeconds(gap));
      Instant now = CLOCK.instant();
      boolean beforeEnd = now.isBefore(login.plus(OwnerAuth.REFRESH_ABSOLUTE));
      boolean accessExpected = alive && beforeEnd && now.isBefore(issued.plus(OwnerAuth.ACCESS_TTL));
      assertThat(accounts.authenticate(latest.accessToken())).as("access at +%s", Duration.between(issued, now))
          .isEqualTo(accessExpected ? Optional.of(latest.session()) : Optional.empty());
      alive = alive && beforeEnd && now.isBefore(issued.plus(OwnerAuth.REFRESH_IDLE));
      Optional<Tokens> next = accounts.refresh(latest.refreshToken(), "192.0.2.1");
      assertThat(next.isPresent()).as("refresh at +%s", Duration.between(issued, now)).isEqualTo(alive);
      if (next.isPresent()) {
        latest = next.get();
        issued = now;
      }
    }
  }
}
