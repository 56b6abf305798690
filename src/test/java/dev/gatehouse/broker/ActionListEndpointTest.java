package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/actions} over a real daemon on loopback: exactly the signer's allowed actions, nothing of the rest. */
class ActionListEndpointTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Gatehouse g;
  private Daemon daemon;
  private Agent reader;
  private Agent everything;
  private Agent channel;

  @BeforeEach
  void start() throws Exception {
    g = TestHome.open(TestHome.create(temp), clock);
    reader = g.agents().add("reader", List.of("media.lookup", "files.api"), "test");
    everything = g.agents().add("all", List.of("*"), "test");
    channel = g.channels().add("tg", List.of(), "test");
    Path dir = Files.createDirectory(temp.resolve("services"));
    Files.writeString(dir.resolve("media.yaml"), """
        service: media
        base_url: https://media.example.com
        auth: { type: header, name: X-Api-Key, secret: media.apikey }
        actions:
          lookup: { path: /api/lookup, query: { term: "{q}" }, description: "Look up a title.", domain: integrations }
          delete: { method: DELETE, path: "/api/item/{id}", params: { id: integer, force: "boolean?" } }
        """);
    Files.writeString(dir.resolve("files.yaml"), """
        service: files
        base_url: https://files.example.com
        auth: { type: bearer, secret: files.token }
        actions:
          api: { path: "{path}", allow_paths: ["/v2/info", "/v2/app/*"], domain: files }
          mode: { method: POST, path: /mode, params: { mode: "fast|slow", extra: "json?" } }
        """);
    var catalog = new AtomicReference<>(Catalog.load(dir, name -> true));
    Broker broker = g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system())));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, Daemon.table(broker, null, null,
        () -> new Daemon.Health(false, true, true, 2, 4)));
  }

  @AfterEach
  void stop() {
    daemon.close();
    g.close();
  }

  private URI uri() {
    return URI.create("http://127.0.0.1:" + daemon.port() + ActionListEndpoint.PATH);
  }

  private HttpResponse<String> list(Agent key, String nonce) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri()).GET();
    MessageSignatures.signWithoutBody("GET", uri(), key.keyId(), key.key(), clock.instant().getEpochSecond(), nonce)
        .forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> names(HttpResponse<String> r) throws Exception {
    List<String> out = new ArrayList<>();
    JSON.readTree(r.body()).path("actions").forEach(a -> out.add(a.path("name").asText()));
    return out;
  }

  @Test
  void list_answersExactlyTheAllowedActions_withTheirParameters() throws Exception {
    HttpResponse<String> r = list(reader, AgentCalls.nonce());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(names(r)).containsExactly("files.api", "media.lookup");
    JsonNode actions = JSON.readTree(r.body()).path("actions");
    JsonNode api = actions.get(0);
    assertThat(api.path("domain").asText()).isEqualTo("files");
    assertThat(api.path("description").asText()).isEmpty();
    assertThat(api.path("params").path("path").path("paths").toString()).isEqualTo("[\"/v2/info\",\"/v2/app/*\"]");
    JsonNode lookup = actions.get(1);
    assertThat(lookup.path("description").asText()).isEqualTo("Look up a title.");
    assertThat(lookup.path("params").toString()).isEqualTo("{\"q\":{\"type\":\"string\",\"required\":true}}");
    assertThat(r.body()).as("nothing of the catalog beyond names, descriptions, domains and parameters")
        .doesNotContain("example.com", "apikey", "X-Api-Key", "/api/lookup", "term", "bearer", "delete");
  }

  @Test
  void list_withAWildcardAllowlist_hasEveryActionAndItsTypes() throws Exception {
    HttpResponse<String> r = list(everything, AgentCalls.nonce());
    assertThat(names(r)).containsExactly("files.api", "files.mode", "media.delete", "media.lookup");
    JsonNode params = JSON.readTree(r.body()).path("actions").get(1).path("params");
    assertThat(params.toString()).isEqualTo("{\"mode\":{\"type\":\"string\",\"required\":true,\"values\":[\"fast\","
        + "\"slow\"]},\"extra\":{\"type\":\"json\",\"required\":false}}");
    JsonNode delete = JSON.readTree(r.body()).path("actions").get(2).path("params");
    assertThat(delete.toString()).isEqualTo("{\"id\":{\"type\":\"integer\",\"required\":true},\"force\":{\"type\":"
        + "\"boolean\",\"required\":false}}");
  }

  @Test
  void list_refusesUnknownKeysChannelKeysAndReplays_andAuditsTheRefusals() throws Exception {
    Agent stranger = new Agent("x", "x.0000", new byte[32], List.of("*"), Instant.EPOCH, java.util.Optional.empty());
    assertThat(list(stranger, AgentCalls.nonce()).statusCode()).isEqualTo(401);
    HttpResponse<String> wrong = list(channel, AgentCalls.nonce());
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(wrong.body()).path("type").asText()).endsWith("/wrong-key-kind");
    String nonce = AgentCalls.nonce();
    assertThat(list(reader, nonce).statusCode()).isEqualTo(200);
    assertThat(list(reader, nonce).statusCode()).as("a replayed nonce").isEqualTo(401);
    clock.advance(java.time.Duration.ofSeconds(31));
    HttpRequest.Builder stale = HttpRequest.newBuilder(uri()).GET();
    MessageSignatures.signWithoutBody("GET", uri(), reader.keyId(), reader.key(),
        clock.instant().minusSeconds(31).getEpochSecond(), AgentCalls.nonce()).forEach(stale::header);
    assertThat(HTTP.send(stale.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    String audit = AgentCalls.auditText(temp.resolve("home"));
    assertThat(audit).contains("actions.list");
    assertThat(audit.lines().filter(l -> l.contains("actions.list")).count()).isEqualTo(4);
    assertThat(audit.lines().filter(l -> l.contains("actions.list") && l.contains("allowed")).count())
        .as("a listing changes nothing and is not audited").isZero();
  }

  @Test
  void list_signedWithABody_orAsPost_isRefused() throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri()).POST(HttpRequest.BodyPublishers.ofString("{}"));
    MessageSignatures.sign("POST", uri(), "{}".getBytes(), reader.keyId(), reader.key(),
        clock.instant().getEpochSecond(), AgentCalls.nonce(), Map.of()).forEach(b::header);
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isBetween(400, 499);
    assertThat(r.body()).doesNotContain("media.lookup");
  }
}
