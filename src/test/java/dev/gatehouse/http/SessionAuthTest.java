package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session-based auth against in-test servers that speak the real protocols: qBittorrent's
 * WebUI login (form post, SID cookie, Referer/Origin check, 403 when the session is gone) and
 * Transmission's RPC (409 with X-Transmission-Session-Id, basic auth), including expiry.
 */
class SessionAuthTest {
  static final String USER = "qbit-admin";
  static final String PASS = "qbit-CANARY-pass-77";
  static final String TUSER = "tr-user";
  static final String TPASS = "tr-CANARY-pass-21";

  @TempDir
  Path tmp;
  Path home;
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  Gatehouse g;
  Daemon daemon;
  Agent bot;
  HttpServer qbit;
  HttpServer transmission;
  final Set<String> qbitSessions = ConcurrentHashMap.newKeySet();
  final AtomicInteger qbitLogins = new AtomicInteger();
  final List<String> qbitRefusedLogins = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The password the WebUI expects, and every login body it received, exactly as sent. */
  final AtomicReference<String> qbitPassword = new AtomicReference<>(PASS);
  final List<String> qbitLoginBodies = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** When set, the version call answers with the last login body too (an upstream that echoes what it got). */
  final java.util.concurrent.atomic.AtomicBoolean echoLoginBody = new java.util.concurrent.atomic.AtomicBoolean();
  final AtomicReference<String> transmissionId = new AtomicReference<>("tr-session-1");
  final AtomicInteger transmission409s = new AtomicInteger();
  /** A daemon whose id is never the one it hands out (so the one retry meets another 409). */
  final java.util.concurrent.atomic.AtomicBoolean newIdEvery409 = new java.util.concurrent.atomic.AtomicBoolean();
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    qbit = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    qbit.setExecutor(Executors.newCachedThreadPool());
    qbit.createContext("/", this::qbittorrent);
    qbit.start();
    transmission = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    transmission.createContext("/", this::transmissionRpc);
    transmission.start();

    home = TestHome.create(tmp);
    g = TestHome.open(home, clock);
    for (var e : Map.of("qbit.user", USER, "qbit.password", PASS, "tr.user", TUSER, "tr.password", TPASS).entrySet()) {
      g.vaultService().add(e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8), false, "test");
    }
    Path dir = home.resolve("services");
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    write(dir.resolve("qbit.yaml"), "service: qbit\nbase_url: http://127.0.0.1:" + qbit.getAddress().getPort() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\n"
        + "auth:\n  type: form-login\n  login: { path: /api/v2/auth/login, form: { username: qbit.user,"
        + " password: qbit.password } }\n  session_cookie: SID\n"
        + "actions:\n  api: { path: \"{path}\", allow_paths: [\"/api/v2/torrents/info\", \"/api/v2/app/*\"] }\n");
    write(dir.resolve("tr.yaml"), "service: tr\nbase_url: http://127.0.0.1:" + transmission.getAddress().getPort() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\n"
        + "auth:\n  type: session-header\n  header: X-Transmission-Session-Id\n"
        + "  basic: { username: tr.user, password: tr.password }\n"
        + "actions:\n  rpc: { method: POST, path: /transmission/rpc, params: { method: string } }\n");
    bot = g.agents().add("bot", List.of("qbit.*", "tr.*"), "cli:test");
    dev.gatehouse.testing.TestHome.fullTrust(g);
    AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 65536,
        g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        () -> new Daemon.Health(false, true, true, 2, 2));
  }

  static void write(Path f, String text) throws IOException {
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }

  @AfterEach
  void tearDown() {
    daemon.close();
    g.close();
    qbit.stop(0);
    transmission.stop(0);
  }

  // ---- qBittorrent's WebUI, as documented for API v2 -----------------------------------------

  private void qbittorrent(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (path.equals("/api/v2/auth/login") && ex.getRequestMethod().equals("POST")) {
      String host = "http://" + ex.getRequestHeaders().getFirst("Host");
      String origin = ex.getRequestHeaders().getFirst("Origin");
      String referer = ex.getRequestHeaders().getFirst("Referer");
      // qBittorrent's CSRF protection: Origin and Referer must name the WebUI itself.
      if ((origin != null && !origin.equals(host)) || (referer != null && !referer.startsWith(host))) {
        reply(ex, 401, Map.of(), "Unauthorized");
        return;
      }
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      qbitLoginBodies.add(body);
      // Decoded as a browser's form is (WHATWG urlencoded: '+' and %20 are spaces, %XX UTF-8).
      Map<String, String> form = new java.util.HashMap<>();
      for (String pair : body.split("&")) {
        String[] kv = pair.split("=", 2);
        form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
            kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
      }
      if (!USER.equals(form.get("username")) || !qbitPassword.get().equals(form.get("password"))) {
        qbitRefusedLogins.add(form.toString());
        reply(ex, 200, Map.of(), "Fails.");
        return;
      }
      qbitLogins.incrementAndGet();
      String sid = Long.toHexString(new SecureRandom().nextLong());
      qbitSessions.add(sid);
      reply(ex, 200, Map.of("Set-Cookie", "SID=" + sid + "; HttpOnly; SameSite=Strict; path=/"), "Ok.");
      return;
    }
    String cookie = ex.getRequestHeaders().getFirst("Cookie");
    String sid = cookie != null && cookie.startsWith("SID=") ? cookie.substring(4) : "";
    if (!qbitSessions.contains(sid)) {
      reply(ex, 403, Map.of(), "Forbidden");
      return;
    }
    reply(ex, 200, Map.of("Content-Type", "application/json"), path.equals("/api/v2/app/version")
        ? "v4.6.4" + (echoLoginBody.get() ? " last login: " + qbitLoginBodies.get(qbitLoginBodies.size() - 1) : "")
        : "[{\"name\":\"debian.iso\",\"sid_echo\":\"" + sid + "\"}]");
  }

  // ---- Transmission's RPC, as its spec describes ------------------------------------------

  private void transmissionRpc(HttpExchange ex) throws IOException {
    String expected = "Basic " + Base64.getEncoder().encodeToString((TUSER + ":" + TPASS).getBytes(StandardCharsets.UTF_8));
    if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      reply(ex, 401, Map.of("WWW-Authenticate", "Basic realm=\"Transmission\""), "Unauthorized");
      return;
    }
    if (!transmissionId.get().equals(ex.getRequestHeaders().getFirst("X-Transmission-Session-Id"))) {
      int n = transmission409s.incrementAndGet();
      String id = newIdEvery409.get() ? "tr-fresh-" + n : transmissionId.get();
      // As Transmission does: the id in the header and again in the page.
      reply(ex, 409, Map.of("X-Transmission-Session-Id", id), "<h1>409: Conflict</h1><p>"
          + "<code>X-Transmission-Session-Id: " + id + "</code></p>");
      return;
    }
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    reply(ex, 200, Map.of("Content-Type", "application/json", "X-Transmission-Session-Id", transmissionId.get()),
        "{\"result\":\"success\",\"request\":" + body + ",\"session\":\"" + transmissionId.get() + "\"}");
  }

  private static void reply(HttpExchange ex, int status, Map<String, String> headers, String body) throws IOException {
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  // ---- calls --------------------------------------------------------------------------------

  record Sent(int status, Map<String, List<String>> headers, String body) {}

  Sent call(String action, String body) throws Exception {
    HttpResponse<String> r = AgentCalls.call(daemon.port(), action, body, bot.keyId(), bot.key(), clock.instant());
    return new Sent(r.statusCode(), r.headers().map(), r.body());
  }

  String auditText() throws IOException {
    return AgentCalls.auditText(home);
  }

  @Test
  void formLogin_logsInOnce_keepsTheCookieInside_andReLogsInWhenTheSessionExpires() throws Exception {
    Sent first = call("qbit.api", "{\"path\":\"/api/v2/torrents/info\"}");
    Sent second = call("qbit.api", "{\"path\":\"/api/v2/app/version\"}");

    assertThat(first.status()).isEqualTo(200);
    assertThat(second.body()).isEqualTo("v4.6.4");
    assertThat(qbitLogins).hasValue(1);
    String sid = qbitSessions.iterator().next();
    assertThat(first.body()).contains("debian.iso").doesNotContain(sid).contains("[REDACTED]");
    assertThat(first.headers().keySet()).doesNotContain("set-cookie");

    qbitSessions.clear(); // the WebUI forgot the session (timeout, restart)
    Sent afterExpiry = call("qbit.api", "{\"path\":\"/api/v2/torrents/info\"}");

    assertThat(afterExpiry.status()).isEqualTo(200);
    assertThat(qbitLogins).hasValue(2);
    String log = auditText();
    assertThat(log).contains("broker.login").doesNotContain(PASS).doesNotContain(sid);
  }

  @Test
  void formLogin_concurrentFirstCalls_shareOneLogin() throws Exception {
    List<java.util.concurrent.Future<Sent>> calls = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(16)) {
      for (int i = 0; i < 16; i++) {
        calls.add(pool.submit(() -> call("qbit.api", "{\"path\":\"/api/v2/app/version\"}")));
      }
      for (var c : calls) {
        assertThat(c.get().status()).isEqualTo(200);
      }
    }
    assertThat(qbitLogins).hasValue(1);
  }

  @Test
  void formLogin_withWrongCredentials_is502_andTheAgentLearnsNothingMore() throws Exception {
    g.vaultService().add("qbit.password", "wrong-password".getBytes(StandardCharsets.UTF_8), true, "test");

    Sent s = call("qbit.api", "{\"path\":\"/api/v2/app/version\"}");

    assertThat(s.status()).isEqualTo(502);
    assertThat(s.body()).contains("refused Gatehouse's login").doesNotContain("wrong-password");
    assertThat(qbitRefusedLogins).hasSize(1);
  }

  @Test
  void formLogin_passwordWithFormSyntaxAndNonAscii_reachesTheUpstreamExactly() throws Exception {
    String password = "p a&s=s+w%rd%20*~ üñ€\uD83D\uDE00";
    g.vaultService().add("qbit.password", password.getBytes(StandardCharsets.UTF_8), true, "test");
    qbitPassword.set(password);

    Sent s = call("qbit.api", "{\"path\":\"/api/v2/app/version\"}");

    assertThat(s.status()).as(s.body()).isEqualTo(200);
    assertThat(qbitRefusedLogins).isEmpty();
    assertThat(qbitLogins).hasValue(1);
    // Encoded as the broker encodes FORM bodies: only unreserved characters stay as they are.
    assertThat(qbitLoginBodies).containsExactly("username=qbit-admin&password=p%20a%26s%3Ds%2Bw%25rd%2520%2A~%20"
        + "%C3%BC%C3%B1%E2%82%AC%F0%9F%98%80");

    echoLoginBody.set(true); // the upstream now repeats the login body: its encoded password must not reach the agent
    Sent echoed = call("qbit.api", "{\"path\":\"/api/v2/app/version\"}");
    assertThat(echoed.body()).contains("last login: username=[REDACTED]&password=[REDACTED]")
        .doesNotContain("%C3%BC%C3%B1");
  }

  @Test
  void sessionHeader_takesTheIdFromA409_retriesOnce_andFollowsARotation() throws Exception {
    Sent first = call("tr.rpc", "{\"method\":\"session-get\"}");

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.body()).contains("\"result\":\"success\"").contains("\"method\":\"session-get\"")
        .doesNotContain("tr-session-1");
    assertThat(first.headers().keySet()).doesNotContain("x-transmission-session-id");
    assertThat(transmission409s).hasValue(1);

    assertThat(call("tr.rpc", "{\"method\":\"torrent-get\"}").status()).isEqualTo(200);
    assertThat(transmission409s).as("the id is remembered").hasValue(1);

    transmissionId.set("tr-session-2"); // the daemon rotated its id
    assertThat(call("tr.rpc", "{\"method\":\"torrent-get\"}").status()).isEqualTo(200);
    assertThat(transmission409s).hasValue(2);
    assertThat(auditText()).doesNotContain(TPASS);
  }

  @Test
  void sessionHeader_anIdInA409Page_neverReachesTheAgent_evenWhenTheRetryMeetsAnother409() throws Exception {
    newIdEvery409.set(true);

    Sent s = call("tr.rpc", "{\"method\":\"session-get\"}");

    assertThat(transmission409s).hasValue(2); // the first answer and the one retry
    assertThat(s.status()).isEqualTo(409);
    assertThat(s.body()).contains("409: Conflict").doesNotContain("tr-fresh-1").doesNotContain("tr-fresh-2");
    assertThat(s.headers().keySet()).doesNotContain("x-transmission-session-id");
  }
}
