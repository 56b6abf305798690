package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.http.DaemonHarness.Sent;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.DebianPackages;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker in front of upstreams that close their connections: Python's http.server (HTTP/1.0,
 * one request per connection, like many small embedded web UIs) under concurrent signed load,
 * and a keep-alive server that closes a pooled connection when the next request arrives.
 */
class ClosingUpstreamTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int CLIENTS = 8;
  static final int CALLS_EACH = 40;

  @TempDir
  Path tmp;
  DaemonHarness h;
  Process python;
  ScriptedUpstream scripted;

  @AfterEach
  void tearDown() throws Exception {
    if (h != null) {
      h.close();
    }
    if (python != null) {
      python.getOutputStream().close(); // the script stops when its stdin closes
      if (!python.waitFor(5, TimeUnit.SECONDS)) {
        python.destroyForcibly();
      }
    }
    if (scripted != null) {
      scripted.close();
    }
  }

  /** A harness whose service {@code svc} (action {@code get}: GET /data) is the upstream on {@code port}; limits raised. */
  void start(int port) throws Exception {
    h = new DaemonHarness(tmp, r -> Upstreams.Reply.json("{}"));
    h.vaultAdd("svc.key", "upstream-key-1234");
    h.writeService("svc", "service: svc\nbase_url: http://127.0.0.1:" + port + "\nallow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: header, name: X-Api-Key, secret: svc.key }\n"
        + "actions:\n  get: { method: GET, path: /data }\n");
    h.start("svc.*");
    Path config = h.home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config).replaceAll("(?m)^(  per_(agent|action|source)): \\S+",
        "$1: 100000/second")); // the load is the point here, not the limiter
    h.restart();
    h.catalog().set(h.g.loadCatalog());
  }

  @Test
  void anHttp10UpstreamThatClosesEveryConnection_answersEveryCallUnderConcurrentLoad() throws Exception {
    DebianPackages.require("python3", "python3");
    Path script = Path.of(ClosingUpstreamTest.class.getResource("closing_upstream.py").toURI());
    python = new ProcessBuilder("python3", script.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    int port = Integer.parseInt(new BufferedReader(new InputStreamReader(python.getInputStream(),
        StandardCharsets.US_ASCII)).readLine().strip());
    start(port);

    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> done = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      done.add(clients.submit(() -> {
        for (int i = 0; i < CALLS_EACH; i++) {
          statuses.computeIfAbsent(h.call("svc.get", "{}").status(), k -> new AtomicInteger()).incrementAndGet();
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    clients.shutdown();

    Map<Integer, Integer> counted = new TreeMap<>();
    statuses.forEach((status, n) -> counted.put(status, n.get()));
    assertThat(counted).isEqualTo(Map.of(200, CLIENTS * CALLS_EACH));
  }

  @Test
  void aRequestSentAgain_onAFreshConnection_isAuditedInItsCallsResult() throws Exception {
    // Keep-alive, but a connection is closed unanswered at its second request.
    scripted = new ScriptedUpstream((c, n) -> n == 0 ? ScriptedUpstream.Move.HTTP_11
        : ScriptedUpstream.Move.CLOSE_UNANSWERED);
    start(scripted.port());

    Sent first = h.call("svc.get", "{}");
    Sent second = h.call("svc.get", "{}");

    assertThat(first.status()).isEqualTo(200);
    assertThat(second.status()).isEqualTo(200);
    assertThat(scripted.seen).extracting(ScriptedUpstream.Seen::connection).containsExactly(0, 0, 1);
    assertThat(result(first).path("details").has("retried")).isFalse();
    JsonNode retried = result(second);
    assertThat(retried.path("outcome").asText()).isEqualTo("answered");
    assertThat(retried.path("details").path("retried").asText()).isEqualTo("1");
    assertThat(retried.path("actor").asText()).isEqualTo("agent:bot");
  }

  /** The broker.result entry of the call that answered {@code s}, waited for (outcomes are written just after). */
  JsonNode result(Sent s) throws Exception {
    String seq = s.headers().get("gatehouse-audit-seq").get(0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (String line : AgentCalls.auditText(h.home).split("\n")) {
        if (line.startsWith("{")) {
          JsonNode e = JSON.readTree(line);
          if (e.path("type").asText().equals("broker.result") && e.path("details").path("call_seq").asText().equals(seq)) {
            return e;
          }
        }
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no broker.result for call " + seq);
  }
}
