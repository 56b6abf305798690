package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerAuth;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerOperations;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.OwnerUsers;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.FakeOwnerAuth;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every owner route of {@link Daemon#table} with no token and with every role (for sensitive
 * routes with and without a recent re-auth), read from that same table, over a real daemon on
 * loopback; the page session (cookies, rotation, CSRF), the login answers, the security
 * headers, and that no planted secret reaches an answer or the audit log.
 */
class OwnerRoutesDaemonTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String VAULT_SECRET = "planted-vault-secret-7d1e";

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Path homeDir;
  private Gatehouse g;
  private Daemon daemon;
  private List<Daemon.Route> routes;
  private FakeOwnerAuth auth;
  private final List<HttpResponse<String>> answers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    homeDir = TestHome.create(temp);
    g = TestHome.open(homeDir, clock);
    g.agents().add("bot", List.of("*"), "test");
    g.vaultService().add("planted.secret", VAULT_SECRET.getBytes(StandardCharsets.UTF_8), false, "test");
    var catalog = new AtomicReference<>(g.loadCatalog());
    auth = new FakeOwnerAuth(clock);
    OwnerOperations ops = g.ownerOperations(catalog, OwnerUsers.NONE);
    List<OwnerRoute> pages = List.of(
        new OwnerRoute("GET", "/test/page", Role.VIEWER, false, true, (s, c) -> text("hello " + s.user())),
        new OwnerRoute("POST", "/test/page", Role.OPERATOR, false, true, (s, c) -> text("done")),
        new OwnerRoute("POST", "/test/sensitive", Role.ADMIN, true, true, (s, c) -> text("done")),
        new OwnerRoute("GET", "/test/boom", Role.VIEWER, false, true, (s, c) -> {
          throw new IllegalStateException("internal-detail-b00m");
        }));
    List<Daemon.Route> open = List.of(new Daemon.Route("GET", "/login", Daemon.Access.BROWSER, c -> text("login")));
    routes = Daemon.table(g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))), null, null,
        () -> new Daemon.Health(false, true, true, 0, 0),
        new Daemon.OwnerPlane(new OwnerGate(auth, clock, false), new OwnerApi(auth, ops, clock), pages, open));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, routes);
  }

  @AfterEach
  void stop() {
    daemon.close();
    g.close();
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

  private HttpResponse<String> bearer(String method, String path, String body, OwnerAuth.Tokens t) throws Exception {
    return send(method, path, body, "Authorization", "Bearer " + t.accessToken(), "Content-Type", "application/json");
  }

  private static String problem(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("type").asText().replace("https://gatehouse.dev/problems/", "");
  }

  /** A path of {@code route} with each {@code {name}} segment filled with a value of the right shape. */
  private static String concrete(String path) {
    return path.replace("{seq}", "0").replace("{id}", path.contains("rollback") ? "999999" : "a".repeat(26))
        .replace("{domain}", "web").replace("{code}", "ABCDEFGH").replace("{name}", "nobody").replace("*", "x");
  }

  private static String body(String path) {
    return path.contains("{domain}") ? "{\"level\":\"0\",\"reason\":\"the walk\"}" : "{}";
  }

  private enum Expect { ROLE, REAUTH, ALLOWED }

  private static Expect expected(Daemon.Access.Owner access, Role role, boolean fresh) {
    if (!role.atLeast(access.role())) {
      return Expect.ROLE;
    }
    return access.sensitive() && !fresh ? Expect.REAUTH : Expect.ALLOWED;
  }

  private void assertAnswer(HttpResponse<String> r, Expect e, String what) throws Exception {
    switch (e) {
      case ROLE -> {
        assertThat(r.statusCode()).as(what).isEqualTo(403);
        assertThat(problem(r)).as(what).isEqualTo("role-insufficient");
      }
      case REAUTH -> {
        assertThat(r.statusCode()).as(what).isEqualTo(403);
        assertThat(problem(r)).as(what).isEqualTo("reauth-required");
      }
      case ALLOWED -> assertThat(r.statusCode()).as(what + ": " + r.body()).isNotIn(401, 403, 303);
    }
  }

  @Test
  void everyOwnerRoute_answersEachRoleExactlyAsTheTableDeclares() throws Exception {
    int owner = 0;
    for (Daemon.Route route : routes) {
      if (!(route.access() instanceof Daemon.Access.Owner access)) {
        continue;
      }
      owner++;
      String path = concrete(route.path());
      String what = route.method() + " " + route.path();
      if (access.page()) {
        var none = send(route.method(), path, null);
        assertThat(none.statusCode()).as(what + " without a session").isEqualTo(303);
        assertThat(none.headers().firstValue("Location").orElseThrow()).as(what)
            .startsWith("/login?next=" + java.net.URLEncoder.encode(path, StandardCharsets.UTF_8));
      } else {
        var none = send(route.method(), path, body(route.path()), "Content-Type", "application/json");
        assertThat(none.statusCode()).as(what + " without a token").isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).as(what).contains("Bearer");
        var bad = send(route.method(), path, body(route.path()), "Authorization", "Bearer not-a-token");
        assertThat(bad.statusCode()).as(what + " with an unknown token").isEqualTo(401);
        assertThat(bad.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("invalid_token");
      }
      for (Role role : Role.values()) {
        for (boolean fresh : new boolean[] {false, true}) {
          OwnerAuth.Tokens t = auth.session(role, fresh);
          HttpResponse<String> r = access.page()
              ? send(route.method(), path, "", "Cookie", "gh_access=" + t.accessToken(), "X-CSRF-Token",
                  t.session().csrfToken())
              : bearer(route.method(), path, body(route.path()), t);
          assertAnswer(r, expected(access, role, fresh), what + " as " + role.id() + (fresh ? " (fresh)" : ""));
        }
      }
    }
    assertThat(owner).as("every API route and the test's pages").isEqualTo(
        new OwnerApi(auth, g.ownerOperations(new AtomicReference<>(g.loadCatalog()), OwnerUsers.NONE), clock)
            .routes().size() + 4);
  }

  @Test
  void everyOpenRoute_answersWithoutASession() throws Exception {
    for (Daemon.Route route : routes) {
      if (route.access() instanceof Daemon.Access.Open) {
        var r = send(route.method(), route.path(), route.method().equals("POST") ? "{}" : null);
        assertThat(r.statusCode()).as(route.path()).isNotIn(401, 403, 303, 404);
      }
    }
  }

  @Test
  void docsTable_listsExactlyTheOwnerRoutesOfTheTable() throws Exception {
    Pattern row = Pattern.compile("^\\| (GET|POST|PUT|DELETE) \\| (/v1/owner/\\S*) \\| ([a-z]+)( \\(sensitive\\))? \\|.*$");
    Set<String> documented = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("docs/owner-api.md"))) {
      Matcher m = row.matcher(line);
      if (m.matches()) {
        documented.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + (m.group(4) != null ? " sensitive" : ""));
      }
    }
    Set<String> served = new TreeSet<>();
    for (Daemon.Route r : routes) {
      if (!r.path().startsWith(OwnerApi.PREFIX)) {
        continue;
      }
      String role = r.access() instanceof Daemon.Access.Owner o ? o.role().id() + (o.sensitive() ? " sensitive" : "")
          : "none";
      served.add(r.method() + " " + r.path() + " " + role);
    }
    assertThat(documented).as("docs/owner-api.md rows").isEqualTo(served);
  }

  @Test
  void pagePost_withoutOrWithAWrongCsrfToken_isRefused() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.ADMIN, true);
    String cookie = "gh_access=" + t.accessToken();

    var missing = send("POST", "/test/page", "x=1", "Cookie", cookie, "Content-Type",
        "application/x-www-form-urlencoded");
    var wrong = send("POST", "/test/page", "csrf=" + t.session().csrfToken() + "x", "Cookie", cookie, "Content-Type",
        "application/x-www-form-urlencoded");
    var wrongHeader = send("POST", "/test/page", "", "Cookie", cookie, "X-CSRF-Token", "csrf-other");
    var form = send("POST", "/test/page", "a=b&csrf=" + t.session().csrfToken(), "Cookie", cookie, "Content-Type",
        "application/x-www-form-urlencoded");
    var header = send("POST", "/test/page", "", "Cookie", cookie, "X-CSRF-Token", t.session().csrfToken());

    assertThat(missing.statusCode()).isEqualTo(403);
    assertThat(problem(missing)).isEqualTo("csrf-token");
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrongHeader.statusCode()).isEqualTo(403);
    assertThat(form.statusCode()).isEqualTo(200);
    assertThat(header.statusCode()).isEqualTo(200);
  }

  @Test
  void pageGet_withAnExpiredAccessCookie_rotatesThroughTheRefreshCookie() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.VIEWER, false);
    clock.advance(OwnerAuth.ACCESS_TTL.plusSeconds(1));
    String cookies = "gh_access=" + t.accessToken() + "; gh_refresh=" + t.refreshToken();

    var r = send("GET", "/test/page", null, "Cookie", cookies);
    var again = send("GET", "/test/page", null, "Cookie", cookies);

    assertThat(r.statusCode()).isEqualTo(200);
    List<String> set = r.headers().allValues("Set-Cookie");
    assertThat(set).hasSize(2);
    assertThat(set).anySatisfy(c -> assertThat(c).startsWith("gh_access=access-").doesNotContain(t.accessToken())
        .contains("HttpOnly").contains("SameSite=Strict").doesNotContain("Secure"));
    assertThat(set).anySatisfy(c -> assertThat(c).startsWith("gh_refresh=refresh-").doesNotContain(t.refreshToken()));
    String newAccess = set.stream().filter(c -> c.startsWith("gh_access=")).findFirst().orElseThrow()
        .split(";")[0].substring("gh_access=".length());
    assertThat(auth.authenticate(newAccess)).isPresent();
    assertThat(again.statusCode()).as("the refresh cookie was spent").isEqualTo(303);
    assertThat(again.headers().allValues("Set-Cookie")).allSatisfy(c -> assertThat(c).contains("Max-Age=0"));
  }

  @Test
  void pageGet_withoutASession_goesToLoginWithASameSiteNext() throws Exception {
    var r = send("GET", "/test/page?tab=2", null);

    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).contains("/login?next=%2Ftest%2Fpage%3Ftab%3D2");
  }

  @Test
  void safeNext_keepsOnlyPathsOnThisSite() {
    assertThat(OwnerGate.safeNext("/approvals?x=1")).isEqualTo("/approvals?x=1");
    for (String bad : List.of("//evil.example/", "/\\evil.example", "https://evil.example/", "evil", "",
        "/a b", "/\r\nLocation: x")) {
      assertThat(OwnerGate.safeNext(bad)).as(bad).isEqualTo("/");
    }
    assertThat(OwnerGate.safeNext(null)).isEqualTo("/");
  }

  @Test
  void login_grantsTokens_refusesGenerically_andSaysRetryAfterWhenLimited() throws Exception {
    var ok = send("POST", OwnerApi.LOGIN, "{\"user\":\"ann\",\"password\":\"" + FakeOwnerAuth.PASSWORD
        + "\",\"code\":\"" + FakeOwnerAuth.CODE + "\"}");
    var wrong = send("POST", OwnerApi.LOGIN, "{\"user\":\"ann\",\"password\":\"nope\",\"code\":\"000000\"}");
    auth.limitedFor = Duration.ofMillis(41_500);
    var limited = send("POST", OwnerApi.LOGIN, "{\"user\":\"ann\",\"password\":\"nope\",\"code\":\"000000\"}");

    JsonNode tokens = JSON.readTree(ok.body());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(tokens.path("expires_in").asLong()).isEqualTo(900);
    assertThat(auth.authenticate(tokens.path("access_token").asText())).isPresent();
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(problem(wrong)).isEqualTo("login-refused");
    assertThat(JSON.readTree(wrong.body()).has("detail")).isFalse();
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("42");
  }

  @Test
  void refresh_rotatesOnce() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.VIEWER, false);
    var first = send("POST", OwnerApi.REFRESH, "{\"refresh_token\":\"" + t.refreshToken() + "\"}");
    var again = send("POST", OwnerApi.REFRESH, "{\"refresh_token\":\"" + t.refreshToken() + "\"}");

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(first.body()).path("refresh_token").asText()).isNotEqualTo(t.refreshToken());
    assertThat(again.statusCode()).isEqualTo(401);
  }

  @Test
  void malformedBodies_areA400NamingTheField() throws Exception {
    Map<String, String> bad = Map.of(
        "[1]", "one JSON object",
        "{\"user\":\"ann\",\"password\":\"x\"}", "code is missing",
        "{\"user\":\"ann\",\"password\":1,\"code\":\"1\"}", "password must be a string",
        "{\"user\":\"ann\",\"password\":\"x\",\"code\":\"1\",\"role\":\"owner\"}", "unknown field 'role'",
        "{\"user\":\"a\",\"user\":\"b\",\"password\":\"x\",\"code\":\"1\"}", "a key twice",
        "{\"user\":\"ann\",\"password\":\"x\",\"code\":\"1\"} {}", "nothing after it",
        "not json", "not one JSON object");
    for (var e : bad.entrySet()) {
      var r = send("POST", OwnerApi.LOGIN, e.getKey());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).path("detail").asText()).as(e.getKey()).contains(e.getValue());
    }
    OwnerAuth.Tokens admin = auth.session(Role.ADMIN, true);
    var level = bearer("POST", "/v1/owner/trust/web", "{\"level\":\"eleven\",\"reason\":\"x\"}", admin);
    var reason = bearer("POST", "/v1/owner/trust/web", "{\"level\":\"1\"}", admin);
    var query = bearer("GET", "/v1/owner/audit?limit=0", null, admin);
    var unknown = bearer("GET", "/v1/owner/audit?color=red", null, admin);
    assertThat(JSON.readTree(level.body()).path("detail").asText()).contains("level must be");
    assertThat(JSON.readTree(reason.body()).path("detail").asText()).contains("reason is missing");
    assertThat(JSON.readTree(query.body()).path("detail").asText()).contains("limit must be");
    assertThat(JSON.readTree(unknown.body()).path("detail").asText()).contains("'color'");
  }

  @Test
  void aBodyOverTheDaemonsLimit_isRefusedBeforeAnyHandler() throws Exception {
    // Only the headers are sent: the server answers from Content-Length alone (a client still
    // sending the body would race the server closing the connection).
    try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), daemon.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST " + OwnerApi.LOGIN + " HTTP/1.1\r\nHost: 127.0.0.1:" + daemon.port()
          + "\r\nContent-Type: application/json\r\nContent-Length: " + (70 * 1024) + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      assertThat(status).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void auditListing_filtersByTypeActorSinceAndLimit_newestFirst() throws Exception {
    Instant start = clock.instant();
    clock.advance(Duration.ofMinutes(1));
    for (int i = 0; i < 3; i++) {
      g.audit().record(new dev.gatehouse.audit.AuditEvent("test.one", "owner:ann", "t" + i, "ok", Map.of()));
      g.audit().record(new dev.gatehouse.audit.AuditEvent("test.two", "owner:bob", "t" + i, "ok", Map.of()));
    }
    OwnerAuth.Tokens t = auth.session(Role.VIEWER, false);

    JsonNode byType = JSON.readTree(bearer("GET", "/v1/owner/audit?type=test.one&limit=2", null, t).body());
    JsonNode byActor = JSON.readTree(bearer("GET", "/v1/owner/audit?actor=owner%3Abob", null, t).body());
    JsonNode since = JSON.readTree(bearer("GET", "/v1/owner/audit?since=" + start.plusSeconds(30), null, t).body());
    var one = bearer("GET", "/v1/owner/audit/" + byType.path("entries").get(0).path("seq").asLong(), null, t);

    assertThat(byType.path("entries")).hasSize(2);
    assertThat(byType.path("entries").get(0).path("target").asText()).isEqualTo("t2");
    assertThat(byType.path("entries").get(1).path("target").asText()).isEqualTo("t1");
    assertThat(byActor.path("entries")).hasSize(3).allSatisfy(e -> assertThat(e.path("type").asText())
        .isEqualTo("test.two"));
    assertThat(since.path("entries")).hasSize(6);
    JsonNode entry = JSON.readTree(one.body());
    assertThat(entry.path("line").asText()).contains("\"type\":\"test.one\"");
    assertThat(entry.path("evidence").path("entry").asText()).isEqualTo(entry.path("line").asText());
    assertThat(entry.path("evidence").path("newer_than_checkpoint").asBoolean()).as("a checkpoint was signed for it")
        .isFalse();
    assertThat(entry.path("evidence").path("checkpoint").asText()).isNotEmpty();
    assertThat(bearer("GET", "/v1/owner/audit/99999", null, t).statusCode()).isEqualTo(404);
  }

  @Test
  void anUnexpectedFailure_isABare500() throws Exception {
    var r = send("GET", "/test/boom", null, "Cookie", "gh_access=" + auth.session(Role.VIEWER, false).accessToken());

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(problem(r)).isEqualTo("internal-error");
    assertThat(r.body()).doesNotContain("b00m").doesNotContain("IllegalState").doesNotContain("at dev.");
  }

  @Test
  void securityHeaders_onEveryOwnerAndDashboardAnswer_andHstsOnlyUnderTls() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.VIEWER, false);
    List<HttpResponse<String>> browserFacing = List.of(
        bearer("GET", "/v1/owner/status", null, t),
        send("GET", "/v1/owner/status", null),
        send("POST", OwnerApi.LOGIN, "{}"),
        send("GET", "/test/page", null, "Cookie", "gh_access=" + t.accessToken()),
        send("GET", "/test/page", null),
        send("GET", "/login", null));
    for (var r : browserFacing) {
      String what = r.request().method() + " " + r.uri() + " -> " + r.statusCode();
      Daemon.BROWSER_HEADERS.forEach((name, value) ->
          assertThat(r.headers().firstValue(name)).as(what + " " + name).contains(value));
      assertThat(r.headers().firstValue("Strict-Transport-Security")).as(what).isEmpty();
    }
    assertThat(browserFacing.get(3).statusCode()).isEqualTo(200);

    var tlsTable = Daemon.table(null, null, null, () -> null, new Daemon.OwnerPlane(new OwnerGate(auth, clock, true),
        new OwnerApi(auth, g.ownerOperations(new AtomicReference<>(g.loadCatalog()), OwnerUsers.NONE), clock),
        List.of(), List.of()));
    var status = tlsTable.stream().filter(r -> r.path().equals("/v1/owner/status")).findFirst().orElseThrow();
    var answer = status.handler().apply(new Broker.Call("GET", "x", "/v1/owner/status", null,
        Map.of("authorization", "Bearer " + t.accessToken()), new byte[0], "127.0.0.1"));
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.headers().get("Strict-Transport-Security")).isEqualTo(Daemon.HSTS);
  }

  @Test
  void codeGatedApproval_needsAdminAndARecentReauth_andRecordsHowTheApproverWasVerified() throws Exception {
    var store = g.approvals(g.trust(), Notifier.NONE);
    ActionApprovals.Approval shell = store.open("bot", "box.run", Domain.SHELL, "ab".repeat(32), "run it");
    ActionApprovals.Approval web = store.open("bot", "site.get", Domain.WEB, "cd".repeat(32), "get it");
    String shellPath = "/v1/owner/approvals/" + shell.id() + "/approve";

    var operator = bearer("POST", shellPath, "", auth.session(Role.OPERATOR, true));
    var staleAdmin = bearer("POST", shellPath, "", auth.session(Role.ADMIN, false));
    var freshAdmin = bearer("POST", shellPath, "", auth.session(Role.ADMIN, true));
    var plain = bearer("POST", "/v1/owner/approvals/" + web.id() + "/approve", "", auth.session(Role.OPERATOR, false));

    assertThat(problem(operator)).isEqualTo("role-insufficient");
    assertThat(problem(staleAdmin)).isEqualTo("reauth-required");
    assertThat(freshAdmin.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(freshAdmin.body()).path("status").asText()).isEqualTo("approved");
    assertThat(plain.statusCode()).isEqualTo(200);
    var deny = bearer("POST", "/v1/owner/approvals/" + web.id() + "/deny", "", auth.session(Role.OPERATOR, false));
    var again = bearer("POST", "/v1/owner/approvals/" + web.id() + "/deny", "", auth.session(Role.OPERATOR, false));
    assertThat(JSON.readTree(deny.body()).path("status").asText()).as("an approved, unused one is taken back")
        .isEqualTo("denied");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(again.body()).path("detail").asText()).contains("denied already");
    String audit = AgentCalls.auditText(homeDir);
    assertThat(audit).containsPattern("\"type\":\"approval.approve\",\"actor\":\"owner:admin-user\",[^\\n]*"
        + "\"code\":\"owner-reauth\"");
    assertThat(audit).containsPattern("\"type\":\"approval.approve\",\"actor\":\"owner:operator-user\",[^\\n]*"
        + "\"code\":\"none\"");
  }

  @Test
  void pairing_listedAndApprovedByAnOperator_andAChannelRevokedByAFreshAdmin() throws Exception {
    var pairing = g.pairing();
    String code = ((dev.gatehouse.chat.Pairing.Code) pairing.request("tg", "77", "Ann")).code();
    g.channels().add("tg", List.of(), "test");
    OwnerAuth.Tokens operator = auth.session(Role.OPERATOR, false);

    JsonNode listed = JSON.readTree(bearer("GET", "/v1/owner/pairing", null, operator).body());
    var approved = bearer("POST", "/v1/owner/pairing/" + code.toLowerCase() + "/approve", "", operator);
    var revoke = bearer("POST", "/v1/owner/channels/tg/revoke", "", auth.session(Role.ADMIN, true));

    assertThat(listed.path("pending").get(0).path("code").asText()).isEqualTo(code);
    assertThat(approved.statusCode()).isEqualTo(200);
    assertThat(pairing.isAllowed("tg", "77")).isTrue();
    assertThat(revoke.statusCode()).isEqualTo(200);
    assertThat(g.channels().find("tg")).isEmpty();
    String audit = AgentCalls.auditText(homeDir);
    assertThat(audit).contains("\"actor\":\"owner:operator-user\"").contains("\"actor\":\"owner:admin-user\"");
  }

  @Test
  void trustRaise_needsARecentReauth_aLoweringDoesNot() throws Exception {
    g.trust().set(Domain.WEB, Level.SUGGEST, "cli:test", "start at 2");

    var lower = bearer("POST", "/v1/owner/trust/web", "{\"level\":\"inform\",\"reason\":\"less\"}",
        auth.session(Role.ADMIN, false));
    var staleRaise = bearer("POST", "/v1/owner/trust/web", "{\"level\":\"4\",\"reason\":\"more\"}",
        auth.session(Role.ADMIN, false));
    var freshRaise = bearer("POST", "/v1/owner/trust/web", "{\"level\":\"4\",\"reason\":\"more\"}",
        auth.session(Role.ADMIN, true));

    assertThat(lower.statusCode()).isEqualTo(200);
    assertThat(problem(staleRaise)).isEqualTo("reauth-required");
    assertThat(freshRaise.statusCode()).isEqualTo(200);
    assertThat(g.trust().level(Domain.WEB)).isEqualTo(Level.FULL);
    assertThat(g.trust().history()).last().satisfies(c -> assertThat(c.who()).isEqualTo("owner:admin-user"));
  }

  @Test
  void reauth_makesASessionFresh_forItsSensitiveRoutes() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.OWNER, false);
    var before = bearer("POST", "/v1/owner/reload", "", t);
    var wrong = bearer("POST", "/v1/owner/reauth", "{\"code\":\"000000\"}", t);
    var reauth = bearer("POST", "/v1/owner/reauth", "{\"code\":\"" + FakeOwnerAuth.CODE + "\"}", t);
    var after = bearer("POST", "/v1/owner/reload", "", t);

    assertThat(problem(before)).isEqualTo("reauth-required");
    assertThat(problem(wrong)).isEqualTo("code-refused");
    assertThat(JSON.readTree(reauth.body()).path("recently_reauthenticated").asBoolean()).isTrue();
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(AgentCalls.auditText(homeDir)).contains("\"type\":\"catalog.reload\",\"actor\":\"owner:owner-user\"");
    clock.advance(Duration.ofMinutes(5));
    assertThat(problem(bearer("POST", "/v1/owner/reload", "", t))).isEqualTo("reauth-required");
  }

  @Test
  void logout_endsTheSession() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.VIEWER, false);
    var out = bearer("POST", "/v1/owner/logout", "{\"refresh_token\":\"" + t.refreshToken() + "\"}", t);

    assertThat(out.statusCode()).isEqualTo(204);
    assertThat(bearer("GET", "/v1/owner/me", null, t).statusCode()).isEqualTo(401);
    assertThat(auth.refresh(t.refreshToken(), "x")).isEmpty();
  }

  @Test
  void noPlantedSecret_reachesAnAnswerOrTheAuditLog() throws Exception {
    var login = send("POST", OwnerApi.LOGIN, "{\"user\":\"ann\",\"password\":\"" + FakeOwnerAuth.PASSWORD
        + "\",\"code\":\"" + FakeOwnerAuth.CODE + "\"}");
    JsonNode tokens = JSON.readTree(login.body());
    String access = tokens.path("access_token").asText();
    String refresh = tokens.path("refresh_token").asText();
    answers.clear(); // the login answer is where the tokens belong; nowhere else
    String bearer = "Bearer " + access;
    send("POST", "/v1/owner/reauth", "{\"code\":\"" + FakeOwnerAuth.CODE + "\"}", "Authorization", bearer);
    send("POST", "/v1/owner/login", "{\"user\":\"ann\",\"password\":\"" + FakeOwnerAuth.PASSWORD
        + "x\",\"code\":\"" + FakeOwnerAuth.CODE + "\"}");
    for (String path : List.of("me", "status", "audit?limit=500", "audit/0", "trust", "trust/history", "approvals",
        "pairing", "agents", "channels", "services", "vault", "users")) {
      send("GET", "/v1/owner/" + path, null, "Authorization", bearer);
    }
    send("POST", "/v1/owner/audit/verify", "", "Authorization", bearer);
    send("POST", "/v1/owner/reload", "", "Authorization", bearer);
    send("POST", "/v1/owner/trust/web", "{\"level\":\"1\",\"reason\":\"r\"}", "Authorization", bearer);

    var vault = answers.stream().filter(r -> r.uri().getPath().endsWith("/vault")).findFirst().orElseThrow();
    assertThat(vault.body()).contains("planted.secret");
    String audit = AgentCalls.auditText(homeDir);
    // the code quoted, as a JSON value would hold it: six digits alone turn up in any hash
    for (String secret : List.of(FakeOwnerAuth.PASSWORD, "\"" + FakeOwnerAuth.CODE + "\"", access, refresh,
        VAULT_SECRET)) {
      for (var r : answers) {
        assertThat(r.body()).as(r.uri() + " holds a secret").doesNotContain(secret);
        assertThat(r.headers().map().toString()).as(r.uri() + " headers").doesNotContain(secret);
      }
      assertThat(audit).doesNotContain(secret);
    }
    assertThat(answers).hasSizeGreaterThan(15).allSatisfy(r -> assertThat(r.statusCode()).isNotEqualTo(500));
  }
}
