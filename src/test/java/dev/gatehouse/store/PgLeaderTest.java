package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ChangingPassword;
import dev.gatehouse.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link PgLeader} against a real PostgreSQL: one leader, and a successor when it goes. */
class PgLeaderTest {
  static final long KEY = 0x7465737431L;
  static final Duration EVERY = Duration.ofMillis(200);
  /** How long a test waits for an election before it fails (never how long one should take). */
  static final long PATIENCE_S = 30;

  /** Every elected/deposed, in order, named by replica. */
  final BlockingQueue<String> events = new LinkedBlockingQueue<>();

  PgLeader replica(TestPostgres.Database d, String name) {
    return replica(d.connector(), name);
  }

  PgLeader replica(PgConnector connector, String name) {
    return PgLeader.start(connector, KEY, EVERY, new PgLeader.Role() {
      @Override
      public void elected() {
        events.add(name + " elected");
      }

      @Override
      public void deposed() {
        events.add(name + " deposed");
      }
    }, name);
  }

  String next() throws InterruptedException {
    String e = events.poll(PATIENCE_S, TimeUnit.SECONDS);
    assertThat(e).as("an election within %d s", PATIENCE_S).isNotNull();
    return e;
  }

  @Test
  void threeReplicas_exactlyOneLeads_andWhenItGoesAnotherTakesOver() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    List<PgLeader> all = new ArrayList<>();
    try {
      for (String n : List.of("a", "b", "c")) {
        all.add(replica(d, n));
      }
      String first = next();
      assertThat(first).endsWith(" elected");
      assertThat(events.poll(3 * EVERY.toMillis(), TimeUnit.MILLISECONDS)).as("nobody else is elected").isNull();
      assertThat(all.stream().filter(PgLeader::leading).count()).isEqualTo(1);

      PgLeader leader = all.stream().filter(PgLeader::leading).findFirst().orElseThrow();
      leader.close(); // gives the lock up
      assertThat(next()).isEqualTo(first.replace("elected", "deposed"));
      String second = next();
      assertThat(second).endsWith(" elected").isNotEqualTo(first);
      all.remove(leader);
      assertThat(all.stream().filter(PgLeader::leading).count()).isEqualTo(1);
    } finally {
      all.forEach(PgLeader::close);
    }
  }

  @Test
  void aLeaderWhoseSessionIsKilled_stepsDown_andAnotherTakesOver() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    PgLeader a = replica(d, "a");
    PgLeader b = null;
    try {
      assertThat(next()).isEqualTo("a elected");
      b = replica(d, "b");
      // The server ends a's session, as when its replica dies or the network drops it.
      try (Connection admin = d.connect(); PreparedStatement s = admin.prepareStatement(
          "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
              + " AND objid::bigint = ?")) {
        s.setLong(1, KEY & 0xffffffffL);
        s.execute();
      }
      List<String> seen = List.of(next(), next());
      assertThat(seen).containsExactlyInAnyOrder("a deposed", "b elected"); // in either order: see PgLeader
      assertThat(a.leading()).isFalse();
      assertThat(b.leading()).isTrue();
    } finally {
      a.close();
      if (b != null) {
        b.close();
      }
    }
  }

  @Test
  void aNewSession_afterARestart_logsInWithThePasswordGivenThen() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    ChangingPassword source = new ChangingPassword(pg.newDatabaseWithOwnRole());
    try (PgLeader a = replica(source.connector(), "a")) {
      assertThat(next()).isEqualTo("a elected");
      assertThat(source.reads()).as("the checks of a session ask for nothing").isEqualTo(1);
      source.change(pg, "changed-" + System.nanoTime());
      pg.stopImmediately();
      try {
        assertThat(next()).isEqualTo("a deposed");
      } finally {
        pg.start();
      }
      assertThat(next()).as("elected again, on a session with the new password").isEqualTo("a elected");
      assertThat(a.leading()).isTrue();
    }
    assertThat(source.given()).allSatisfy(p -> assertThat(p).doesNotContainKey("password"));
  }
}
