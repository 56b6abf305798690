package dev.gatehouse.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.broker.Broker;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.trust.Domain;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The dashboard's pages as text: escaping, CSRF fields, labels, roles, headers, login. */
class DashboardPagesTest {
  static final String PLANTED = "<script>alert(1)</script>\"' onmouseover=x";
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  final FakeOwnerPlane.Auth auth = new FakeOwnerPlane.Auth(clock, Role.OWNER);
  final FakeOwnerPlane.FakeConsole console = new FakeOwnerPlane.FakeConsole(clock);
  final Dashboard dashboard = new Dashboard(console, auth, clock, new SecureRandom(), false);

  static OwnerSession session(Role role) {
    Instant t = Instant.parse("2026-12-01T09:59:00Z");
    return new OwnerSession("alice", role, "s1", t, t, "the-csrf-token");
  }

  /** Every page of the dashboard for {@code role}, rendered through its route. */
  Map<String, String> everyPage(Role role) {
    Map<String, String> out = new TreeMap<>();
    for (OwnerRoute r : dashboard.pages()) {
      if (r.method().equals("GET") && role.atLeast(r.role()) && !r.path().equals("/audit/evidence")) {
        String q = r.path().equals("/audit/entry") ? "seq=0" : null;
        out.put(r.path(), body(r.handler().handle(session(role), get(r.path(), q))));
      }
    }
    out.put("/login", body(route("GET", "/login").apply(get("/login", null))));
    return out;
  }

  void plant() {
    console.add("ID1", PLANTED, PLANTED, Domain.WEB, PLANTED);
    console.add("ID2", "claude", "shell.run", Domain.SHELL, "ls");
    console.agentName = PLANTED;
    console.pairings.add(new Console.PairingItem("telegram", PLANTED, PLANTED, "ABCDEFGH", clock.instant(),
        clock.instant().plusSeconds(3600)));
    console.history.add(new Console.TrustChange(1, clock.instant(), "web", "0 none", "2 suggest", PLANTED, PLANTED));
  }

  @Test
  void everyGetPage_isAPlaceTheLoginMayReturnTo() {
    for (OwnerRoute r : dashboard.pages()) {
      if (r.method().equals("GET") && !r.path().equals("/audit/evidence")) {
        assertThat(Dashboard.safeNext(r.path())).as(r.path()).contains(r.path());
      }
    }
  }

  @Test
  void plantedMarkup_inAgentNameSummaryAndAudit_isRenderedInert() {
    plant();
    for (var page : everyPage(Role.OWNER).entrySet()) {
      assertThat(page.getValue()).as(page.getKey()).doesNotContain("<script>alert").doesNotContain("\" onmouseover")
          .doesNotContain("' onmouseover");
    }
    assertThat(everyPage(Role.OWNER).get("/approvals")).contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;");
  }

  @Test
  void everyPage_hasNoInlineScriptOrStyle_andOnlySameSiteFiles() {
    plant();
    Pattern script = Pattern.compile("<script(?![^>]*\\bsrc=\"/static/)[^>]*>");
    for (var page : everyPage(Role.OWNER).entrySet()) {
      String html = page.getValue();
      assertThat(script.matcher(html).find()).as(page.getKey() + " inline script").isFalse();
      assertThat(html).as(page.getKey()).doesNotContain("<style").doesNotContain(" style=")
          .doesNotContain(" onclick=").doesNotContain("javascript:").doesNotContainPattern("(src|href|action)=\"(https?:)?//")
          .contains("<meta name=\"viewport\"");
    }
  }

  @Test
  void everyPostForm_carriesTheSessionsCsrfToken() {
    plant();
    Pattern form = Pattern.compile("<form[^>]*method=\"post\"[^>]*>(.*?)</form>", Pattern.DOTALL);
    int forms = 0;
    for (var page : everyPage(Role.OWNER).entrySet()) {
      Matcher m = form.matcher(page.getValue());
      while (m.find()) {
        forms++;
        String field = page.getKey().equals("/login") ? "name=\"login_token\"" : "name=\"csrf\" value=\"the-csrf-token\"";
        assertThat(m.group(1)).as(page.getKey()).contains(field);
      }
    }
    assertThat(forms).isGreaterThan(10);
  }

  @Test
  void everyControl_hasALabelOrAnAccessibleName() {
    plant();
    Pattern control = Pattern.compile("<(input|select)\\b([^>]*)>");
    Pattern id = Pattern.compile("\\bid=\"([^\"]+)\"");
    for (var page : everyPage(Role.OWNER).entrySet()) {
      Matcher m = control.matcher(page.getValue());
      while (m.find()) {
        if (m.group(2).contains("type=\"hidden\"") || m.group(2).contains("aria-label=")) {
          continue;
        }
        Matcher i = id.matcher(m.group(2));
        assertThat(i.find()).as(page.getKey() + ": " + m.group()).isTrue();
        assertThat(Pattern.compile("<label[^>]*\\bfor=\"" + Pattern.quote(i.group(1)) + "\">[^<]+</label>")
            .matcher(page.getValue()).find()).as(page.getKey() + ": label for " + i.group(1)).isTrue();
      }
    }
  }

  @Test
  void loginPage_hasTheContractsAccessibleNames() {
    String html = everyPage(Role.OWNER).get("/login");
    assertThat(html).contains("<label for=\"user\">User</label>", "<label for=\"password\">Password</label>",
        "<label for=\"code\">Code</label>", "<button type=\"submit\">Sign in</button>");
    assertThat(html).as("a recovery code (letters, dashes) must be accepted in place of a code")
        .doesNotContain("pattern=");
  }

  @Test
  void approvals_showAgentActionDomainSummaryAge_andNameTheCodeGatedOnes() {
    plant();
    clock.advance(Duration.ofMinutes(3));
    String operator = everyPage(Role.OPERATOR).get("/approvals");
    assertThat(operator).contains("<dd>shell</dd>", "<dd>web</dd>", "<code class=\"wrap\">ls</code>", "4 min ago",
        "The shell domain needs a fresh code to approve");
    // an operator may approve the web request but not the code-gated shell one; may deny both
    assertThat(operator.split(">Approve</button>", -1)).hasSize(2);
    assertThat(operator.split(">Deny</button>", -1)).hasSize(3);
    clock.advance(Duration.ofMinutes(2)); // the session's code is now 6 minutes old
    String admin = everyPage(Role.ADMIN).get("/approvals");
    assertThat(admin.split(">Approve</button>", -1)).hasSize(3);
    assertThat(admin).contains("href=\"/reauth?next=%2Fapprovals\"");
  }

  @Test
  void viewer_seesNoControlItMayNotUse() {
    plant();
    Map<String, String> pages = everyPage(Role.VIEWER);
    assertThat(pages).doesNotContainKeys("/approvals", "/pairing", "/agents", "/services", "/vault");
    assertThat(pages.get("/trust")).doesNotContain("/trust/set").doesNotContain("/trust/rollback");
    for (String hidden : List.of("/approvals", "/pairing", "/agents", "/services", "/vault")) {
      assertThat(pages.get("/")).doesNotContain("href=\"" + hidden + "\"");
    }
  }

  @Test
  void trustRollback_isOfferedOnlyWithAFreshCode() {
    plant();
    assertThat(everyPage(Role.ADMIN).get("/trust")).contains("/trust/rollback").doesNotContain("confirm it is you");
    clock.advance(Duration.ofMinutes(5)); // the session's code is now 6 minutes old
    assertThat(everyPage(Role.ADMIN).get("/trust")).doesNotContain("/trust/rollback").contains("confirm it is you")
        .contains("/trust/set");
  }

  @Test
  void vaultPage_showsNamesOnly() {
    String html = everyPage(Role.ADMIN).get("/vault");
    assertThat(html).contains("<code>jackett_api_key</code>", "<code>qbit_password</code>");
  }

  @Test
  void everyAnswer_carriesTheSecurityHeaders() {
    for (OwnerRoute r : dashboard.pages()) {
      Broker.Answer a = r.handler().handle(session(Role.OWNER), r.method().equals("GET") ? get(r.path(), "seq=0")
          : post(r.path(), ""));
      assertThat(a.headers()).as(r.method() + " " + r.path()).containsAllEntriesOf(dev.gatehouse.http.Daemon.BROWSER_HEADERS)
          .doesNotContainKey("Strict-Transport-Security");
    }
    Broker.Answer css = route("GET", "/static/*").apply(get("/static/app.css", null));
    assertThat(css.headers()).containsEntry("Content-Type", "text/css; charset=utf-8")
        .containsAllEntriesOf(dev.gatehouse.http.Daemon.BROWSER_HEADERS);
    assertThat(route("GET", "/static/*").apply(get("/static/../Dashboard.class", null)).status()).isEqualTo(404);
    Dashboard overTls = new Dashboard(console, auth, clock, new SecureRandom(), true);
    Broker.Answer login = overTls.open().get(0).handler().apply(get("/login", null));
    assertThat(login.headers()).containsKey("Strict-Transport-Security");
    assertThat(login.headers().get("Set-Cookie")).contains("; Secure").contains("HttpOnly").contains("SameSite=Strict");
  }

  @Test
  void login_withoutItsFormCookie_isRefused_andNeverAsked() {
    Broker.Answer a = login("user=alice&password=" + enc(FakeOwnerPlane.PASSWORD) + "&code=123456&login_token=t", null);
    assertThat(a.status()).isEqualTo(403);
    assertThat(auth.attempts).isEmpty();
  }

  @Test
  void login_success_setsBothSessionCookies_andGoesToASafeNext() {
    Broker.Answer a = login("user=alice&password=" + enc(FakeOwnerPlane.PASSWORD)
        + "&code=123456&login_token=t&next=%2Ftrust", "gh_login=t");
    assertThat(a.status()).isEqualTo(303);
    assertThat(a.headers().get("Location")).isEqualTo("/trust");
    assertThat(a.headers().get("Set-Cookie").split("\n")).hasSize(3)
        .anySatisfy(c -> assertThat(c).startsWith("gh_access=access-1;").contains("HttpOnly", "SameSite=Strict"))
        .anySatisfy(c -> assertThat(c).startsWith("gh_refresh=refresh-1;").contains("HttpOnly", "SameSite=Strict"));
  }

  @Test
  void login_failure_isGeneric_andRateLimitSays429() {
    Broker.Answer wrong = login("user=alice&password=nope&code=123456&login_token=t", "gh_login=t");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(body(wrong)).contains("Check your user, password and code").doesNotContain("nope");
    auth.limitedFor = Duration.ofSeconds(42);
    Broker.Answer limited = login("user=alice&password=nope&code=123456&login_token=t", "gh_login=t");
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.headers()).containsEntry("Retry-After", "42");
  }

  @Test
  void safeNext_acceptsOnlyPathsOnThisSite() {
    assertThat(Dashboard.safeNext("/audit?type=x")).contains("/audit?type=x");
    assertThat(Dashboard.safeNext("/")).contains("/");
    for (String bad : List.of("//evil.example", "/\\evil.example", "https://evil.example/", "evil", "/a b", "/login",
        "/\u00e9", "", "/approvals/approve", "/logout", "/static/app.js", "/v1/owner/status")) {
      assertThat(Dashboard.safeNext(bad)).as(bad).isEmpty();
    }
  }

  @Property
  void text_neverLeavesAMarkupCharacter(@ForAll String s) {
    String e = Html.text(s);
    assertThat(e).doesNotContain("<", ">", "\"", "'");
    assertThat(e.replaceAll("&(amp|lt|gt|quot|#39);", "")).doesNotContain("&");
  }

  // ---- helpers ------------------------------------------------------------------------

  private Broker.Answer login(String body, String cookie) {
    Map<String, String> h = new TreeMap<>();
    if (cookie != null) {
      h.put("cookie", cookie);
    }
    return route("POST", "/login").apply(new Broker.Call("POST", "127.0.0.1", "/login", null, h,
        body.getBytes(StandardCharsets.UTF_8), "127.0.0.1"));
  }

  private java.util.function.Function<Broker.Call, Broker.Answer> route(String method, String path) {
    return dashboard.open().stream().filter(r -> r.method().equals(method) && r.path().equals(path)).findFirst()
        .orElseThrow().handler();
  }

  static Broker.Call get(String path, String query) {
    return new Broker.Call("GET", "127.0.0.1", path, query, Map.of(), new byte[0], "127.0.0.1");
  }

  static Broker.Call post(String path, String body) {
    return new Broker.Call("POST", "127.0.0.1", path, null, Map.of(), body.getBytes(StandardCharsets.UTF_8),
        "127.0.0.1");
  }

  static String body(Broker.Answer a) {
    return new String(a.body(), StandardCharsets.UTF_8);
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
