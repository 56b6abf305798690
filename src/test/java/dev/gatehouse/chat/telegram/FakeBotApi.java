package dev.gatehouse.chat.telegram;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A local server speaking the Bot API's wire format (https://core.telegram.org/bots/api):
 * {@code /bot<TOKEN>/METHOD} by GET (query) or POST (JSON or form), answers
 * {@code {"ok":true,"result":...}} or {@code {"ok":false,"error_code":N,"description":...}}
 * with the same HTTP status. It keeps updates until a {@code getUpdates} with a higher
 * {@code offset} confirms them, as Telegram does, and long-polls for {@code timeout} seconds
 * when it has none. Failures can be scripted per method.
 */
final class FakeBotApi implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String UNAUTHORIZED = "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}";
  static final String TOO_MANY = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 3\","
      + "\"parameters\":{\"retry_after\":3}}";

  /** One scripted answer: a status with a JSON body, or a connection cut mid-answer. */
  record Failure(int status, String body) {
    static final Failure DROP = new Failure(-1, null);
  }

  record Sent(long chatId, String text) {}

  record Deleted(long chatId, long messageId) {}

  /** One request as it arrived: the method, the path (which holds the token) and the parameters. */
  record Call(String method, String path, JsonNode params) {}

  private final String token;
  private final long botId;
  private final int port;
  private HttpServer server; // guarded by this
  private ExecutorService executor; // guarded by this
  // guarded by this:
  private final Deque<ObjectNode> pending = new ArrayDeque<>();
  private long nextUpdateId = 1000;
  private long nextMessageId = 1;
  private int perPoll = 100;
  private final Map<String, Deque<Failure>> failures = new HashMap<>();
  final List<Call> calls = new ArrayList<>();
  final List<Sent> sent = new ArrayList<>();
  final List<Deleted> deleted = new ArrayList<>();

  FakeBotApi(String token) throws IOException {
    this(token, 0);
  }

  private FakeBotApi(String token, int port) throws IOException {
    this.token = token;
    this.botId = Long.parseLong(token.substring(0, token.indexOf(':')));
    this.server = start(port);
    this.port = server.getAddress().getPort();
  }

  private HttpServer start(int onPort) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
    ExecutorService e = Executors.newCachedThreadPool();
    synchronized (this) {
      executor = e;
    }
    s.setExecutor(e);
    s.createContext("/", this::serve);
    s.start();
    return s;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Stops answering (connections are refused) until {@link #restart}. */
  void stop() {
    HttpServer s;
    ExecutorService e;
    synchronized (this) {
      s = server;
      e = executor;
    }
    s.stop(0);
    e.shutdownNow();
    synchronized (this) {
      notifyAll();
    }
  }

  /** Listens again on the same port, with the same updates and records. */
  void restart() throws IOException {
    HttpServer s = start(port);
    synchronized (this) {
      server = s;
    }
  }

  /** Queues a text message from user {@code from} in their private chat; returns its update_id. */
  synchronized long text(long from, String firstName, String username, String text) {
    ObjectNode m = message(from, firstName, username);
    m.put("text", text);
    return add(m);
  }

  /** Queues a text message from user {@code from} in the group chat {@code group}. */
  synchronized long groupText(long group, long from, String text) {
    ObjectNode m = message(from, "Ann", null);
    m.putObject("chat").put("id", group).put("type", "supergroup").put("title", "Family");
    m.put("text", text);
    return add(m);
  }

  /** Queues a photo (a message without text). */
  synchronized long photo(long from) {
    ObjectNode m = message(from, "Ann", null);
    m.putArray("photo").addObject().put("file_id", "AgAD").put("width", 90).put("height", 90);
    return add(m);
  }

  /** The message_id the next queued message will get. */
  synchronized long nextMessageId() {
    return nextMessageId;
  }

  /** Makes the server hand out confirmed updates again (a misbehaving or restored server). */
  synchronized void ignoreOffsets() {
    ignoreOffsets = true;
  }

  private boolean ignoreOffsets;

  synchronized void perPoll(int n) {
    perPoll = n;
  }

  /** The next {@code times} calls of {@code method} get {@code failure}. */
  synchronized void fail(String method, int times, Failure failure) {
    Deque<Failure> q = failures.computeIfAbsent(method, k -> new ArrayDeque<>());
    for (int i = 0; i < times; i++) {
      q.add(failure);
    }
  }

  synchronized List<Sent> sent() {
    return List.copyOf(sent);
  }

  synchronized List<Deleted> deleted() {
    return List.copyOf(deleted);
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The offsets getUpdates was called with (0 when none was given). */
  synchronized List<Long> offsets() {
    return calls.stream().filter(c -> c.method().equals("getUpdates"))
        .map(c -> c.params().path("offset").asLong(0)).toList();
  }

  /** Waits (up to 30 s, a hang guard) until a getUpdates is waiting for updates. */
  synchronized void awaitWaitingPoll() throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (waiting == 0) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no getUpdates came to wait");
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  private int waiting;

  private ObjectNode message(long from, String firstName, String username) {
    ObjectNode m = JSON.createObjectNode();
    m.put("message_id", nextMessageId++);
    ObjectNode f = m.putObject("from").put("id", from).put("is_bot", false);
    if (firstName != null) {
      f.put("first_name", firstName);
    }
    if (username != null) {
      f.put("username", username);
    }
    m.putObject("chat").put("id", from).put("type", "private");
    m.put("date", 1_765_000_000L);
    return m;
  }

  private long add(ObjectNode message) {
    ObjectNode u = JSON.createObjectNode();
    long id = nextUpdateId++;
    u.put("update_id", id);
    u.set("message", message);
    pending.add(u);
    notifyAll();
    return id;
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      String prefix = "/bot" + token + "/";
      String method = path.substring(path.lastIndexOf('/') + 1);
      JsonNode params = params(ex);
      Failure failure;
      synchronized (this) {
        calls.add(new Call(method, path, params));
        Deque<Failure> q = failures.get(method);
        failure = q == null || !path.startsWith(prefix) ? null : q.poll();
      }
      if (!path.startsWith("/bot")) {
        answer(ex, 404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}");
        return;
      }
      if (!path.startsWith(prefix)) {
        answer(ex, 401, UNAUTHORIZED);
        return;
      }
      if (failure == Failure.DROP) {
        ex.sendResponseHeaders(200, 1000);
        ex.getResponseBody().write("{\"ok\":tr".getBytes(StandardCharsets.US_ASCII));
        ex.getResponseBody().flush();
        return; // closing short of the length cuts the connection
      }
      if (failure != null) {
        answer(ex, failure.status(), failure.body());
        return;
      }
      switch (method) {
        case "getMe" -> ok(ex, JSON.createObjectNode().put("id", botId).put("is_bot", true).put("first_name", "Gate")
            .put("username", "gate_bot"));
        case "getUpdates" -> ok(ex, updates(params.path("offset").asLong(0), params.path("timeout").asLong(0)));
        case "sendMessage" -> sendMessage(ex, params);
        case "deleteMessage" -> {
          synchronized (this) {
            deleted.add(new Deleted(params.path("chat_id").asLong(), params.path("message_id").asLong()));
          }
          ok(ex, JSON.getNodeFactory().booleanNode(true));
        }
        default -> answer(ex, 404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found: method not found\"}");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sendMessage(HttpExchange ex, JsonNode params) throws IOException {
    String text = params.path("text").asText("");
    if (text.isBlank()) {
      answer(ex, 400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message text is empty\"}");
      return;
    }
    if (text.length() > 4096) {
      answer(ex, 400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message is too long\"}");
      return;
    }
    long id;
    synchronized (this) {
      sent.add(new Sent(params.path("chat_id").asLong(), text));
      id = nextMessageId++;
    }
    ObjectNode m = JSON.createObjectNode().put("message_id", id);
    m.putObject("chat").put("id", params.path("chat_id").asLong()).put("type", "private");
    m.put("text", text);
    ok(ex, m);
  }

  private synchronized ArrayNode updates(long offset, long timeoutSeconds) throws InterruptedException {
    pending.removeIf(u -> !ignoreOffsets && offset > 0 && u.get("update_id").asLong() < offset); // confirmed
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    waiting++;
    notifyAll();
    try {
      while (pending.isEmpty() && System.nanoTime() < until && !executor.isShutdown()) {
        TimeUnit.NANOSECONDS.timedWait(this, until - System.nanoTime());
      }
    } finally {
      waiting--;
    }
    ArrayNode result = JSON.createArrayNode();
    pending.stream().limit(perPoll).forEach(result::add);
    return result;
  }

  private static JsonNode params(HttpExchange ex) throws IOException {
    ObjectNode p = JSON.createObjectNode();
    String query = ex.getRequestURI().getRawQuery();
    byte[] body = ex.getRequestBody().readAllBytes();
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type != null && type.startsWith("application/json") && body.length > 0) {
      return JSON.readTree(body);
    }
    String form = body.length > 0 ? new String(body, StandardCharsets.UTF_8) : query;
    if (form != null) {
      for (String pair : form.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
          p.set(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              value.matches("-?[0-9]{1,18}") ? JSON.getNodeFactory().numberNode(Long.parseLong(value))
                  : value.startsWith("[") ? JSON.readTree(value) : JSON.getNodeFactory().textNode(value));
        }
      }
    }
    return p;
  }

  private static void ok(HttpExchange ex, JsonNode result) throws IOException {
    ObjectNode n = JSON.createObjectNode().put("ok", true);
    n.set("result", result);
    answer(ex, 200, n.toString());
  }

  private static void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(bytes);
    }
  }

  @Override
  public void close() {
    stop();
  }
}
