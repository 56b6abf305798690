package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.Principal;
import dev.gatehouse.chat.ChatGate;
import dev.gatehouse.chat.GateEndpoint;
import dev.gatehouse.config.Config;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.guard.InjectionScanner;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of {@link Daemon#table} with every kind of key, read from that same table; and
 * the gate endpoint's wire contract (DESIGN §9) over a real daemon on loopback.
 */
class RoutesDaemonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Gatehouse g;
  private Daemon daemon;
  private List<Daemon.Route> routes;
  private Agent agent;
  private Agent channel;
  private final java.util.Set<String> allowed = new java.util.HashSet<>();

  @BeforeEach
  void start() throws Exception {
    Path home = TestHome.create(temp);
    g = TestHome.open(home, clock);
    agent = g.agents().add("bot", List.of("*"), "test");
    channel = g.channels().add("tg", List.of(), "test");
    var catalog = new AtomicReference<>(g.loadCatalog());
    dev.gatehouse.chat.Pairing pairing = new dev.gatehouse.chat.Pairing() {
      public boolean isAllowed(String ch, String sender) {
        return allowed.contains(ch + ":" + sender);
      }

      public Request request(String ch, String sender, String name) {
        return new Code("ABCDEFGH", Instant.MAX, true);
      }
    };
    ChatGate gate = new ChatGate(pairing, g.totp(), new InjectionScanner(), g.audit(), clock, () -> Config.Chat.DEFAULT);
    routes = Daemon.table(g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        new dev.gatehouse.broker.ApprovalStatusEndpoint(g.authenticator(), g.trustParts().approvals(), g.audit()),
        new GateEndpoint(g.authenticator(), gate, g.audit()), () -> new Daemon.Health(false, true, true, 0, 0));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, routes);
  }

  @AfterEach
  void stop() {
    daemon.close();
    g.close();
  }

  private HttpResponse<String> post(String path, String body, Agent key) throws Exception {
    return AgentCalls.post(daemon.port(), path, body, key.keyId(), key.key(), clock.instant(), AgentCalls.nonce(), body);
  }

  /** A request as the route's method is signed: a POST with its body, a GET without one. */
  private HttpResponse<String> send(Daemon.Route route, String path, String body, String keyId, byte[] key)
      throws Exception {
    if (route.method().equals("POST")) {
      return AgentCalls.post(daemon.port(), path, body, keyId, key, clock.instant(), AgentCalls.nonce(), body);
    }
    java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + daemon.port() + path);
    var req = java.net.http.HttpRequest.newBuilder(uri).GET();
    dev.gatehouse.identity.MessageSignatures.signWithoutBody("GET", uri, keyId, key, clock.instant().getEpochSecond(),
        AgentCalls.nonce()).forEach(req::header);
    return java.net.http.HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String concrete(Daemon.Route r) {
    return r.path().endsWith("*") ? r.path().replace("*", "none.thing") : r.path();
  }

  private static String problem(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("type").asText().replace("https://gatehouse.dev/problems/", "");
  }

  @Test
  void everySignedRoute_acceptsOnlyItsOwnKindOfKey() throws Exception {
    Map<Principal.Kind, Agent> keys = Map.of(Principal.Kind.AGENT, agent, Principal.Kind.CHANNEL, channel);
    int signedRoutes = 0;
    for (Daemon.Route route : routes) {
      if (route.principal() == null) {
        continue;
      }
      signedRoutes++;
      String path = concrete(route);
      String body = "{\"sender\":\"1\",\"text\":\"hi\"}";
      HttpResponse<String> unsigned = send(route, path, body, "nobody.0000", new byte[32]);
      assertThat(unsigned.statusCode()).as("%s with an unknown key", path).isEqualTo(401);
      for (var e : keys.entrySet()) {
        HttpResponse<String> r = send(route, path, body, e.getValue().keyId(), e.getValue().key());
        if (e.getKey() == route.principal()) {
          assertThat(r.statusCode()).as("%s with its own kind of key (%s)", path, e.getKey()).isNotIn(401, 403);
        } else {
          assertThat(r.statusCode()).as("%s with a %s key", path, e.getKey()).isEqualTo(403);
          assertThat(problem(r)).isEqualTo("wrong-key-kind");
        }
      }
    }
    assertThat(signedRoutes).as("the table has the action, action list, MCP, approval and gate routes").isEqualTo(5);
  }

  @Test
  void health_answersWithoutASignature() throws Exception {
    var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + daemon.port() + "/v1/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void aNonceSpentOnOneEndpoint_isSpentOnAll() throws Exception {
    String nonce = AgentCalls.nonce();
    String body = "{\"sender\":\"1\",\"text\":\"hi\"}";
    var first = AgentCalls.post(daemon.port(), GateEndpoint.PATH, body, channel.keyId(), channel.key(),
        clock.instant(), nonce, body);
    var again = AgentCalls.post(daemon.port(), GateEndpoint.PATH, body, channel.keyId(), channel.key(),
        clock.instant(), nonce, body);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(problem(again)).isEqualTo("replayed-nonce");
  }

  @Test
  void gateAnswer_hasTheContractsFields() throws Exception {
    var r = post(GateEndpoint.PATH, "{\"sender\":\"77\",\"text\":\"hi\",\"sender_name\":\"Ann\"}", channel);
    JsonNode n = JSON.readTree(r.body());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Gatehouse-Audit-Seq")).isPresent();
    assertThat(n.path("decision").asText()).isEqualTo("pairing");
    assertThat(n.path("pairing_code").asText()).isEqualTo("ABCDEFGH");
    assertThat(n.has("reply")).isTrue();
    assertThat(n.path("text").isNull()).isTrue();
    assertThat(n.path("flags").isArray()).isTrue();
    assertThat(n.path("delete_message").asBoolean()).isFalse();
    assertThat(n.path("audit_seq").asLong()).isEqualTo(Long.parseLong(r.headers().firstValue("Gatehouse-Audit-Seq")
        .orElseThrow()));
  }

  @Test
  void gateBody_malformed_isA400_namingTheField() throws Exception {
    Map<String, String> bad = Map.of(
        "[1]", "one JSON object",
        "{\"sender\":\"1\"}", "text must be a string",
        "{\"sender\":1,\"text\":\"x\"}", "sender must be a string",
        "{\"sender\":\"1\",\"text\":\"x\",\"channel\":\"other\"}", "unknown field 'channel'",
        "{\"sender\":\"1\",\"text\":\"x\",\"invokes_agent\":\"no\"}", "invokes_agent",
        "{\"sender\":\"1\",\"text\":\"x\"} {}", "one JSON object",
        "{\"sender\":\"1\",\"sender\":\"2\",\"text\":\"x\"}", "one JSON object",
        "{\"sender\":\"a b\",\"text\":\"x\"}", "sender must be");
    for (var e : bad.entrySet()) {
      var r = post(GateEndpoint.PATH, e.getKey(), channel);
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).path("detail").asText()).as(e.getKey()).contains(e.getValue());
    }
  }

  @Test
  void theChannelComesFromTheKey_notTheBody() throws Exception {
    allowed.add("tg:5");
    var r = post(GateEndpoint.PATH, "{\"sender\":\"5\",\"text\":\"hi\"}", channel);
    assertThat(JSON.readTree(r.body()).path("decision").asText()).isEqualTo("challenge");
  }

  @Test
  void revokedChannel_isUnauthenticated() throws Exception {
    g.channels().revoke("tg", "test");
    var r = post(GateEndpoint.PATH, "{\"sender\":\"5\",\"text\":\"hi\"}", channel);
    assertThat(r.statusCode()).isEqualTo(401);
  }

  @Test
  void agentAndChannelNames_areUniqueAcrossBoth() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.channels().add("bot", List.of(), "test"))
        .hasMessageContaining("already the name of an agent");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.agents().add("tg", List.of(), "test"))
        .hasMessageContaining("already the name of a chat channel");
  }
}
