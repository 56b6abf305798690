package dev.gatehouse.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.testing.MutableClock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The stdio server in process, over pipes, with a gateway standing in for the daemon: the tool
 * list follows the daemon's (asked again only after {@link StdioServer#RELIST}), and a tool
 * call is exactly one gateway call.
 */
class StdioServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T18:00:00Z"));
  private final AtomicReference<String> listing = new AtomicReference<>(
      "{\"actions\":[{\"name\":\"a.one\",\"description\":\"One.\",\"domain\":\"integrations\",\"params\":{}}]}");
  private final AtomicInteger listings = new AtomicInteger();
  private final List<ToolMapping.BrokerCall> calls = new CopyOnWriteArrayList<>();
  private final List<JsonNode> notifications = new CopyOnWriteArrayList<>();
  private OutputStream toServer;
  private BufferedReader fromServer;
  private int nextId = 1;
  /** Threads of their own: the common pool may have a single thread, which serve() holds. */
  private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

  private final StdioServer.Gateway gateway = new StdioServer.Gateway() {
    @Override
    public Broker.Answer listActions() {
      listings.incrementAndGet();
      return answer(200, listing.get());
    }

    @Override
    public Broker.Answer call(ToolMapping.BrokerCall call) {
      calls.add(call);
      return answer(200, "answered " + call.action());
    }
  };

  private static Broker.Answer answer(int status, String body) {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.put("Content-Type", "application/json");
    return new Broker.Answer(status, h, body.getBytes(StandardCharsets.UTF_8));
  }

  private JsonNode request(String method, String params) throws Exception {
    int id = nextId++;
    send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\"" + (params == null ? ""
        : ",\"params\":" + params) + "}");
    while (true) {
      JsonNode n = read();
      if (n.path("id").asInt(-1) == id) {
        return n;
      }
      notifications.add(n);
    }
  }

  private void send(String line) throws Exception {
    toServer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    toServer.flush();
  }

  private JsonNode read() throws Exception {
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return fromServer.readLine();
      } catch (java.io.IOException e) {
        return null;
      }
    }, threads).get(30, TimeUnit.SECONDS);
    assertThat(line).isNotNull();
    return JSON.readTree(line);
  }

  private List<String> toolNames() throws Exception {
    List<String> names = new ArrayList<>();
    request("tools/list", null).path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
    return names;
  }

  @Test
  void toolList_followsTheDaemon_andACallIsOneGatewayCall() throws Exception {
    // Pipes not tied to threads (java.io's piped streams fail once a writing thread ends).
    Pipe up = Pipe.open();
    Pipe down = Pipe.open();
    InputStream serverIn = Channels.newInputStream(up.source());
    toServer = Channels.newOutputStream(up.sink());
    OutputStream serverOut = Channels.newOutputStream(down.sink());
    fromServer = new BufferedReader(new InputStreamReader(Channels.newInputStream(down.source()), StandardCharsets.UTF_8));
    StdioServer server = new StdioServer(gateway, clock);
    CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
      try {
        server.serve(serverIn, serverOut, "test");
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    }, threads);

    JsonNode init = request("initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
        + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}");
    assertThat(init.path("result").path("capabilities").path("tools").path("listChanged").asBoolean()).isTrue();
    send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assertThat(listings.get()).as("listed once at start").isEqualTo(1);

    clock.advance(StdioServer.RELIST);
    assertThat(toolNames()).containsExactly("a.one");
    listing.set("{\"actions\":[{\"name\":\"a.two\",\"description\":\"\",\"domain\":\"files\","
        + "\"params\":{\"x\":{\"type\":\"integer\",\"required\":true}}}]}");
    int asked = listings.get();
    assertThat(toolNames()).as("within RELIST, the last list").containsExactly("a.one");
    assertThat(listings.get()).as("the daemon is not asked again within RELIST").isEqualTo(asked);

    clock.advance(StdioServer.RELIST);
    assertThat(toolNames()).as("a.one withdrawn by the daemon").doesNotContain("a.one");
    while (notifications.stream().noneMatch(n -> n.path("method").asText().equals("notifications/tools/list_changed"))) {
      notifications.add(read());
    }
    assertThat(toolNames()).containsExactly("a.two");

    JsonNode result = request("tools/call", "{\"name\":\"a.two\",\"arguments\":{\"x\":5}}").path("result");
    assertThat(result.path("isError").asBoolean()).isFalse();
    assertThat(result.path("content").get(0).path("text").asText()).isEqualTo("answered a.two");
    assertThat(calls).hasSize(1);
    assertThat(new String(calls.get(0).body(), StandardCharsets.UTF_8)).isEqualTo("{\"x\":5}");
    assertThat(calls.get(0).approval()).isEmpty();

    toServer.close();
    served.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aRefusedListing_endsTheServerBeforeItSpeaks() {
    listing.set("{}");
    StdioServer server = new StdioServer(new StdioServer.Gateway() {
      @Override
      public Broker.Answer listActions() {
        return answer(401, "{\"type\":\"https://gatehouse.dev/problems/unauthenticated\",\"title\":\"Unknown key\"}");
      }

      @Override
      public Broker.Answer call(ToolMapping.BrokerCall call) {
        throw new AssertionError("no call without a list");
      }
    }, clock);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.serve(new java.io.ByteArrayInputStream(new byte[0]),
        new java.io.ByteArrayOutputStream(), "test"))
        .isInstanceOf(dev.gatehouse.error.RefusedException.class)
        .hasMessage("the daemon refused to list this key's actions (HTTP 401, Unknown key)");
  }
}
