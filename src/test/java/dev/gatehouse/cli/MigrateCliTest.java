package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.PgAuditLog;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.store.StateMigration;
import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.vault.PgVaultStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code gatehouse migrate --to postgres}: a home's state moved into an empty database, as an owner does it. */
class MigrateCliTest extends CliTestBase {
  TestPostgres.Database db;

  @BeforeEach
  void homeWithState() throws Exception {
    db = TestPostgres.shared().newDatabase();
    assertThat(run("init")).isZero();
    stdin = db.password().getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "postgres.password")).as(err).isZero();
    clock.advance(Duration.ofMinutes(1));
    assertThat(run("trust", "set", "web", "suggest", "--reason", "news, with my approval")).as(err).isZero();
    assertThat(run("trust", "set", "web", "full", "--reason", "it went well")).as(err).isZero();
    try (Gatehouse g = TestHome.open(home, clock)) {
      g.pairing().request("telegram", "1001", "Ann");
    }
  }

  String url() {
    return "postgresql://127.0.0.1:" + db.port() + "/" + db.name();
  }

  @Test
  void migrate_movesEveryRow_switchesTheConfig_andTheHomeReadsTheSameFromPostgres() throws Exception {
    Map<String, Long> before;
    try (Gatehouse g = TestHome.open(home, clock)) {
      before = StateMigration.counts(g.stateDb());
    }
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).as(err).isZero();
    long rows = before.values().stream().mapToLong(Long::longValue).sum();
    assertThat(out).contains("moved " + rows + " rows in " + before.size() + " tables").contains("checked equal")
        .contains("moved the audit log").contains("verified in the database");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).contains("backend: postgres");

    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.stateDb()).isInstanceOf(PgStateDb.class);
      assertThat(StateMigration.counts(g.stateDb())).isEqualTo(before);
      assertThat(g.trust().level(Domain.WEB)).isEqualTo(Level.FULL);
      assertThat(g.pairing().pending()).hasSize(1);
      g.trust().set(Domain.WEB, Level.NONE, "cli:test", "after the move"); // the next change gets the next id
      assertThat(g.trust().history().get(g.trust().history().size() - 1).id())
          .isGreaterThan(g.trust().history().get(g.trust().history().size() - 2).id());
    }
    assertThat(run("trust", "show")).as("reading state asks for the vault, which holds the database password")
        .as(err).isZero();
    assertThat(out).contains("web").contains("0 none");
    assertThat(run("pair", "list")).as(err).isZero();
    assertThat(out).contains("1001");
    assertThat(run("audit", "tail", "--type", "storage.migrate")).as(err).isZero();
    assertThat(out).as("the moved log holds the move").contains("moving").doesNotContain(db.password());
    assertThat(run("audit", "tail", "--type", "home.init")).as(err).isZero();
    assertThat(out).as("and everything before it").contains("created");
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(out).contains("intact");
    assertThat(run("vault", "list")).as(err).isZero();
    assertThat(out).as("the vault moved too").contains("postgres.password");
    try (java.sql.Connection c = db.connect(); var st = c.createStatement();
        var rs = st.executeQuery("SELECT count(*) FROM vault_images")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1);
    }
  }

  @Test
  void migrate_intoADatabaseWithState_isRefused_andChangesNothing() throws Exception {
    try (StateDb other = PgStateDb.open(db.connector())) {
      other.transaction(c -> {
        c.createStatement().execute("INSERT INTO agent_usage (name, last_used) VALUES ('someone-else', 1)");
        return null;
      });
    }
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();
    assertThat(err).contains("already holds state").contains("agent_usage has 1 rows").contains("changed nothing");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
    try (StateDb other = PgStateDb.open(db.connector())) {
      assertThat(StateMigration.counts(other).get("trust_levels")).isZero();
    }
  }

  /**
   * A migrate that committed, then stopped before writing gatehouse.yaml (killed, or its
   * connection lost at the commit; the config put back is what that leaves). Run again, it finds
   * the database holding this home exactly, appends what the home recorded since, and finishes.
   */
  @Test
  void migrate_again_afterACommitThatStoppedBeforeTheConfig_finishesTheMove_withTheHomesLaterEntries()
      throws Exception {
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).as(err).isZero();
    Files.writeString(home.resolve("gatehouse.yaml"), config); // as if it had stopped before this write
    try (Gatehouse g = TestHome.open(home, clock)) { // the home, on its own storage again, records on
      g.audit().record(new dev.gatehouse.audit.AuditEvent("test.after", "cli:test", "home", "noted", Map.of()));
    }

    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).as(err).isZero();

    assertThat(out).contains("already held this home exactly").contains("backend: postgres");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).contains("backend: postgres");
    assertThat(run("audit", "tail", "--type", "test.after")).as(err).isZero();
    assertThat(out).as("the entry the home recorded after the commit is in the shared log").contains("noted");
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(out).contains("intact");
    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.trust().level(Domain.WEB)).isEqualTo(Level.FULL);
    }
  }

  /** The same, but the home's state changed since: the database does not hold this home as it is now. */
  @Test
  void migrate_again_afterTheHomesStateChanged_isRefused_andChangesNothing() throws Exception {
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).as(err).isZero();
    Files.writeString(home.resolve("gatehouse.yaml"), config);
    assertThat(run("trust", "set", "web", "none", "--reason", "changed after the move")).as(err).isZero();
    String before = PgDatabases.auditText(db);

    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();

    assertThat(err).contains("already holds an audit log").contains("changed nothing");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
    assertThat(PgDatabases.auditText(db)).isEqualTo(before);
  }

  /** Runs SQL as the test's role (the tables' owner) on the target. */
  private void sql(String... statements) throws Exception {
    try (java.sql.Connection c = db.connect(); var st = c.createStatement()) {
      for (String statement : statements) {
        st.execute(statement);
      }
    }
  }

  /** The target's schema as migrate leaves it whatever happens (Flyway commits on its own), and a trigger on it. */
  private void schemaWithTrigger(String table, String body) throws Exception {
    PgStateDb.migrate(db.connector());
    sql("CREATE FUNCTION injected() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " + body + " END $$",
        "CREATE TRIGGER injected BEFORE INSERT ON " + table + " FOR EACH ROW EXECUTE FUNCTION injected()");
  }

  /** Every table of the target but Flyway's history holds no row, the audit head its initial one. */
  private void assertEmpty() throws Exception {
    try (java.sql.Connection c = db.connect(); var st = c.createStatement();
        var tables = st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            + " AND tablename NOT IN ('gatehouse_schema_history', 'audit_head')")) {
      java.util.List<String> names = new java.util.ArrayList<>();
      while (tables.next()) {
        names.add(tables.getString(1));
      }
      assertThat(names).contains("trust_levels", "audit_entries", "audit_checkpoints", "vault_images");
      for (String t : names) {
        try (var q = c.createStatement(); var rs = q.executeQuery("SELECT count(*) FROM " + t)) {
          rs.next();
          assertThat(rs.getLong(1)).as(t).isZero();
        }
      }
      try (var q = c.createStatement(); var rs = q.executeQuery("SELECT size, verifier FROM audit_head")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isZero();
        assertThat(rs.getString(2)).isNull();
        assertThat(rs.next()).isFalse();
      }
    }
  }

  @Test
  void migrate_failingAtTheLastStep_leavesTheDatabaseAsItWas_andARerunMovesEverything() throws Exception {
    schemaWithTrigger("vault_images", "RAISE EXCEPTION 'injected: no space left on device';");
    String empty = PgDatabases.databaseText(db);
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    byte[] vault = Files.readAllBytes(home.resolve("vault.gh"));
    Map<String, Long> state;
    try (Gatehouse g = TestHome.open(home, clock)) {
      state = StateMigration.counts(g.stateDb());
    }

    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();
    assertThat(err).contains("failed while copying the vault").contains("injected: no space left on device")
        .contains("rolled back").contains("holds none of this home").contains("gatehouse.yaml was not changed")
        .doesNotContain(db.password());
    assertThat(err.strip()).as("one line").doesNotContain("\n");
    assertEmpty();
    assertThat(PgDatabases.databaseText(db)).as("the state and the audit log, copied and verified before the vault"
        + " failed, went with it").isEqualTo(empty);
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
    assertThat(Files.readAllBytes(home.resolve("vault.gh"))).isEqualTo(vault);
    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.stateDb()).isNotInstanceOf(PgStateDb.class);
      assertThat(StateMigration.counts(g.stateDb())).isEqualTo(state);
    }
    assertThat(run("audit", "tail", "--type", "storage.migrate")).as(err).isZero();
    assertThat(out).as("the home's log says what was tried, and that it failed").contains("moving").contains("failed")
        .contains("copying the vault");

    sql("DROP TRIGGER injected ON vault_images");
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).as(err).isZero();
    assertThat(out).contains("checked equal").contains("verified in the database").contains("byte for byte");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).contains("backend: postgres");
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(out).contains("intact");
    assertThat(run("audit", "tail", "--type", "storage.migrate")).as(err).isZero();
    assertThat(out).as("the moved log holds the failed attempt too").contains("failed");
    assertThat(run("vault", "list")).as(err).isZero();
    assertThat(out).contains("postgres.password");
    assertThat(run("trust", "show")).as(err).isZero();
    assertThat(out).contains("web").contains("full");
  }

  @Test
  void migrate_failingAtTheAuditLog_keepsNoStateRows() throws Exception {
    schemaWithTrigger("audit_checkpoints", "RAISE EXCEPTION 'injected: a constraint';");
    String empty = PgDatabases.databaseText(db);
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();
    assertThat(err).contains("failed while copying the audit log").contains("injected: a constraint");
    assertEmpty();
    assertThat(PgDatabases.databaseText(db)).isEqualTo(empty);
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
  }

  /** A copy the database alters as it stores it must fail that step's own check, inside the transaction. */
  private void alteredCopyFailsItsCheck(String table, String body, String step, String check) throws Exception {
    schemaWithTrigger(table, body);
    String empty = PgDatabases.databaseText(db);
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();
    assertThat(err).contains("failed while " + step).contains(check).contains("rolled back");
    assertEmpty();
    assertThat(PgDatabases.databaseText(db)).isEqualTo(empty);
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
  }

  @Test
  void migrate_aStateRowAlteredOnItsWayIn_failsTheTableCheck_andIsRolledBack() throws Exception {
    alteredCopyFailsItsCheck("trust_changes", "NEW.reason := 'altered'; RETURN NEW;", "copying the state",
        "the copy differs from the original in trust_changes");
  }

  @Test
  void migrate_anAuditLineAlteredOnItsWayIn_failsTheChainCheckInTheDatabase_andIsRolledBack() throws Exception {
    alteredCopyFailsItsCheck("audit_entries",
        "IF NEW.seq = 1 THEN NEW.line := overlay(NEW.line placing '\\x21'::bytea from 30 for 1); END IF; RETURN NEW;",
        "copying the audit log", "the moved log does not verify in the database");
  }

  @Test
  void migrate_failingAtTheCommit_isRolledBackToo() throws Exception {
    PgStateDb.migrate(db.connector());
    sql("CREATE FUNCTION injected() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " RAISE EXCEPTION 'injected: a deferred check'; END $$",
        "CREATE CONSTRAINT TRIGGER injected AFTER INSERT ON trust_levels DEFERRABLE INITIALLY DEFERRED"
            + " FOR EACH ROW EXECUTE FUNCTION injected()"); // runs at the commit, after every copy was verified
    String empty = PgDatabases.databaseText(db);
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();
    assertThat(err).contains("failed while committing").contains("injected: a deferred check")
        .contains("rolled back");
    assertEmpty();
    assertThat(PgDatabases.databaseText(db)).isEqualTo(empty);
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
  }

  /**
   * A real process killed (SIGKILL) while its transaction is open: the vault's insert sleeps in
   * a trigger, so the state and the audit log are written by then but not committed. Another
   * session sees nothing meanwhile; once the server has noticed its client is gone (it checks
   * every 100 ms here) the transaction is rolled back, and migrate runs again from the start.
   */
  @Test
  void migrate_killedMidTransaction_leavesTheDatabaseAsItWas_andARerunMovesEverything() throws Exception {
    schemaWithTrigger("vault_images", "PERFORM pg_sleep(300); RETURN NEW;");
    sql("ALTER DATABASE " + db.name() + " SET client_connection_check_interval = '100ms'");
    String empty = PgDatabases.databaseText(db);
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    String jvm = ProcessHandle.current().info().command().orElseThrow();
    Process child = new ProcessBuilder(jvm, "-cp", System.getProperty("java.class.path"), "dev.gatehouse.Main",
        "--home", home.toString(), "--password-file", passwordFile.toString(),
        "migrate", "--to", "postgres", url(), "--user", db.user())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(temp.resolve("child.out").toFile()).start();
    long sleeping = -1;
    try {
      sleeping = awaitBackend("wait_event = 'PgSleep'", child);
      assertThat(PgDatabases.databaseText(db)).as("mid-transaction, another session sees nothing of it")
          .isEqualTo(empty);
      for (long lock : new long[] {PgVaultStorage.LOCK, PgStateDb.STATE_LOCK, PgAuditLog.AUDIT_LOCK}) {
        try (java.sql.Connection c = db.connect(); var st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
          st.setLong(1, lock);
          try (var rs = st.executeQuery()) {
            rs.next();
            assertThat(rs.getBoolean(1)).as("a replica's writer waits for the move: lock %x is held", lock).isFalse();
          }
        }
      }
    } finally {
      child.toHandle().destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
    awaitBackendGone(sleeping);
    assertEmpty();
    assertThat(PgDatabases.databaseText(db)).isEqualTo(empty);
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);

    sql("DROP TRIGGER injected ON vault_images", "ALTER DATABASE " + db.name() + " RESET client_connection_check_interval");
    clock.set(java.time.Instant.now().plus(Duration.ofMinutes(1))); // after the child's entries, at the real time
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).as(err).isZero();
    assertThat(out).contains("verified in the database");
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(out).contains("intact");
    assertThat(run("vault", "list")).as(err).isZero();
    assertThat(out).contains("postgres.password");
  }

  /** The pid of the target's session matching {@code where}, once there is one (the child must stay alive). */
  private long awaitBackend(String where, Process child) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.sql.Connection c = db.connect(); var st = c.createStatement(); var rs = st.executeQuery(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND " + where)) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
      assertThat(child.isAlive()).as("migrate ended before reaching the vault: "
          + (child.isAlive() ? "" : Files.readString(temp.resolve("child.out")))).isTrue();
      Thread.sleep(100); // polls for the child's progress; the deadline fails the test
    }
    throw new AssertionError("migrate did not reach the vault's insert within 90 s: "
        + Files.readString(temp.resolve("child.out")));
  }

  private void awaitBackendGone(long pid) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.sql.Connection c = db.connect(); var st = c.createStatement(); var rs = st.executeQuery(
          "SELECT 1 FROM pg_stat_activity WHERE pid = " + pid)) {
        if (!rs.next()) {
          return;
        }
      }
      Thread.sleep(100); // polls for the server's cleanup; the deadline fails the test
    }
    throw new AssertionError("the killed migrate's session " + pid + " was still there after 60 s");
  }

  @Test
  void migrate_badUrlOrBackend_isBadInput_namingWhatIsWrong() {
    assertThat(run("migrate", "--to", "mysql", url())).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("--to takes postgres");
    assertThat(run("migrate", "--to", "postgres", "postgresql://u:hunter2@127.0.0.1/db")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("password").doesNotContain("hunter2");
    assertThat(run("migrate", "--to", "postgres", url() + "?sslmode=disable")).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void migrate_withoutThePasswordEntry_saysWhichToAdd() {
    assertThat(run("vault", "rm", "postgres.password")).as(err).isZero();
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isEqualTo(ExitCodes.NOT_CONFIGURED);
    assertThat(err).contains("gatehouse vault add postgres.password");
  }
}
