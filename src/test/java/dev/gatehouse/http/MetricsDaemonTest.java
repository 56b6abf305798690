package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.metrics.MicrometerMetrics;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerUsers;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.FakeOwnerAuth;
import dev.gatehouse.testing.PrometheusText;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} from a real daemon on loopback, after real signed calls: the scrape is
 * parsed as Prometheus text, each counter and histogram moved by what was done, and nothing an
 * agent, an attacker or the upstream chose (nor the vault's secret) appears in it.
 */
class MetricsDaemonTest {
  static final String SECRET = "sk-CANARY-vault-4b1d9e";
  static final String PARAM = "PARAM-CANARY-5150";
  static final String AGENT_PATH = "AGENTPATH-CANARY";
  static final String ATTACKER_ACTION = "ATTACKER-CANARY.evil";
  static final String UNSIGNED_ACTION = "UNSIGNED-CANARY.x";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;
  DaemonHarness h;
  Daemon daemon;
  MicrometerMetrics metrics;
  Agent bot;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    // Echoes the credential it was sent and the path it was asked for: the broker scrubs the one,
    // and neither may reach a metric.
    h = new DaemonHarness(tmp, r -> Upstreams.Reply.json("{\"key\":\"" + r.headers().getOrDefault("X-Api-Key", "")
        + "\",\"path\":\"" + r.rawPath() + "\"}"));
    h.vaultAdd("media.apikey", SECRET);
    h.writeService("media", "service: media\n"
        + "base_url: " + h.upstream.url() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: header, name: X-Api-Key, secret: media.apikey }\n"
        + "actions:\n"
        + "  item: { method: GET, path: \"/api/items/{id}\" }\n"
        + "  files: { method: GET, path: \"{path}\", allow_paths: [\"/api/**\"] }\n");
    h.start("media.*");
    bot = h.agent();
    metrics = h.g.startMetrics(h.catalog());
    Broker broker = h.g.broker(h.catalog(), new GuardedUpstream(new EgressGuard(HostResolver.system())));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, Daemon.table(broker, null, null,
        () -> new Daemon.Health(false, true, true, 1, 2), null, metrics::scrape));
  }

  @AfterEach
  void tearDown() {
    if (daemon != null) {
      daemon.close();
    }
    if (h != null) {
      h.close();
    }
  }

  HttpResponse<String> call(String action, String body, String nonce) throws Exception {
    return AgentCalls.call(daemon.port(), action, body, bot.keyId(), bot.key(), h.clock.instant(), nonce, body);
  }

  String problemSlug(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("type").asText().replace("https://gatehouse.dev/problems/", "");
  }

  HttpResponse<String> scrape() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void scrape_afterCalls_countsEachByActionOutcomeAndCause_andCarriesNoCanary() throws Exception {
    String nonce = AgentCalls.nonce();
    HttpResponse<String> ok = call("media.item", "{\"id\":\"" + PARAM + "\"}", nonce);
    HttpResponse<String> replayed = call("media.item", "{\"id\":\"" + PARAM + "\"}", nonce);
    HttpResponse<String> path = call("media.files", "{\"path\":\"/api/../../etc/" + AGENT_PATH + "\"}",
        AgentCalls.nonce());
    HttpResponse<String> unknown = call(ATTACKER_ACTION, "{\"q\":\"" + PARAM + "\"}", AgentCalls.nonce());
    HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port()
        + "/v1/actions/" + UNSIGNED_ACTION)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).doesNotContain(SECRET).contains(PARAM); // scrubbed, and the parameter did go out
    assertThat(problemSlug(replayed)).isEqualTo("replayed-nonce");
    assertThat(problemSlug(path)).isEqualTo("path-refused");
    assertThat(problemSlug(unknown)).isEqualTo("unknown-action");
    String unsignedCause = problemSlug(unsigned);
    assertThat(unsigned.statusCode()).isEqualTo(401);

    HttpResponse<String> s = scrape();
    assertThat(s.statusCode()).isEqualTo(200);
    assertThat(s.headers().firstValue("content-type")).contains(MicrometerMetrics.CONTENT_TYPE);
    String text = s.body();
    assertThat(text).doesNotContain("CANARY").doesNotContain(SECRET).doesNotContain(bot.keyId())
        .doesNotContain("etc").doesNotContain(bot.name() + "\"");
    PrometheusText t = PrometheusText.parse(text);

    assertThat(t.value("gatehouse_calls_seconds_count", "action", "media.item", "outcome", "answered")).isEqualTo(1);
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "media.item", "outcome", "refused")).isEqualTo(1);
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "media.files", "outcome", "refused")).isEqualTo(1);
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "unknown", "outcome", "refused"))
        .as("the attacker's signed and unsigned names, both").isEqualTo(2);
    assertThat(t.value("gatehouse_refusals_total", "cause", "replayed-nonce")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", "path-refused")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", "unknown-action")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", unsignedCause)).isEqualTo(1);
    assertThat(t.find("gatehouse_refusals_total").stream().mapToDouble(PrometheusText.Sample::value).sum())
        .as("nothing else was refused").isEqualTo(4);
    for (PrometheusText.Sample count : t.find("gatehouse_calls_seconds_count")) {
      assertThat(t.value("gatehouse_calls_seconds_bucket", "action", count.labels().get("action"), "outcome",
          count.labels().get("outcome"), "le", "+Inf")).as("every call is in a bucket").isEqualTo(count.value());
    }
    assertThat(t.value("gatehouse_calls_seconds_sum", "action", "media.item", "outcome", "answered")).isPositive();

    // Each decision above waited for its durable audit entry (the allowed call's, and each refusal's).
    assertThat(t.value("gatehouse_audit_append_seconds_count")).isGreaterThanOrEqualTo(5);
    assertThat(t.value("gatehouse_audit_batch_entries_count")).isGreaterThanOrEqualTo(1);
    assertThat(t.value("gatehouse_audit_batch_entries_sum")).isGreaterThanOrEqualTo(
        t.value("gatehouse_audit_batch_entries_count"));
    assertThat(t.value("gatehouse_audit_batch_write_seconds_count"))
        .isEqualTo(t.value("gatehouse_audit_batch_entries_count"));
    assertThat(t.value("gatehouse_sealed")).isZero();
    assertThat(t.value("gatehouse_approvals_pending")).isZero();
    assertThat(t.value("gatehouse_totp_locked")).isZero();
    assertThat(t.value("gatehouse_totp_lockouts_total")).isZero();

    Set<String> actions = new HashSet<>(Set.of("media.item", "media.files", Metrics.UNKNOWN_ACTION));
    Set<String> outcomes = Arrays.stream(Metrics.Outcome.values()).map(o -> o.label).collect(Collectors.toSet());
    Set<String> causes = Arrays.stream(Problem.Kind.values()).map(k -> k.slug).collect(Collectors.toSet());
    causes.add("other");
    for (PrometheusText.Sample sample : t.samples()) {
      sample.labels().forEach((k, v) -> {
        switch (k) {
          case "action" -> assertThat(v).isIn(actions);
          case "outcome" -> assertThat(v).isIn(outcomes);
          case "cause" -> assertThat(v).isIn(causes);
          case "le" -> assertThat(v).matches("[0-9.E+-]+|\\+Inf");
          default -> throw new AssertionError("a label outside the closed sets: " + k + " on " + sample);
        }
      });
    }
  }

  @Test
  void scrape_ofAnActionNeverCalled_showsNoSeriesForIt_andEveryCauseAtZero() throws Exception {
    PrometheusText t = PrometheusText.parse(scrape().body());

    assertThat(t.find("gatehouse_calls_seconds_count")).isEmpty();
    assertThat(t.find("gatehouse_refusals_total")).hasSize(Problem.Kind.values().length + 1)
        .allSatisfy(s -> assertThat(s.value()).isZero());
  }

  // ---- who may scrape: the route's decision, by the connection's address ------------------------

  static Broker.Call get(String remote, Map<String, String> headers) {
    return new Broker.Call("GET", "gatehouse.example:19999", "/metrics", null, headers, new byte[0], remote);
  }

  @Test
  void route_answersLoopbackPeers_andRefusesOthersWithoutAnOwnerPlane_whateverTheyClaim() {
    var route = MetricsEndpoint.handler(() -> "gatehouse_sealed 0.0\n", null);

    for (String local : List.of("127.0.0.1", "127.8.9.10", "0:0:0:0:0:0:0:1", "::1", "[::1]", "::ffff:127.0.0.1")) {
      assertThat(route.apply(get(local, Map.of())).status()).as(local).isEqualTo(200);
    }
    for (String remote : List.of("192.0.2.7", "10.0.0.1", "::ffff:192.0.2.7", "2001:db8::1", "localhost",
        "127.0.0.1.nip.io", "", "0.0.0.0")) {
      Broker.Answer a = route.apply(get(remote, Map.of("x-forwarded-for", "127.0.0.1", "host", "127.0.0.1")));
      assertThat(a.status()).as(remote).isEqualTo(404);
      assertThat(new String(a.body(), StandardCharsets.UTF_8)).doesNotContain("gatehouse_sealed");
    }
  }

  @Test
  void tableRoute_beyondLoopback_needsAnOwnerBearerToken_ofAnyRole() throws Exception {
    FakeOwnerAuth auth = new FakeOwnerAuth(h.clock);
    Broker broker = h.g.broker(h.catalog(), new GuardedUpstream(new EgressGuard(HostResolver.system())));
    List<Daemon.Route> table = Daemon.table(broker, null, null, () -> new Daemon.Health(false, true, true, 1, 2),
        new Daemon.OwnerPlane(new OwnerGate(auth, h.clock, false),
            new OwnerApi(auth, h.g.ownerOperations(h.catalog(), OwnerUsers.NONE), h.clock), List.of(), List.of()),
        metrics::scrape);
    Daemon.Route route = table.stream().filter(r -> r.path().equals("/metrics")).findFirst().orElseThrow();
    assertThat(route.method()).isEqualTo("GET");
    assertThat(route.access()).isEqualTo(new Daemon.Access.LoopbackOrOwner(Role.VIEWER));
    String remote = "192.0.2.7";

    Broker.Answer none = route.handler().apply(get(remote, Map.of()));
    Broker.Answer forged = route.handler().apply(get(remote, Map.of("authorization", "Bearer not-a-token",
        "x-forwarded-for", "127.0.0.1")));
    Broker.Answer viewer = route.handler().apply(get(remote, Map.of("authorization",
        "Bearer " + auth.session(Role.VIEWER, false).accessToken())));
    Broker.Answer local = route.handler().apply(get("127.0.0.1", Map.of()));

    assertThat(none.status()).isEqualTo(401);
    assertThat(forged.status()).isEqualTo(401);
    assertThat(new String(none.body(), StandardCharsets.UTF_8) + new String(forged.body(), StandardCharsets.UTF_8))
        .doesNotContain("gatehouse_");
    assertThat(viewer.status()).isEqualTo(200);
    assertThat(new String(viewer.body(), StandardCharsets.UTF_8)).contains("gatehouse_sealed");
    assertThat(local.status()).isEqualTo(200);
    assertThat(Daemon.table(broker, null, null, () -> null, null, null)).as("no scrape given: no route")
        .noneMatch(r -> r.path().equals("/metrics"));
  }
}
