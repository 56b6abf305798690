package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.owner.OwnerAccounts;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.OwnerUsers;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.Domain;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner API and gate over the real accounts store ({@link OwnerAccounts}): login, re-auth
 * for sensitive operations, refresh reuse, the login limit, a removed user's session, the page
 * cookie rotation, and that no password, code or token reaches the audit log or an answer.
 */
class OwnerAccountsDaemonTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String PASSWORD = "planted-correct-horse-8812";

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Path homeDir;
  private Gatehouse g;
  private OwnerAccounts accounts;
  private Daemon daemon;
  private final Map<String, byte[]> keys = new HashMap<>();
  private final List<String> codesUsed = new ArrayList<>();
  private final List<HttpResponse<String>> answers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    homeDir = TestHome.create(temp);
    g = TestHome.open(homeDir, clock);
    g.agents().add("bot", List.of("*"), "test");
    accounts = g.ownerAccounts();
    addWithTotp("ann", Role.OWNER);
    addWithTotp("bob", Role.VIEWER);
    var catalog = new AtomicReference<>(g.loadCatalog());
    List<OwnerRoute> pages = List.of(
        new OwnerRoute("GET", "/test/page", Role.VIEWER, false, true, (s, c) -> text("hello " + s.user())),
        new OwnerRoute("POST", "/test/page", Role.VIEWER, false, true, (s, c) -> text("posted")));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, Daemon.table(
        g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))), null, null,
        () -> new Daemon.Health(false, true, true, 0, 0),
        new Daemon.OwnerPlane(new OwnerGate(accounts, clock, false),
            new OwnerApi(accounts, g.ownerOperations(catalog, OwnerUsers.of(accounts)), clock), pages, List.of())));
  }

  @AfterEach
  void stop() {
    daemon.close();
    g.close();
  }

  private void addWithTotp(String name, Role role) {
    accounts.add(name, role, PASSWORD.toCharArray(), "cli:test");
    keys.put(name, accounts.beginTotp(name, "cli:test").secret());
    accounts.confirmTotp(name, code(name), "cli:test");
    clock.advance(Duration.ofSeconds(30));
  }

  /** A code of the current step; the clock then moves on, so the next one is new. */
  private String code(String name) {
    String c = Hotp.totp(keys.get(name), clock.instant(), TotpParameters.DEFAULT);
    codesUsed.add(c);
    return c;
  }

  private static Broker.Answer text(String s) {
    return new Broker.Answer(200, new java.util.TreeMap<>(Map.of("Content-Type", "text/plain")),
        s.getBytes(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
    var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      req.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
    answers.add(r);
    return r;
  }

  private HttpResponse<String> as(String access, String method, String path, String body) throws Exception {
    return send(method, path, body, "Authorization", "Bearer " + access);
  }

  private JsonNode login(String user) throws Exception {
    var r = send("POST", OwnerApi.LOGIN, "{\"user\":\"" + user + "\",\"password\":\"" + PASSWORD + "\",\"code\":\""
        + code(user) + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    clock.advance(Duration.ofSeconds(30));
    return JSON.readTree(r.body());
  }

  private static String problem(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("type").asText().replace("https://gatehouse.dev/problems/", "");
  }

  @Test
  void sensitiveOperations_needACodeWithinFiveMinutes_thenRunAsTheUser() throws Exception {
    JsonNode t = login("ann");
    String access = t.path("access_token").asText();
    var approvals = g.approvals(g.trust(), Notifier.NONE);
    var shell = approvals.open("bot", "box.run", Domain.SHELL, "ab".repeat(32), "run it");

    clock.advance(Duration.ofMinutes(6)); // the login's code is no longer fresh
    var stale = as(access, "POST", "/v1/owner/agents/bot/revoke", "");
    var staleApproval = as(access, "POST", "/v1/owner/approvals/" + shell.id() + "/approve", "");
    var reauth = as(access, "POST", "/v1/owner/reauth", "{\"code\":\"" + code("ann") + "\"}");
    var revoke = as(access, "POST", "/v1/owner/agents/bot/revoke", "");
    var approve = as(access, "POST", "/v1/owner/approvals/" + shell.id() + "/approve", "");

    assertThat(problem(stale)).isEqualTo("reauth-required");
    assertThat(problem(staleApproval)).isEqualTo("reauth-required");
    assertThat(reauth.statusCode()).as(reauth.body()).isEqualTo(200);
    assertThat(revoke.statusCode()).isEqualTo(200);
    assertThat(g.agents().find("bot")).isEmpty();
    assertThat(JSON.readTree(approve.body()).path("status").asText()).isEqualTo("approved");
    String audit = AgentCalls.auditText(homeDir);
    assertThat(audit).contains("\"type\":\"agent.revoke\",\"actor\":\"owner:ann\"");
    assertThat(audit).containsPattern("\"type\":\"approval.approve\",\"actor\":\"owner:ann\",[^\\n]*\"code\":\"owner-reauth\"");
  }

  @Test
  void aViewer_cannotReachAnAdminRoute_andARemovedUsersSessionEnds() throws Exception {
    String bob = login("bob").path("access_token").asText();
    String ann = login("ann").path("access_token").asText();

    assertThat(problem(as(bob, "GET", "/v1/owner/agents", null))).isEqualTo("role-insufficient");
    assertThat(as(bob, "GET", "/v1/owner/status", null).statusCode()).isEqualTo(200);
    var users = JSON.readTree(as(ann, "GET", "/v1/owner/users", null).body());
    assertThat(users.path("users").findValuesAsText("name")).containsExactly("ann", "bob");
    assertThat(as(ann, "POST", "/v1/owner/users/ann/remove", "").statusCode()).as("not oneself").isEqualTo(409);
    assertThat(as(ann, "POST", "/v1/owner/users/bob/remove", "").statusCode()).isEqualTo(200);
    assertThat(as(bob, "GET", "/v1/owner/status", null).statusCode()).isEqualTo(401);
  }

  @Test
  void refresh_rotates_andAReusedTokenEndsTheSession() throws Exception {
    JsonNode t = login("ann");
    String first = t.path("refresh_token").asText();

    var rotated = send("POST", OwnerApi.REFRESH, "{\"refresh_token\":\"" + first + "\"}");
    String newAccess = JSON.readTree(rotated.body()).path("access_token").asText();
    var reuse = send("POST", OwnerApi.REFRESH, "{\"refresh_token\":\"" + first + "\"}");

    assertThat(rotated.statusCode()).isEqualTo(200);
    assertThat(reuse.statusCode()).isEqualTo(401);
    assertThat(as(newAccess, "GET", "/v1/owner/me", null).statusCode()).as("the family ended").isEqualTo(401);
  }

  @Test
  void login_isLimitedPerAddress_withRetryAfter() throws Exception {
    HttpResponse<String> last = null;
    for (int i = 0; i < 6; i++) {
      last = send("POST", OwnerApi.LOGIN, "{\"user\":\"ann\",\"password\":\"wrong-password-123\",\"code\":\"000000\"}");
    }
    assertThat(last.statusCode()).isEqualTo(429);
    long retry = Long.parseLong(last.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retry).isBetween(1L, 60L);
  }

  @Test
  void pageSession_rotatesThroughTheRefreshCookie_andItsCsrfTokenIsTheSessions() throws Exception {
    JsonNode t = login("bob");
    String access = t.path("access_token").asText();
    clock.advance(Duration.ofMinutes(16));
    String cookies = "gh_access=" + access + "; gh_refresh=" + t.path("refresh_token").asText();

    var page = send("GET", "/test/page", null, "Cookie", cookies);
    List<String> set = page.headers().allValues("Set-Cookie");
    String newCookies = String.join("; ", set.stream().map(c -> c.split(";")[0]).toList());
    String csrf = g.ownerAccounts().authenticate(newCookies.split("gh_access=")[1].split(";")[0]).orElseThrow()
        .csrfToken();
    var forged = send("POST", "/test/page", "", "Cookie", newCookies, "X-CSRF-Token", "x" + csrf);
    var posted = send("POST", "/test/page", "csrf=" + csrf, "Cookie", newCookies, "Content-Type",
        "application/x-www-form-urlencoded");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).isEqualTo("hello bob");
    assertThat(set).hasSize(2);
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(posted.statusCode()).isEqualTo(200);
  }

  @Test
  void noPasswordCodeOrToken_inTheAuditLog_orInAnyAnswerButTheirOwn() throws Exception {
    JsonNode t = login("ann");
    String access = t.path("access_token").asText();
    String refresh = t.path("refresh_token").asText();
    answers.clear(); // the login answer is the one place the tokens belong
    send("POST", OwnerApi.LOGIN, "{\"user\":\"ann\",\"password\":\"" + PASSWORD + "x\",\"code\":\"" + code("ann")
        + "\"}");
    clock.advance(Duration.ofSeconds(30));
    as(access, "POST", "/v1/owner/reauth", "{\"code\":\"" + code("ann") + "\"}");
    for (String path : List.of("me", "status", "audit?limit=500", "users", "vault", "agents")) {
      as(access, "GET", "/v1/owner/" + path, null);
    }
    as(access, "POST", "/v1/owner/logout", "{\"refresh_token\":\"" + refresh + "\"}");

    String audit = AgentCalls.auditText(homeDir);
    assertThat(audit).contains("owner.login").contains("owner.reauth").contains("owner.logout");
    List<String> secrets = new ArrayList<>(List.of(PASSWORD, access, refresh));
    codesUsed.forEach(c -> secrets.add("\"" + c + "\"")); // quoted: six digits alone turn up in any hash
    for (String secret : secrets) {
      assertThat(audit).doesNotContain(secret);
      for (var r : answers) {
        assertThat(r.body()).as(r.uri().toString()).doesNotContain(secret);
        assertThat(r.headers().map().toString()).doesNotContain(secret);
      }
    }
  }
}
