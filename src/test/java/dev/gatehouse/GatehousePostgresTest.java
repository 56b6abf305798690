package dev.gatehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.VerifyOutcome;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A home whose {@code storage:} names PostgreSQL: the composition opens the shared state there. */
class GatehousePostgresTest {
  @TempDir
  Path temp;
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));

  /** A home (a replica) on the database {@code d}; with the password in its vault or not. */
  Path replica(String name, TestPostgres.Database d, boolean withPassword) throws Exception {
    Path dir = TestHome.create(Files.createDirectories(temp.resolve(name)));
    if (withPassword) {
      PgDatabases.usePostgres(dir, d);
    } else {
      Files.writeString(dir.resolve("gatehouse.yaml"), """

          storage:
            backend: postgres
            url: postgresql://127.0.0.1:%d/%s
            user: %s
            password_secret: postgres.password
          """.formatted(d.port(), d.name(), d.user()), StandardOpenOption.APPEND);
    }
    return dir;
  }

  @Test
  void stateDb_onPostgres_isSharedByReplicas_andANewDatabaseStartsRestrictive() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d, true);
    Path b = PgDatabases.replicaOf(a, temp.resolve("b").resolve("home"));
    try (Gatehouse ga = TestHome.open(a, clock); Gatehouse gb = TestHome.open(b, clock)) {
      assertThat(ga.stateDb()).isInstanceOf(PgStateDb.class);
      assertThat(ga.trust().level(Domain.values()[0])).isEqualTo(Level.NONE);
      ga.trust().set(Domain.values()[0], Level.FULL, "cli:test", "raised on replica a");
      assertThat(gb.trust().level(Domain.values()[0])).as("replica b reads what a wrote").isEqualTo(Level.FULL);
      assertThat(gb.trust().history()).as("the first policy, set once for both, then a's raise")
          .hasSize(Domain.values().length + 1);
    }
  }

  @Test
  void totp_onPostgres_keepsItsReplayStateInTheDatabase_notInTheHome() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d, true);
    try (Gatehouse g = TestHome.open(a, clock)) {
      byte[] key = g.totp().beginEnrollment("owner@test", "test").secret();
      g.totp().confirm(Hotp.totp(key, clock.instant(), TotpParameters.DEFAULT), "test");
      clock.advance(Duration.ofSeconds(30));
      String code = Hotp.totp(key, clock.instant(), TotpParameters.DEFAULT);
      assertThat(g.totp().verify(code, "test")).isInstanceOf(VerifyOutcome.Accepted.class);
      assertThat(g.totp().verify(code, "test")).as("a replay").isInstanceOf(VerifyOutcome.Rejected.class);
    }
    assertThat(a.resolve(Gatehouse.OTP_STATE_FILE)).doesNotExist();
    try (StateDb db = PgStateDb.open(d.connector())) {
      long step = db.read(c -> {
        try (var s = c.createStatement();
            var rs = s.executeQuery("SELECT last_step FROM totp_attempts WHERE subject = 'home'")) {
          return rs.next() ? rs.getLong(1) : -1L;
        }
      });
      assertThat(step).isEqualTo(clock.instant().getEpochSecond() / 30);
    }
  }

  @Test
  void stateDb_onPostgres_withoutThePasswordEntry_saysWhichEntryToAdd() throws Exception {
    Path a = replica("a", TestPostgres.shared().newDatabase(), false);
    assertThatThrownBy(() -> TestHome.open(a, clock)).as("unsealing opens the shared audit log")
        .isInstanceOf(NotConfiguredException.class).hasMessageContaining("gatehouse storage password");
  }

  @Test
  void stateDb_onPostgres_whileSealed_isRefused() throws Exception {
    Path a = replica("a", TestPostgres.shared().newDatabase(), true);
    try (Gatehouse g = Gatehouse.open(a, clock, new SecureRandom())) {
      assertThatThrownBy(g::stateDb).isInstanceOf(RefusedException.class).hasMessageContaining("vault is sealed");
    }
  }

  @Test
  void stateDb_embedded_isStillTheHomesFile() throws Exception {
    Path a = TestHome.create(Files.createDirectories(temp.resolve("e")));
    try (Gatehouse g = TestHome.open(a, clock)) {
      assertThat(g.stateDb()).isNotInstanceOf(PgStateDb.class);
      assertThat(a.resolve(StateDb.FILE)).exists();
    }
  }
}
