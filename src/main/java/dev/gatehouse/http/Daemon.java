package dev.gatehouse.http;

import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the broker: {@code POST /v1/actions/{service}.{action}} and
 * {@code GET /v1/health}, on loopback only. Request bodies are capped, handlers run on
 * virtual threads, and stopping drains the calls in flight. Nothing here decides anything:
 * {@link Broker} does.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.daemon");

  /** What {@code /v1/health} reports; nothing secret. */
  public record Health(boolean sealed, boolean auditWritable, boolean catalogLoaded, int services, int actions) {}

  private final WebServer server;

  private Daemon(WebServer server) {
    this.server = server;
  }

  /**
   * Starts listening on {@code bind}:{@code port} (0 = any free port).
   *
   * @throws IllegalArgumentException if {@code bind} is not a loopback address: TLS and owner
   *     authentication, which such an address needs, are not configured
   */
  public static Daemon start(InetAddress bind, int port, int maxBodyBytes, Broker broker, Supplier<Health> health) {
    if (!bind.isLoopbackAddress()) {
      throw new IllegalArgumentException("refusing to listen on " + bind.getHostAddress() + ": a non-loopback address"
          + " needs TLS 1.3 (server.tls) and owner authentication, and neither is configured (this version has"
          + " neither yet); listen on 127.0.0.1 and put a TLS-terminating proxy in front if you must");
    }
    Logging.quietLibraries();
    WebServer server = WebServer.builder()
        .address(bind)
        .port(port)
        .maxPayloadSize(maxBodyBytes)
        .idleConnectionTimeout(Duration.ofMinutes(2))
        .shutdownGracePeriod(Duration.ofSeconds(10))
        .shutdownHook(false)
        .routing(r -> r
            .get("/v1/health", (req, res) -> health(res, health.get()))
            .post(Broker.ACTION_PREFIX + "*", (req, res) -> call(req, res, broker))
            .any((req, res) -> problem(res, new Problem(Problem.Kind.NOT_FOUND, null))))
        .build()
        .start();
    return new Daemon(server);
  }

  public int port() {
    return server.port();
  }

  /** Stops accepting, lets calls in flight finish (up to the grace period). */
  @Override
  public void close() {
    server.stop();
  }

  private static void call(ServerRequest req, ServerResponse res, Broker broker) {
    Map<String, String> headers = new TreeMap<>();
    req.headers().forEach(h -> headers.merge(h.name().toLowerCase(java.util.Locale.ROOT),
        String.join(", ", h.allValues()), (a, b) -> a + ", " + b));
    byte[] body = body(req);
    String rawQuery = req.query().rawValue();
    Broker.Call call = new Broker.Call(req.prologue().method().text(), req.authority(), req.path().rawPath(),
        rawQuery == null || rawQuery.isEmpty() ? null : rawQuery, headers, body,
        req.remotePeer().host());
    long started = System.nanoTime();
    Broker.Answer answer = broker.handle(call);
    if (LOG.isDebugEnabled()) { // the audit log has every call; this line is for debugging
      LOG.debug("call action={} status={} ms={} audit_seq={}", safe(call.path()), answer.status(),
          (System.nanoTime() - started) / 1_000_000, answer.headers().getOrDefault(Broker.AUDIT_SEQ_HEADER, "-"));
    }
    res.status(answer.status());
    answer.headers().forEach(res::header);
    res.send(answer.body());
  }

  /**
   * The request body; read to its Content-Length when it declares one (the server has already
   * held it to the size limit), so a small body is one small array rather than 16 KiB chunks.
   */
  private static byte[] body(ServerRequest req) {
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    long declared = req.headers().contentLength().orElse(-1);
    if (declared < 0 || declared > Integer.MAX_VALUE - 8) {
      return req.content().as(byte[].class);
    }
    try {
      return Bodies.read(req.content().inputStream(), declared, (int) declared);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void health(ServerResponse res, Health h) {
    boolean ok = !h.sealed() && h.auditWritable() && h.catalogLoaded();
    String json = "{\"status\":\"" + (ok ? "ok" : "degraded") + "\",\"sealed\":" + h.sealed() + ",\"audit_writable\":"
        + h.auditWritable() + ",\"catalog_loaded\":" + h.catalogLoaded() + ",\"services\":" + h.services()
        + ",\"actions\":" + h.actions() + "}";
    res.status(ok ? 200 : 503);
    res.header("Content-Type", "application/json");
    res.send(json.getBytes(StandardCharsets.UTF_8));
  }

  /** A refusal made here rather than by the broker (no audit entry, so no audit_seq). */
  private static void problem(ServerResponse res, Problem problem) {
    res.status(problem.status());
    res.header("Content-Type", "application/problem+json");
    res.send(problem.json(-1));
  }

  private static String safe(String path) {
    return Problem.printable(path, 100);
  }

  /** Whether the audit folder can take appends right now (for health). */
  public static boolean writable(Path dir) {
    return Files.isDirectory(dir) && Files.isWritable(dir);
  }

}
