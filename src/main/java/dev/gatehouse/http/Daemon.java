package dev.gatehouse.http;

import dev.gatehouse.broker.ApprovalStatusEndpoint;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Principal;
import dev.gatehouse.chat.GateEndpoint;
import dev.gatehouse.mcp.McpHttpEndpoint;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.Role;
import dev.gatehouse.owner.SessionCookies;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
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
 * The daemon's HTTP face, on loopback or beyond it over TLS 1.3 ({@link ListenRule}): the
 * routes of {@link #table}, each declaring its {@link Access} (anyone, a kind of signed key,
 * or an owner session of a role). Request bodies are capped, handlers run on virtual threads,
 * and stopping drains the calls in flight. Nothing here decides anything: the endpoints
 * ({@link Broker}, {@link GateEndpoint}) do.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.daemon");

  /** What {@code /v1/health} reports; nothing secret. */
  public record Health(boolean sealed, boolean auditWritable, boolean catalogLoaded, int services, int actions) {}

  /**
   * What a route demands before its handler runs. Deny by default: a route states its access
   * or cannot be built, and a path not in {@link #table} is answered 404.
   */
  public sealed interface Access {
    /** Anyone. {@code browser}: a page, file or login endpoint of the owner plane, sent with the browser security headers. */
    record Open(boolean browser) implements Access {}

    /** A request signed (RFC 9421) by a key of {@code kind}; the endpoint checks the signature. */
    record Signed(Principal.Kind kind) implements Access {
      public Signed {
        Objects.requireNonNull(kind);
      }
    }

    /** An owner-plane session of at least {@code role}; the {@link OwnerGate} checks it before the handler. */
    record Owner(Role role, boolean sensitive, boolean page) implements Access {
      public Owner {
        Objects.requireNonNull(role, "every owner route declares its role");
      }
    }

    /**
     * A peer on a loopback address (the connection's, never a header), as it is; any other peer
     * only with an owner-plane bearer token of at least {@code role}, checked by the {@link OwnerGate}
     * as for an {@link Owner} API route (and refused when there is no owner plane).
     */
    record LoopbackOrOwner(Role role) implements Access {
      public LoopbackOrOwner {
        Objects.requireNonNull(role, "the owner role that may read it from elsewhere");
      }
    }

    Open PUBLIC = new Open(false);
    /** For the dashboard's login page and static files. */
    Open BROWSER = new Open(true);
  }

  /**
   * One route: {@code method} and {@code path} (a trailing {@code *} matches any rest; a
   * segment {@code {name}} matches one segment, read back with {@link OwnerRoute#param}),
   * what it demands, and what answers it.
   */
  public record Route(String method, String path, Access access, Function<Broker.Call, Broker.Answer> handler) {
    public Route {
      Objects.requireNonNull(method);
      Objects.requireNonNull(path);
      Objects.requireNonNull(access, "every route declares its access");
      Objects.requireNonNull(handler);
    }

    /** The kind of key a signed route accepts; null for any other route. */
    public Principal.Kind principal() {
      return access instanceof Access.Signed s ? s.kind() : null;
    }
  }

  /**
   * The owner plane as the table serves it: the gate, the JSON API, the dashboard's pages (owner
   * routes with {@code page} set) and its open routes (login page, static files; access
   * {@link Access#BROWSER}).
   */
  public record OwnerPlane(OwnerGate gate, OwnerApi api, List<OwnerRoute> pages, List<Route> openPages) {
    public OwnerPlane {
      Objects.requireNonNull(gate);
      Objects.requireNonNull(api);
      pages = List.copyOf(pages);
      openPages = List.copyOf(openPages);
    }
  }

  /**
   * Every route the daemon serves, in one place: the routing below and the tests that walk
   * every route with every kind of key and every role read this same table. {@code approvals}
   * and {@code gate} may be null (their routes are then absent).
   */
  public static List<Route> table(Broker broker, ApprovalStatusEndpoint approvals, GateEndpoint gate,
      Supplier<Health> health) {
    return table(broker, approvals, gate, health, null);
  }

  /**
   * {@link #table(Broker, ApprovalStatusEndpoint, GateEndpoint, Supplier)} with the owner plane
   * ({@code owner} may be null: no owner routes). Every owner route is wrapped in the owner
   * gate, and every owner and dashboard answer carries the browser security headers.
   */
  public static List<Route> table(Broker broker, ApprovalStatusEndpoint approvals, GateEndpoint gate,
      Supplier<Health> health, OwnerPlane owner) {
    return table(broker, approvals, gate, health, owner, null);
  }

  /**
   * {@link #table(Broker, ApprovalStatusEndpoint, GateEndpoint, Supplier, OwnerPlane)} with
   * {@code GET /metrics} answering {@code metrics} (the Prometheus text, docs/metrics.md) to
   * loopback peers, and to others through the owner gate as a {@link Role#VIEWER} API route
   * ({@code metrics} may be null: the route is then absent; {@code owner} null: loopback only).
   */
  public static List<Route> table(Broker broker, ApprovalStatusEndpoint approvals, GateEndpoint gate,
      Supplier<Health> health, OwnerPlane owner, Supplier<String> metrics) {
    List<Route> routes = new ArrayList<>();
    routes.add(new Route("GET", "/v1/health", Access.PUBLIC, call -> health(health.get())));
    if (metrics != null) {
      OwnerRoute viaGate = new OwnerRoute("GET", MetricsEndpoint.PATH, MetricsEndpoint.ROLE, false, false,
          (session, call) -> MetricsEndpoint.scrape(metrics));
      routes.add(new Route("GET", MetricsEndpoint.PATH, new Access.LoopbackOrOwner(MetricsEndpoint.ROLE),
          MetricsEndpoint.handler(metrics, owner == null ? null : call -> owner.gate().handle(viaGate, call))));
    }
    routes.add(new Route("POST", Broker.ACTION_PREFIX + "*", new Access.Signed(Principal.Kind.AGENT),
        call -> broker.handle(call)));
    routes.add(new Route("GET", dev.gatehouse.broker.ActionListEndpoint.PATH, new Access.Signed(Principal.Kind.AGENT),
        call -> broker.listActions(call)));
    McpHttpEndpoint mcp = new McpHttpEndpoint(broker);
    routes.add(new Route("POST", McpHttpEndpoint.PATH, new Access.Signed(Principal.Kind.AGENT), mcp::handle));
    // No stream to open and no session to end; the answer says so and holds nothing.
    routes.add(new Route("GET", McpHttpEndpoint.PATH, Access.PUBLIC, McpHttpEndpoint::notAllowed));
    routes.add(new Route("DELETE", McpHttpEndpoint.PATH, Access.PUBLIC, McpHttpEndpoint::notAllowed));
    if (approvals != null) {
      routes.add(new Route("GET", Broker.APPROVALS_PREFIX + "*", new Access.Signed(Principal.Kind.AGENT),
          call -> approvals.handle(call)));
    }
    if (gate != null) {
      routes.add(new Route("POST", GateEndpoint.PATH, new Access.Signed(Principal.Kind.CHANNEL),
          call -> gate.handle(call)));
    }
    if (owner != null) {
      boolean tls = owner.gate().tls();
      OwnerApi api = owner.api();
      routes.add(new Route("POST", OwnerApi.LOGIN, Access.BROWSER, browser(api::login, tls)));
      routes.add(new Route("POST", OwnerApi.REFRESH, Access.BROWSER, browser(api::refresh, tls)));
      List<OwnerRoute> gated = new ArrayList<>(api.routes());
      gated.addAll(owner.pages());
      for (OwnerRoute r : gated) {
        routes.add(new Route(r.method(), r.path(), new Access.Owner(r.role(), r.sensitive(), r.page()),
            browser(call -> owner.gate().handle(r, call), tls)));
      }
      for (Route r : owner.openPages()) {
        if (!(r.access() instanceof Access.Open)) {
          throw new IllegalArgumentException(r.path() + ": the dashboard's own routes are open; pages go through the gate");
        }
        routes.add(new Route(r.method(), r.path(), Access.BROWSER, browser(r.handler(), tls)));
      }
    }
    Set<String> seen = new HashSet<>();
    for (Route r : routes) {
      if (!seen.add(r.method() + " " + r.path())) {
        throw new IllegalArgumentException("two routes for " + r.method() + " " + r.path());
      }
    }
    return List.copyOf(routes);
  }

  /** The headers every answer to a browser-facing route carries (HSTS only under TLS). */
  public static final Map<String, String> BROWSER_HEADERS = Map.of(
      "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
          + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      "X-Content-Type-Options", "nosniff",
      "Referrer-Policy", "no-referrer",
      "Cache-Control", "no-store",
      "X-Frame-Options", "DENY");
  public static final String HSTS = "max-age=31536000";

  /** {@code handler} with the browser security headers on its every answer (they replace any the handler set). */
  private static Function<Broker.Call, Broker.Answer> browser(Function<Broker.Call, Broker.Answer> handler,
      boolean tls) {
    return call -> {
      Broker.Answer a = handler.apply(call);
      Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.putAll(a.headers());
      headers.putAll(BROWSER_HEADERS);
      if (tls) {
        headers.put("Strict-Transport-Security", HSTS);
      }
      return new Broker.Answer(a.status(), headers, a.body());
    };
  }

  private final WebServer server;
  private final boolean tls;

  private Daemon(WebServer server, boolean tls) {
    this.server = server;
    this.tls = tls;
  }

  /**
   * Starts listening in plain HTTP on {@code bind}:{@code port} (0 = any free port).
   *
   * @throws dev.gatehouse.error.BadInputException if {@code bind} is not a loopback address ({@link ListenRule})
   */
  public static Daemon start(InetAddress bind, int port, int maxBodyBytes, Broker broker, Supplier<Health> health) {
    return start(bind, port, maxBodyBytes, table(broker, null, null, health));
  }

  /** Starts listening in plain HTTP on {@code bind}:{@code port} (0 = any free port), serving {@code routes}. */
  public static Daemon start(InetAddress bind, int port, int maxBodyBytes, List<Route> routes) {
    return start(bind, port, maxBodyBytes, null, false, routes);
  }

  /**
   * Starts listening on {@code bind}:{@code port} (0 = any free port), serving {@code routes}
   * over TLS 1.3 only when {@code tls} is given, else plain HTTP.
   *
   * @param ownerAccount whether an owner-role account exists, for {@link ListenRule}
   * @throws dev.gatehouse.error.BadInputException if {@link ListenRule} refuses {@code bind}
   */
  public static Daemon start(InetAddress bind, int port, int maxBodyBytes, ServerTls tls, boolean ownerAccount,
      List<Route> routes) {
    ListenRule.check(bind, tls != null, ownerAccount);
    Logging.quietLibraries();
    var builder = WebServer.builder();
    if (tls != null) {
      javax.net.ssl.SSLParameters params = new javax.net.ssl.SSLParameters();
      params.setProtocols(ServerTls.PROTOCOLS.toArray(new String[0]));
      builder.tls(io.helidon.common.tls.Tls.builder().sslContext(tls.context()).sslParameters(params)
          .enabledProtocols(ServerTls.PROTOCOLS).build());
    }
    WebServer server = builder
        .address(bind)
        .port(port)
        .maxPayloadSize(maxBodyBytes)
        .idleConnectionTimeout(Duration.ofMinutes(2))
        .shutdownGracePeriod(Duration.ofSeconds(10))
        .shutdownHook(false)
        .routing(r -> {
          for (Route route : routes) {
            r.route(io.helidon.http.Method.create(route.method()), route.path(),
                (req, res) -> call(req, res, route.handler()));
          }
          r.any((req, res) -> problem(res, new Problem(Problem.Kind.NOT_FOUND, null)));
        })
        .build()
        .start();
    return new Daemon(server, tls != null);
  }

  public int port() {
    return server.port();
  }

  /** Whether the daemon serves TLS 1.3 (for what depends on it: Secure cookies and HSTS, DESIGN §11). */
  public boolean tls() {
    return tls;
  }

  /** Stops accepting, lets calls in flight finish (up to the grace period). */
  @Override
  public void close() {
    server.stop();
  }

  private static void call(ServerRequest req, ServerResponse res, Function<Broker.Call, Broker.Answer> handler) {
    Map<String, String> headers = new TreeMap<>();
    req.headers().forEach(h -> headers.merge(h.name().toLowerCase(java.util.Locale.ROOT),
        String.join(", ", h.allValues()), (a, b) -> a + ", " + b));
    byte[] body = body(req);
    String rawQuery = req.query().rawValue();
    Broker.Call call = new Broker.Call(req.prologue().method().text(), req.authority(), req.path().rawPath(),
        rawQuery == null || rawQuery.isEmpty() ? null : rawQuery, headers, body,
        req.remotePeer().host());
    long started = System.nanoTime();
    Broker.Answer answer = handler.apply(call);
    if (LOG.isDebugEnabled()) { // the audit log has every call; this line is for debugging
      LOG.debug("call action={} status={} ms={} audit_seq={}", safe(call.path()), answer.status(),
          (System.nanoTime() - started) / 1_000_000, answer.headers().getOrDefault(Broker.AUDIT_SEQ_HEADER, "-"));
    }
    res.status(answer.status());
    answer.headers().forEach((name, value) -> {
      if (name.equalsIgnoreCase("Set-Cookie")) { // several cookies in one value: see SessionCookies.join
        res.header(name, SessionCookies.split(value));
      } else {
        res.header(name, value);
      }
    });
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

  private static Broker.Answer health(Health h) {
    boolean ok = !h.sealed() && h.auditWritable() && h.catalogLoaded();
    String json = "{\"status\":\"" + (ok ? "ok" : "degraded") + "\",\"sealed\":" + h.sealed() + ",\"audit_writable\":"
        + h.auditWritable() + ",\"catalog_loaded\":" + h.catalogLoaded() + ",\"services\":" + h.services()
        + ",\"actions\":" + h.actions() + "}";
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/json");
    return new Broker.Answer(ok ? 200 : 503, headers, json.getBytes(StandardCharsets.UTF_8));
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
