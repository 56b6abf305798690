package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.store.StateMigration;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
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
    assertThat(out).as("the moved log holds the move").contains("moved").doesNotContain(db.password());
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
    try (StateDb other = PgStateDb.open(db.jdbcUrl(), db.properties())) {
      other.transaction(c -> {
        c.createStatement().execute("INSERT INTO agent_usage (name, last_used) VALUES ('someone-else', 1)");
        return null;
      });
    }
    String config = Files.readString(home.resolve("gatehouse.yaml"));
    assertThat(run("migrate", "--to", "postgres", url(), "--user", db.user())).isNotZero();
    assertThat(err).contains("already holds state").contains("agent_usage has 1 rows").contains("changed nothing");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).isEqualTo(config);
    try (StateDb other = PgStateDb.open(db.jdbcUrl(), db.properties())) {
      assertThat(StateMigration.counts(other).get("trust_levels")).isZero();
    }
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
