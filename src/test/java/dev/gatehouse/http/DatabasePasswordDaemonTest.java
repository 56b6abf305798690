package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.vault.Credential;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon serving signed calls on a home on PostgreSQL, whose role's password is changed
 * (ALTER ROLE) and then given to the home by {@code gatehouse storage password} in another
 * process: the daemon's connections opened before go on, and every connection it opens after
 * (here, after a database restart broke them all) logs in with the new password, with no
 * restart of the daemon.
 */
class DatabasePasswordDaemonTest {
  /** How many calls may fail after the restart: each holder finds its broken connection out at its first use. */
  private static final int FIRST_USES = 5;

  @TempDir
  Path temp;
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  TestPostgres pg;
  TestPostgres.Database d;
  Upstreams upstream;
  Path home;
  Gatehouse served;
  Daemon daemon;
  Agent bot;

  @BeforeEach
  void setUp() throws Exception {
    pg = TestPostgres.shared();
    d = pg.newDatabaseWithOwnRole();
    upstream = new Upstreams(r -> Upstreams.Reply.json("{\"ok\":true}"));
    home = TestHome.create(Files.createDirectories(temp.resolve("a")));
    PgDatabases.usePostgres(home, d);
    TestHome.writeSearchService(home, upstream.url());
    served = TestHome.open(home, clock); // composed as `gatehouse serve` composes it
    served.vaultService().add("svc.apikey", "the-api-key".getBytes(StandardCharsets.UTF_8), false, "cli:test");
    bot = served.agents().add("bot", List.of("svc.*"), "cli:test");
    TestHome.fullTrust(served);
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024,
        served.broker(new AtomicReference<>(served.loadCatalog()),
            new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        () -> new Daemon.Health(false, true, true, 1, 1));
  }

  @AfterEach
  void tearDown() {
    if (daemon != null) {
      daemon.close();
    }
    upstream.close();
    if (served != null) {
      served.close();
    }
  }

  private HttpResponse<String> search(String q) throws Exception {
    return AgentCalls.call(daemon.port(), "svc.search", "{\"q\":\"" + q + "\"}", bot.keyId(), bot.key(),
        clock.instant());
  }

  /** The first 200 among a few calls; the refusals before it are kept in {@code refused}. */
  private HttpResponse<String> searchUntilServed(String q, List<String> refused) throws Exception {
    HttpResponse<String> r = null;
    for (int i = 0; i < FIRST_USES; i++) {
      r = search(q + "-" + i);
      if (r.statusCode() == 200) {
        return r;
      }
      refused.add(r.statusCode() + " " + r.body());
    }
    return r;
  }

  @Test
  void storagePassword_onTheHome_isUsedByTheRunningDaemonsNextConnections_withoutARestart() throws Exception {
    assertThat(search("before").statusCode()).isEqualTo(200);
    String canary = "pw-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    pg.changePassword(d, canary); // the administrator's ALTER ROLE: sessions logged in before it go on
    ListAppender<ILoggingEvent> log = capture();
    List<String> refused = new ArrayList<>();
    try {
      // `gatehouse storage password` on the same home, while the daemon runs: another composition.
      try (Gatehouse cli = Gatehouse.open(home, clock, new SecureRandom());
          Credential c = new Credential.Password(TestHome.PASSWORD.toCharArray())) {
        assertThat(cli.replaceDatabasePassword(c, canary.toCharArray(), "cli:test")).isTrue();
      }

      pg.stopImmediately(); // every session of the daemon ends; each holder must log in again
      try {
        HttpResponse<String> down = search("down");
        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        refused.add(down.body());
      } finally {
        pg.start();
      }

      HttpResponse<String> r = searchUntilServed("after", refused);
      for (int i = 0; i < 2; i++) { // the state's own connection, found broken at its first use if no call used it
        try {
          served.stateDb().read(c -> null);
          break;
        } catch (java.sql.SQLException e) {
          refused.add("the state: " + e.getMessage()); // why, when the calls are refused
        }
      }
      assertThat(r.statusCode()).as("the daemon serves again with the new password; refused before: %s", refused)
          .isEqualTo(200);
      assertThat(refused).as("no attempt failed for the password").noneMatch(s -> s.contains("authentication"));
      served.trust().set(Domain.values()[0], Level.FULL, "cli:test", "the state is written again");
      assertThat(served.trust().level(Domain.values()[0])).isEqualTo(Level.FULL);
      long size = served.auditLog().size();
      served.audit().record(new AuditEvent("test.after", "cli:test", "db", "ok", Map.of()));
      assertThat(served.auditLog().size()).as("the audit log appends again").isGreaterThan(size);
      assertThat(served.vault().list()).as("the shared vault is read again").isNotEmpty();
    } finally {
      stopCapture(log);
    }

    String logged = String.join("\n", log.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    String thrown = String.join("\n", log.list.stream().filter(e -> e.getThrowableProxy() != null)
        .map(e -> e.getThrowableProxy().getMessage()).toList());
    assertNoTrace("the log lines", logged + "\n" + thrown, canary);
    assertNoTrace("the refusals", String.join("\n", refused), canary);
    assertNoTrace("the shared audit log", PgDatabases.auditText(new TestPostgres.Database(d.name(), d.port(), d.user(), canary)), canary);
    try (Stream<Path> files = Files.walk(home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (!f.equals(home.resolve(Gatehouse.VAULT_FILE))) {
          assertNoTrace(f.toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1), canary);
        }
      }
    }
  }

  private static ListAppender<ILoggingEvent> capture() {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    root.addAppender(appender);
    return appender;
  }

  private static void stopCapture(ListAppender<ILoggingEvent> appender) {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .detachAppender(appender);
  }

  /** {@code text} holds {@code secret} in none of the forms a careless write would leave: text, hex, base64. */
  private static void assertNoTrace(String where, String text, String secret) {
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    assertThat(text).as(where).doesNotContain(secret).doesNotContain(HexFormat.of().formatHex(bytes))
        .doesNotContain(Base64.getEncoder().withoutPadding().encodeToString(bytes));
  }
}
