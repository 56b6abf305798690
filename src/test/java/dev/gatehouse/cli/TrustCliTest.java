package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.TrustStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** `trust` as the owner uses it, over a real home. */
class TrustCliTest extends CliTestBase {
  @BeforeEach
  void initHome() {
    assertThat(run("init")).isZero();
  }

  /** What another process (the daemon) does with the same home. */
  void daemon(Consumer<TrustStore> work) {
    try (Gatehouse g = TestHome.open(home, clock)) {
      work.accept(g.trust());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonNode json() throws Exception {
    return new ObjectMapper().readTree(out);
  }

  JsonNode domain(JsonNode show, String name) {
    for (JsonNode d : show) {
      if (d.path("domain").asText().equals(name)) {
        return d;
      }
    }
    throw new AssertionError("no domain " + name + " in " + show);
  }

  @Test
  void newHome_startsEveryDomainAtNone_andShowNeedsNoPassword() throws Exception {
    assertThat(runRaw(terminal, "trust", "show")).as(err).isZero();
    assertThat(out).contains("DOMAIN").contains("messaging").contains("0 none").contains("#1").contains("cli:")
        .contains("0 approved, 0 denied, 0 refused").contains("gatehouse trust set DOMAIN LEVEL --reason TEXT");

    assertThat(runRaw(terminal, "trust", "show", "--json")).isZero();
    JsonNode show = json();
    assertThat(show).hasSize(9);
    for (JsonNode d : show) {
      assertThat(d.path("level").asInt()).isZero();
      assertThat(d.path("name").asText()).isEqualTo("none");
      assertThat(d.path("reason").asText()).isEqualTo(TrustStore.NEW_HOME_REASON);
      assertThat(d.path("changed").asText()).isEqualTo("2026-11-22T10:00:05Z");
    }
    assertThat(domain(show, "system").path("evidence").path("approved").asInt()).isZero();
    assertThat(run("audit", "tail", "--type", "trust.change")).isZero();
    assertThat(out).contains("initialized").contains("every domain starts at 0");
  }

  @Test
  void setHistoryRollback_asTheOwnerDoes() throws Exception {
    clock.advance(Duration.ofMinutes(1));
    assertThat(run("trust", "set", "web", "suggest", "--reason", "news, with my approval")).as(err).isZero();
    assertThat(out).contains("web: 0 (none) -> 2 (suggest) (change #10)").contains("gatehouse trust rollback 10");
    assertThat(run("trust", "set", "web", "4", "--reason", "it went well")).as(err).isZero();
    daemon(t -> assertThat(t.level(Domain.WEB)).as("at once, for another process").isEqualTo(Level.FULL));

    assertThat(runRaw(terminal, "trust", "history")).as("no password needed").isZero();
    assertThat(out).contains("ID").contains("REASON").contains("#10").contains("#11").contains("it went well")
        .contains("2026-11-22T10:01:05Z");
    assertThat(run("trust", "history", "--json")).isZero();
    JsonNode last = json().get(10);
    assertThat(last.path("id").asLong()).isEqualTo(11);
    assertThat(last.path("domain").asText()).isEqualTo("web");
    assertThat(last.path("from").asInt()).isEqualTo(2);
    assertThat(last.path("to").asInt()).isEqualTo(4);
    assertThat(last.path("who").asText()).isEqualTo("cli:tester");
    assertThat(last.path("reason").asText()).isEqualTo("it went well");
    assertThat(last.path("rollback_of").isNull()).isTrue();

    assertThat(run("trust", "rollback", "#11")).as(err).isZero();
    assertThat(out).contains("web: 4 (full) -> 2 (suggest) (change #12, rollback of #11)");
    assertThat(run("trust", "show", "--json")).isZero();
    JsonNode web = domain(json(), "web");
    assertThat(web.path("level").asInt()).isEqualTo(2);
    assertThat(web.path("change").asLong()).isEqualTo(12);
    assertThat(web.path("reason").asText()).isEqualTo("rollback of #11");
    assertThat(run("trust", "history", "--json")).isZero();
    assertThat(json().get(11).path("rollback_of").asLong()).isEqualTo(11);

    assertThat(run("audit", "tail", "--type", "trust.change", "-n", "3")).isZero();
    assertThat(out).contains("cli:tester").contains("news, with my approval").contains("rolled-back");
    assertThat(run("audit", "verify")).isZero();
  }

  @Test
  void badInput_isExitTwo_namesTheValidValues_andChangesNothing() throws Exception {
    assertThat(run("trust", "set", "banking", "2", "--reason", "x")).isEqualTo(2);
    assertThat(err).contains("unknown domain 'banking'").contains(Domain.names());
    assertThat(run("trust", "set", "web", "5", "--reason", "x")).isEqualTo(2);
    assertThat(err).contains("unknown level '5'").contains("0 none, 1 inform, 2 suggest, 3 act-and-report, 4 full");
    assertThat(run("trust", "set", "web", "Full", "--reason", "x")).isEqualTo(2);
    assertThat(run("trust", "set", "web", "full")).as("no reason").isEqualTo(2);
    assertThat(err).contains("--reason");
    assertThat(run("trust", "set", "web", "full", "--reason", "  ")).isEqualTo(2);
    assertThat(err).contains("a reason is required");
    assertThat(run("trust", "set", "web", "full", "--reason", "a\u001b[2Jb")).isEqualTo(2);
    assertThat(run("trust", "rollback", "99")).isEqualTo(2);
    assertThat(err).contains("there is no trust change #99");
    assertThat(run("trust", "rollback", "-3")).isEqualTo(2);
    assertThat(run("trust", "rollback", "ten")).isEqualTo(2);
    assertThat(err).contains("a change id is a positive number");

    assertThat(run("trust", "history", "--json")).isZero();
    assertThat(json()).hasSize(9);
  }

  @Test
  void set_needsTheVault_showDoesNot() {
    assertThat(runRaw(terminal, "trust", "set", "web", "4", "--reason", "no password")).isNotZero();
    assertThat(err).contains("password");
    assertThat(runRaw(terminal, "trust", "show")).isZero();
    assertThat(out).contains("web           0 none");
  }

  @Test
  void demotion_byTheDaemon_showsInTheHistory_withTheEvidenceNamed() throws Exception {
    assertThat(run("trust", "set", "files", "act-and-report", "--reason", "backups")).isZero();
    daemon(t -> {
      for (int i = 0; i < 3; i++) {
        clock.advance(Duration.ofSeconds(30));
        t.evidence(Domain.FILES, "backup-bot", "path-refused");
      }
    });

    assertThat(run("trust", "history")).isZero();
    assertThat(out).contains("gatehouse").contains("3 refusals or denials within 10 minutes: path-refused by backup-bot (3)");
    assertThat(run("trust", "show", "--json")).isZero();
    assertThat(domain(json(), "files").path("level").asInt()).isEqualTo(2);
    assertThat(domain(json(), "files").path("changed_by").asText()).isEqualTo("gatehouse");
    assertThat(run("audit", "tail", "--type", "trust.change")).isZero();
    assertThat(out).contains("demoted");
  }

  @Test
  void homeMadeBeforeTrustLevels_isAdoptedAtTheDaemonsStart_andSetWaitsForIt() throws Exception {
    try (StateDb db = StateDb.open(home.resolve(StateDb.FILE))) {
      db.transaction(c -> c.createStatement().executeUpdate("DELETE FROM trust_levels")
          + c.createStatement().executeUpdate("DELETE FROM trust_changes"));
    }
    assertThat(run("trust", "show")).isZero();
    assertThat(out).contains("not set up in this home yet").contains("counts as 0");
    assertThat(run("trust", "set", "web", "4", "--reason", "now")).isEqualTo(4);
    assertThat(err).contains("gatehouse serve");

    daemon(t -> assertThat(t.adoptLegacy(EnumSet.of(Domain.WEB), "gatehouse")).isTrue());
    daemon(t -> assertThat(t.adoptLegacy(EnumSet.of(Domain.WEB), "gatehouse")).isFalse());

    assertThat(run("trust", "show", "--json")).isZero();
    assertThat(domain(json(), "web").path("level").asInt()).isEqualTo(4);
    assertThat(domain(json(), "web").path("reason").asText()).isEqualTo(TrustStore.LEGACY_REASON);
    assertThat(domain(json(), "email").path("level").asInt()).isZero();
    assertThat(AgentCalls.auditText(home)).contains(TrustStore.LEGACY_REASON);
  }

  @Test
  void help_explainsTheLevels_andNamesEverySubcommand() {
    assertThat(run("trust", "--help")).isZero();
    assertThat(out).contains("show").contains("set").contains("history").contains("rollback")
        .contains("0 none").contains("4 full").contains("act-and-report");
    assertThat(run("--help")).isZero();
    assertThat(out).contains("trust");
  }
}
