package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.vault.PgVaultStorage;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one PostgreSQL database, b serving signed calls on loopback while a's owner
 * changes the shared vault: what b's calls see of it, and what they cost.
 */
class SharedVaultDaemonTest {
  static final String CANARY = "sk-CANARY-added-on-a-61c0f2";

  @TempDir
  Path temp;
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  TestPostgres.Database d;
  Upstreams upstream;
  Gatehouse ga;
  Gatehouse gb;
  Daemon daemon;
  Agent bot;

  @BeforeEach
  void setUp() throws Exception {
    d = TestPostgres.shared().newDatabase();
    upstream = new Upstreams(r -> Upstreams.Reply.json("{\"seen\":\"" + r.headers().getOrDefault("X-Api-Key", "") + "\"}"));
    Path a = replica("a");
    Path b = replica("b");
    ga = TestHome.open(a, clock);
    gb = TestHome.open(b, clock);
    ga.vaultService().add("svc.apikey", "first-key-value".getBytes(StandardCharsets.UTF_8), false, "cli:test");
    bot = ga.agents().add("bot", List.of("svc.*"), "cli:test");
    TestHome.fullTrust(ga); // the trust levels are shared state too
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024,
        gb.broker(new AtomicReference<>(gb.loadCatalog()), new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        () -> new Daemon.Health(false, true, true, 1, 1));
  }

  private Path replica(String name) throws Exception {
    Path dir = TestHome.create(Files.createDirectories(temp.resolve(name)));
    PgDatabases.usePostgres(dir, d);
    TestHome.writeSearchService(dir, upstream.url());
    return dir;
  }

  @AfterEach
  void tearDown() {
    if (daemon != null) {
      daemon.close();
    }
    upstream.close();
    ga.close();
    gb.close();
  }

  private HttpResponse<String> search(String q) throws Exception {
    return AgentCalls.call(daemon.port(), "svc.search", "{\"q\":\"" + q + "\"}", bot.keyId(), bot.key(),
        clock.instant());
  }

  @Test
  void aSignedCall_readsTheSharedVaultsGenerationOnce() throws Exception {
    assertThat(search("warm").statusCode()).isEqualTo(200); // b's caches of the agent and the credential
    PgVaultStorage storage = (PgVaultStorage) gb.vault().storage();
    for (int i = 0; i < 3; i++) {
      long before = storage.stampReads();
      HttpResponse<String> r = search("q" + i);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(storage.stampReads() - before).as("round trips for the vault's generation in call %d", i)
          .isEqualTo(1);
    }
  }

  @Test
  void aSecretAddedOnA_andUsedByACallOnB_neverReachesTheSharedLog() throws Exception {
    assertThat(search("warm").statusCode()).isEqualTo(200);
    ga.vaultService().add("svc.apikey", CANARY.getBytes(StandardCharsets.UTF_8), true, "cli:test");

    HttpResponse<String> r = search("the agent repeats " + CANARY);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(upstream.received.getLast().headers()).as("b used a's new credential at its next call")
        .containsEntry("X-Api-Key", CANARY);
    String log = PgDatabases.auditText(d);
    assertThat(log).as("b's entries carry the tag, never the value").doesNotContain(CANARY)
        .contains(gb.redactor().tag(CANARY));
  }

  /** A request refused before any key is looked up (no signature at all) is redacted with what the vault holds now. */
  @Test
  void aSecretAddedOnA_inAnUnsignedRequestOnB_neverReachesTheSharedLog() throws Exception {
    assertThat(search("warm").statusCode()).isEqualTo(200);
    String other = "other-canary-added-on-a-5d2e";
    ga.vaultService().add("svc.other", other.getBytes(StandardCharsets.UTF_8), false, "cli:test");

    HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + daemon.port() + "/v1/actions/svc." + other))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(401); // signature-malformed: sign the request
    String log = PgDatabases.auditText(d);
    assertThat(log).as("the refusal's entry names the action by its tag").doesNotContain(other)
        .contains(gb.redactor().tag(other));
  }

  @Test
  void anAgentRevokedOnA_isRefusedAtItsVeryNextCallOnB() throws Exception {
    assertThat(search("before").statusCode()).isEqualTo(200);
    ga.agents().revoke("bot", "cli:test");
    assertThat(search("after").statusCode()).isEqualTo(401);
  }
}
