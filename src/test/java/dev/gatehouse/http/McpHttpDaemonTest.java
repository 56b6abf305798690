package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.mcp.McpHttpEndpoint;
import dev.gatehouse.mcp.ToolMapping;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.HttpSigLibrary;
import dev.gatehouse.testing.Processes;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /mcp} on a real daemon on loopback, driven by a client nobody here wrote: the reference
 * TypeScript MCP SDK over streamable HTTP, each request signed by the independent npm
 * http-message-signatures (src/test/js/mcp-http-client.mjs), against a recording upstream that
 * echoes the credential it was sent.
 */
class McpHttpDaemonTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CANARY = "mcp-canary-5f1e2d3c4b5a69788796a5b4c3d2e1f0";

  @TempDir
  Path tmp;

  private DaemonHarness h;
  private final AtomicInteger upstreamCalls = new AtomicInteger();

  @BeforeAll
  static void libraries() throws Exception {
    HttpSigLibrary.install();
    dev.gatehouse.testing.NpmPackages.install(dev.gatehouse.testing.NpmPackages.MCP_SDK,
        dev.gatehouse.testing.NpmPackages.MCP_SDK_VERSION);
  }

  @BeforeEach
  void start() throws Exception {
    h = new DaemonHarness(tmp, r -> {
      upstreamCalls.incrementAndGet();
      return new Upstreams.Reply(200, Map.of("Content-Type", "application/json"),
          "{\"path\":\"" + r.rawPath() + "\",\"seen\":\"" + r.headers().getOrDefault("X-Api-Key", "") + "\"}");
    });
    h.vaultAdd("svc.apikey", CANARY);
    h.writeService("svc", "service: svc\n"
        + "base_url: " + h.upstream.url() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: header, name: X-Api-Key, secret: svc.apikey }\n"
        + "actions:\n"
        + "  item: { method: GET, path: \"/api/items/{id}\" }\n"
        + "  search: { method: GET, path: /api/search, query: { term: \"{q}\" } }\n"
        + "  wipe: { method: DELETE, path: \"/api/items/{id}\" }\n");
    h.start("svc.item", "svc.search");
  }

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void referenceClient_overSignedStreamableHttp_seesItsTools_callsOne_andIsHeldToEveryLayer() throws Exception {
    Path keyFile = tmp.resolve("bot.key.json");
    Files.writeString(keyFile, JSON.createObjectNode().put("keyid", h.agent().keyId())
        .put("key", Base64.getEncoder().encodeToString(h.agent().key()))
        .put("url", "http://127.0.0.1:" + h.port()).toString());
    Path plan = tmp.resolve("plan.json");
    Files.writeString(plan, "{\"call\":{\"name\":\"svc.item\",\"arguments\":{\"id\":\"42\"}},"
        + "\"refused\":{\"name\":\"svc.item\",\"arguments\":{\"nope\":\"x\"}}}");

    Process node = new ProcessBuilder("node", HttpSigLibrary.script("mcp-http-client.mjs").toString(),
        HttpSigLibrary.PREFIX.toString(), keyFile.toString(), plan.toString()).start();
    Processes.Output out = Processes.finish(node, Duration.ofMinutes(1), "mcp-http-client.mjs");
    assertThat(out.exit()).as(out.err()).isZero();
    JsonNode r = JSON.readTree(out.out());

    assertThat(r.path("server").path("name").asText()).isEqualTo("gatehouse");
    List<String> tools = new ArrayList<>();
    r.path("tools").forEach(t -> tools.add(t.path("name").asText()));
    assertThat(tools).as("exactly the actions the key allows").containsExactly("svc.item", "svc.search");
    JsonNode item = r.path("tools").get(0);
    assertThat(item.path("inputSchema").path("required")).extracting(JsonNode::asText).containsExactly("id");

    JsonNode call = r.path("call");
    assertThat(call.path("isError").asBoolean()).as(call.toString()).isFalse();
    String text = call.path("content").get(0).path("text").asText();
    assertThat(text).contains("/api/items/42").doesNotContain(CANARY);
    assertThat(r.toString()).as("no credential anywhere the agent sees").doesNotContain(CANARY);

    JsonNode refused = r.path("refused");
    assertThat(refused.path("isError").asBoolean()).as(refused.toString()).isTrue();
    assertThat(refused.path("content").get(0).path("text").asText()).contains("nope");
    assertThat(upstreamCalls).as("only the allowed call reached the upstream").hasValue(1);

    assertThat(r.path("replay").path("status").asInt()).as(r.path("replay").toString()).isEqualTo(401);
    assertThat(JSON.readTree(r.path("replay").path("body").asText()).path("type").asText()).endsWith("/replayed-nonce");
    assertThat(r.path("unsigned").path("status").asInt()).isEqualTo(401);
    assertThat(JSON.readTree(r.path("unsigned").path("body").asText()).path("type").asText())
        .endsWith("/signature-malformed");

    h.g.close();
    String audit = AgentCalls.auditText(h.home);
    assertThat(audit).doesNotContain(CANARY);
    List<String> calls = audit.lines().filter(l -> l.contains("\"broker.call\"")).toList();
    assertThat(calls).as(audit).hasSize(2);
    assertThat(calls.get(0)).contains("agent:bot").contains("svc.item").contains("allowed")
        .contains("\"via\":\"mcp\"").contains("\"param.id\":\"42\"");
    assertThat(calls.get(1)).contains("agent:bot").contains("denied").contains("bad-parameters")
        .contains("\"via\":\"mcp\"");
    assertThat(audit).contains("mcp.request").contains("replayed-nonce");
  }

  @Test
  void unsignedPost_isRefusedBeforeAnyJsonRpcIsRead() throws Exception {
    HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port()
        + McpHttpEndpoint.PATH)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"svc.item\",\"arguments\":{\"id\":\"1\"}}}")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(upstreamCalls).hasValue(0);
  }

  @Test
  void signedToolCall_forAnActionTheKeyDoesNotAllow_isTheBrokersRefusal_audited() throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
        + "\"params\":{\"name\":\"svc.wipe\",\"arguments\":{\"id\":\"1\"}}}";
    HttpResponse<String> r = AgentCalls.post(h.port(), McpHttpEndpoint.PATH, body, h.agent().keyId(), h.agent().key(),
        h.clock.instant(), AgentCalls.nonce(), body);

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode n = JSON.readTree(r.body());
    assertThat(n.path("id").asInt()).isEqualTo(7);
    assertThat(n.path("result").path("isError").asBoolean()).as(r.body()).isTrue();
    assertThat(n.path("result").path("content").get(0).path("text").asText()).contains("(HTTP 403, action-forbidden");
    assertThat(upstreamCalls).hasValue(0);
    h.g.close();
    String audit = AgentCalls.auditText(h.home);
    assertThat(audit.lines().filter(l -> l.contains("\"broker.call\"")).toList())
        .singleElement().asString().contains("agent:bot").contains("svc.wipe").contains("denied")
        .contains("action-forbidden").contains("\"via\":\"mcp\"").contains("\"replay\":\"");
    assertThat(audit).as("the tool call's own entry is its nonce's record").doesNotContain("request.admitted");
  }

  @Test
  void aMessageThatIsNoToolCall_isAnsweredOnceItsNonceIsOnRecord_andItsReplayAfterARestartIsRefused() throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{}}";
    String nonce = AgentCalls.nonce();
    HttpResponse<String> r = AgentCalls.post(h.port(), McpHttpEndpoint.PATH, body, h.agent().keyId(), h.agent().key(),
        h.clock.instant(), nonce, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(AgentCalls.auditText(h.home).lines().filter(l -> l.contains("\"request.admitted\"")).toList())
        .singleElement().asString().contains("\"actor\":\"agent:bot\"").contains("\"target\":\"/mcp\"")
        .contains("\"replay\":\"");

    h.restart();
    HttpResponse<String> again = AgentCalls.post(h.port(), McpHttpEndpoint.PATH, body, h.agent().keyId(),
        h.agent().key(), h.clock.instant(), nonce, body);

    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(again.body()).contains("replayed-nonce");
  }

  /** One signed JSON-RPC tools/call POST to /mcp, as a client sends it; the tool result. */
  private JsonNode callTool(String name, String arguments) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + name
        + "\",\"arguments\":" + arguments + "}}";
    HttpResponse<String> r = AgentCalls.post(h.port(), McpHttpEndpoint.PATH, body, h.agent().keyId(), h.agent().key(),
        h.clock.instant(), AgentCalls.nonce(), body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("result");
  }

  @Test
  void heldCall_waitsForTheOwner_andItsRetryWithTheApprovalArgument_runsOnce() throws Exception {
    h.g.trust().set(Domain.INTEGRATIONS, Level.SUGGEST, "cli:owner", "test: integrations at suggest");

    JsonNode pending = callTool("svc.item", "{\"id\":\"7\"}");
    String text = pending.path("content").get(0).path("text").asText();
    Matcher m = Pattern.compile("approval ([A-Za-z0-9_-]+),").matcher(text);
    assertThat(m.find()).as(text).isTrue();
    String id = m.group(1);
    assertThat(pending.path("isError").asBoolean()).isFalse();
    assertThat(text).contains(ToolMapping.APPROVAL);
    assertThat(upstreamCalls).hasValue(0);

    h.g.approvals(h.g.trust(), n -> { }).approve(id, null, "cli:owner");
    JsonNode other = callTool("svc.item", "{\"id\":\"8\",\"gatehouse.approval\":\"" + id + "\"}");
    assertThat(other.path("isError").asBoolean()).as("other parameters under the same id").isTrue();
    JsonNode ran = callTool("svc.item", "{\"id\":\"7\",\"gatehouse.approval\":\"" + id + "\"}");
    assertThat(ran.path("isError").asBoolean()).as(ran.toString()).isFalse();
    assertThat(ran.path("content").get(0).path("text").asText()).contains("/api/items/7").doesNotContain(CANARY);
    JsonNode again = callTool("svc.item", "{\"id\":\"7\",\"gatehouse.approval\":\"" + id + "\"}");
    assertThat(again.path("isError").asBoolean()).as("an approval runs once").isTrue();
    assertThat(upstreamCalls).hasValue(1);

    h.g.close();
    assertThat(AgentCalls.auditText(h.home).lines().filter(l -> l.contains("\"broker.call\"")
        && l.contains("\"allowed\"")).toList()).singleElement().asString()
        .contains("\"approval\":\"" + id + "\"").contains("\"via\":\"mcp\"");
  }

  @Test
  void getAndDelete_areNotAllowed_onAStatelessServer() throws Exception {
    for (String method : List.of("GET", "DELETE")) {
      HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port()
          + McpHttpEndpoint.PATH)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).hasValue("POST");
    }
  }
}
