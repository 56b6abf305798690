package dev.gatehouse.dashboard;

import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.owner.OwnerAuth;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.owner.Role;
import dev.gatehouse.owner.SessionCookies;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The owner's dashboard at {@code /} (DESIGN §11): server-rendered pages ({@link Pages}) over
 * the owner operations ({@link Console}), and the open routes a browser needs before it has a
 * session (the login form, the static files).
 *
 * <p>The page routes are {@link OwnerRoute}s with {@code page = true}: the owner gate checks
 * the cookie session, the CSRF token of every POST, the role and re-auth before a handler
 * here runs. What this class guarantees on top: every answer carries the browser security
 * headers of {@link Daemon#BROWSER_HEADERS} (CSP without inline script or style, no-store,
 * nosniff, no-referrer, no framing; HSTS under TLS); the login form is protected against login CSRF
 * by a double-submit token (a SameSite=Strict cookie that must equal the form's field); a
 * redirect only ever goes to a path on this site; a refused login says nothing of which
 * factor failed.
 */
public final class Dashboard {
  /** The login form's double-submit token: field and cookie. */
  static final String LOGIN_FIELD = "login_token";
  static final String LOGIN_COOKIE = "gh_login";
  static final Duration LOGIN_FORM_TTL = Duration.ofMinutes(30);
  static final int AUDIT_PAGE = 200;
  static final String STATIC_PREFIX = "/static/";

  /** The files under {@code /static/}, with their types; nothing else is served from there. */
  static final Map<String, String> STATIC_TYPES = Map.of(
      "app.css", "text/css; charset=utf-8",
      "app.js", "text/javascript; charset=utf-8",
      "proof.js", "text/javascript; charset=utf-8",
      "icon.svg", "image/svg+xml");

  private final Console console;
  private final OwnerAuth auth;
  private final Clock clock;
  private final SecureRandom random;
  private final boolean tls;
  private final Pages pages;

  public Dashboard(Console console, OwnerAuth auth, Clock clock, SecureRandom random, boolean tls) {
    this.console = console;
    this.auth = auth;
    this.clock = clock;
    this.random = random;
    this.tls = tls;
    this.pages = new Pages(clock);
  }

  /** The dashboard the daemon serves: over the owner operations, signing in through the gate's accounts. */
  public static Dashboard over(dev.gatehouse.owner.OwnerOperations ops, OwnerGate gate, Clock clock) {
    return new Dashboard(new OperationsConsole(ops), gate.auth(), clock, new SecureRandom(), gate.tls());
  }

  // ---- the routes ---------------------------------------------------------------------

  /**
   * The dashboard's pages, each with its least role, the same as the owner API's route over the
   * same operation (docs/owner-api.md): a page never shows a role more than the API would. The
   * gate enforces all of it.
   */
  public List<OwnerRoute> pages() {
    List<OwnerRoute> r = new ArrayList<>();
    r.add(page("GET", "/", Role.VIEWER, false, this::overview));
    r.add(page("GET", "/approvals", Role.OPERATOR, false, this::approvals));
    r.add(page("POST", "/approvals/approve", Role.OPERATOR, false, this::approve));
    r.add(page("POST", "/approvals/deny", Role.OPERATOR, false, this::deny));
    r.add(page("GET", "/pairing", Role.OPERATOR, false, this::pairing));
    r.add(page("POST", "/pairing/approve", Role.OPERATOR, false, this::pairingApprove));
    r.add(page("POST", "/pairing/deny", Role.OPERATOR, false, this::pairingDeny));
    r.add(page("POST", "/audit/verify", Role.VIEWER, false, this::verifyAudit));
    r.add(page("GET", "/audit", Role.VIEWER, false, this::audit));
    r.add(page("GET", "/audit/entry", Role.VIEWER, false, this::auditEntry));
    r.add(page("GET", "/audit/evidence", Role.VIEWER, false, this::evidence));
    r.add(page("GET", "/trust", Role.VIEWER, false, this::trust));
    r.add(page("POST", "/trust/set", Role.ADMIN, false, this::trustSet)); // a raise needs re-auth: the operations say
    r.add(page("POST", "/trust/rollback", Role.ADMIN, true, this::trustRollback));
    r.add(page("GET", "/agents", Role.ADMIN, false, this::agents));
    r.add(page("GET", "/services", Role.ADMIN, false, this::services));
    r.add(page("GET", "/vault", Role.ADMIN, false, this::vault));
    r.add(page("GET", "/reauth", Role.VIEWER, false, this::reauthForm));
    r.add(page("POST", "/reauth", Role.VIEWER, false, this::reauth));
    r.add(page("POST", "/logout", Role.VIEWER, false, this::logout));
    return List.copyOf(r);
  }

  /** The routes open to anyone: the login form and the static files. */
  public List<Daemon.Route> open() {
    return List.of(
        new Daemon.Route("GET", "/login", Daemon.Access.BROWSER, this::loginForm),
        new Daemon.Route("POST", "/login", Daemon.Access.BROWSER, this::login),
        new Daemon.Route("GET", STATIC_PREFIX + "*", Daemon.Access.BROWSER, this::staticFile));
  }

  private static OwnerRoute page(String method, String path, Role role, boolean sensitive, OwnerRoute.Handler h) {
    return new OwnerRoute(method, path, role, sensitive, true, h);
  }

  // ---- login, logout, re-auth ---------------------------------------------------------

  private Broker.Answer loginForm(Broker.Call call) {
    Form q = Form.parse(call.rawQuery());
    String token = newToken();
    return html(200, Pages.login(token, safeNext(q.raw("next")).orElse(null), null),
        "Set-Cookie", SessionCookies.set(LOGIN_COOKIE, token, LOGIN_FORM_TTL, tls));
  }

  private Broker.Answer login(Broker.Call call) {
    Form form = Form.parse(call.body());
    Arrays.fill(call.body(), (byte) 0);
    String next = safeNext(form.raw("next")).orElse(null);
    String token = newToken();
    String cookie = SessionCookies.set(LOGIN_COOKIE, token, LOGIN_FORM_TTL, tls);
    Optional<String> sent = SessionCookies.read(call.headers().get("cookie"), LOGIN_COOKIE);
    String field = form.raw(LOGIN_FIELD);
    if (sent.isEmpty() || field == null || !constantTimeEquals(sent.get(), field)) {
      return html(403, Pages.login(token, next, "This sign-in form has expired. Please sign in again."),
          "Set-Cookie", cookie);
    }
    String user = form.get("user").orElse("");
    String password = form.raw("password") == null ? "" : form.raw("password");
    String code = form.get("code").orElse("");
    char[] pw = password.toCharArray();
    OwnerAuth.LoginResult result;
    try {
      result = auth.login(user, pw, code, call.remote());
    } finally {
      Arrays.fill(pw, '\0');
    }
    return switch (result) {
      case OwnerAuth.LoginResult.Granted g -> {
        Map<String, String> h = headers();
        h.put("Location", next == null ? "/" : next);
        List<String> cookies = new ArrayList<>(OwnerGate.sessionCookies(g.tokens(), tls));
        cookies.add(SessionCookies.clear(LOGIN_COOKIE, tls));
        h.put("Set-Cookie", SessionCookies.join(cookies));
        yield new Broker.Answer(303, h, new byte[0]);
      }
      case OwnerAuth.LoginResult.Refused r when r.retryAfter() != null -> {
        long s = Math.max(1, r.retryAfter().toSeconds());
        Broker.Answer a = html(429, Pages.login(token, next,
            "Too many sign-in attempts from here. Try again in " + s + " seconds."), "Set-Cookie", cookie);
        a.headers().put("Retry-After", String.valueOf(s));
        yield a;
      }
      case OwnerAuth.LoginResult.Refused r ->
          html(401, Pages.login(token, next, "Sign-in failed. Check your user, password and code."),
              "Set-Cookie", cookie);
    };
  }

  private Broker.Answer logout(OwnerSession session, Broker.Call call) {
    String cookie = call.headers().get("cookie");
    auth.logout(SessionCookies.read(cookie, SessionCookies.ACCESS).orElse(null),
        SessionCookies.read(cookie, SessionCookies.REFRESH).orElse(null));
    Map<String, String> h = headers();
    h.put("Location", "/login");
    h.put("Set-Cookie", SessionCookies.join(List.of(SessionCookies.clear(SessionCookies.ACCESS, tls),
        SessionCookies.clear(SessionCookies.REFRESH, tls))));
    return new Broker.Answer(303, h, new byte[0]);
  }

  private Broker.Answer reauthForm(OwnerSession session, Broker.Call call) {
    Form q = Form.parse(call.rawQuery());
    return html(200, pages.reauth(session, safeNext(q.raw("next")).orElse(null), null));
  }

  private Broker.Answer reauth(OwnerSession session, Broker.Call call) {
    Form form = Form.parse(call.body());
    String next = safeNext(form.raw("next")).orElse(null);
    Optional<OwnerSession> done = auth.reauth(session, form.get("code").orElse(""), call.remote());
    if (done.isEmpty()) {
      return html(401, pages.reauth(session, next, "That code was not accepted. Try the next one."));
    }
    return redirect(next == null ? "/" : next);
  }

  // ---- pages --------------------------------------------------------------------------

  private Broker.Answer overview(OwnerSession s, Broker.Call call) {
    return html(200, pages.overview(s, console.overview(), done(call), true));
  }

  private Broker.Answer verifyAudit(OwnerSession s, Broker.Call call) {
    console.verifyAudit();
    return redirect("/?done=verified");
  }

  private Broker.Answer approvals(OwnerSession s, Broker.Call call) {
    return html(200, pages.approvals(s, console.pendingApprovals(), done(call), true));
  }

  private Broker.Answer approve(OwnerSession s, Broker.Call call) {
    Form f = Form.parse(call.body());
    Console.Outcome o = console.approve(s, f.get("id").orElse(""));
    return o.ok() ? redirect("/approvals?done=approved") : o.needsReauth() ? redirect("/reauth?next=%2Fapprovals")
        : html(409, pages.approvals(s, console.pendingApprovals(), o.message(), false));
  }

  private Broker.Answer deny(OwnerSession s, Broker.Call call) {
    Form f = Form.parse(call.body());
    Console.Outcome o = console.deny(s, f.get("id").orElse(""), f.get("reason").orElse(null));
    return o.ok() ? redirect("/approvals?done=denied")
        : html(409, pages.approvals(s, console.pendingApprovals(), o.message(), false));
  }

  private Broker.Answer pairing(OwnerSession s, Broker.Call call) {
    return html(200, pages.pairing(s, console.pendingPairings(), done(call), true));
  }

  private Broker.Answer pairingApprove(OwnerSession s, Broker.Call call) {
    Console.Outcome o = console.approvePairing(s, Form.parse(call.body()).get("code").orElse(""));
    return o.ok() ? redirect("/pairing?done=paired")
        : html(409, pages.pairing(s, console.pendingPairings(), o.message(), false));
  }

  private Broker.Answer pairingDeny(OwnerSession s, Broker.Call call) {
    Console.Outcome o = console.denyPairing(s, Form.parse(call.body()).get("code").orElse(""));
    return o.ok() ? redirect("/pairing?done=refused")
        : html(409, pages.pairing(s, console.pendingPairings(), o.message(), false));
  }

  private Broker.Answer audit(OwnerSession s, Broker.Call call) {
    Form q = Form.parse(call.rawQuery());
    String type = q.get("type").orElse(null);
    String actor = q.get("actor").orElse(null);
    return html(200, pages.audit(s, console.audit(type, actor, AUDIT_PAGE), type, actor));
  }

  private Broker.Answer auditEntry(OwnerSession s, Broker.Call call) {
    Optional<AuditRecord> r = seq(call).flatMap(console::auditEntry);
    return r.map(e -> html(200, pages.auditEntry(s, e)))
        .orElseGet(() -> html(404, pages.message(s, "Not found", "There is no audit entry with that number.")));
  }

  private Broker.Answer evidence(OwnerSession s, Broker.Call call) {
    Optional<String> json = seq(call).flatMap(console::evidenceJson);
    Map<String, String> h = headers();
    h.put("Content-Type", "application/json");
    return json.map(j -> new Broker.Answer(200, h, j.getBytes(StandardCharsets.UTF_8)))
        .orElseGet(() -> new Broker.Answer(404, h, "{\"error\":\"no such entry\"}".getBytes(StandardCharsets.UTF_8)));
  }

  private Broker.Answer trust(OwnerSession s, Broker.Call call) {
    return html(200, trustPage(s, done(call), true));
  }

  private String trustPage(OwnerSession s, String flash, boolean ok) {
    return pages.trust(s, console.trust(), console.trustHistory(), s.recentlyReauthenticated(clock.instant()), flash,
        ok);
  }

  private Broker.Answer trustSet(OwnerSession s, Broker.Call call) {
    Form f = Form.parse(call.body());
    int level;
    try {
      level = Integer.parseInt(f.get("level").orElse("-1"));
    } catch (NumberFormatException e) {
      level = -1;
    }
    Console.Outcome o = Pages.levelName(level).isEmpty() ? Console.Outcome.refused("The level must be 0 to 4.")
        : console.setTrust(s, f.get("domain").orElse(""), level, f.get("reason").orElse(""));
    return o.ok() ? redirect("/trust?done=changed") : o.needsReauth() ? redirect("/reauth?next=%2Ftrust")
        : html(409, trustPage(s, o.message(), false));
  }

  private Broker.Answer trustRollback(OwnerSession s, Broker.Call call) {
    Form f = Form.parse(call.body());
    Console.Outcome o;
    try {
      o = console.rollbackTrust(s, Long.parseLong(f.get("id").orElse("")));
    } catch (NumberFormatException e) {
      o = Console.Outcome.refused("No such change.");
    }
    return o.ok() ? redirect("/trust?done=rolled-back") : o.needsReauth() ? redirect("/reauth?next=%2Ftrust")
        : html(409, trustPage(s, o.message(), false));
  }

  private Broker.Answer agents(OwnerSession s, Broker.Call call) {
    return html(200, pages.agents(s, console.agents()));
  }

  private Broker.Answer services(OwnerSession s, Broker.Call call) {
    return html(200, pages.services(s, console.services()));
  }

  private Broker.Answer vault(OwnerSession s, Broker.Call call) {
    return html(200, pages.vault(s, console.vaultNames()));
  }

  // ---- static files -------------------------------------------------------------------

  private Broker.Answer staticFile(Broker.Call call) {
    String name = call.path().substring(Math.min(call.path().length(), STATIC_PREFIX.length()));
    String type = STATIC_TYPES.get(name);
    byte[] bytes = type == null ? null : resource(name);
    Map<String, String> h = headers();
    if (bytes == null) {
      h.put("Content-Type", "text/plain; charset=utf-8");
      return new Broker.Answer(404, h, "not found\n".getBytes(StandardCharsets.UTF_8));
    }
    h.put("Content-Type", type);
    return new Broker.Answer(200, h, bytes);
  }

  private static byte[] resource(String name) {
    try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- helpers ------------------------------------------------------------------------

  /** The fixed texts a redirect after a change may show; a query parameter only picks one. */
  private static final Map<String, String> DONE = Map.of(
      "verified", "The audit log was verified just now.",
      "approved", "Approved: the agent may now send its request once.",
      "denied", "Denied.",
      "paired", "Paired: the sender may now write to the agent.",
      "refused", "Pairing refused.",
      "changed", "Trust level changed.",
      "rolled-back", "Change rolled back.");

  private static String done(Broker.Call call) {
    return Form.parse(call.rawQuery()).get("done").map(DONE::get).orElse(null);
  }

  private static Optional<Long> seq(Broker.Call call) {
    try {
      return Form.parse(call.rawQuery()).get("seq").map(Long::parseLong).filter(n -> n >= 0);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * {@code next} if it is a path on this site (the gate's one rule) naming a page a browser can
   * open (a GET page route): a form's action, where the gate sends a POST without a session,
   * or the login page itself are not, and the browser goes to the overview instead.
   */
  static Optional<String> safeNext(String next) {
    String safe = OwnerGate.safeNext(next);
    int q = safe.indexOf('?');
    String path = q < 0 ? safe : safe.substring(0, q);
    return safe.equals(next) && GET_PAGES.contains(path) ? Optional.of(safe) : Optional.empty();
  }

  /** The paths of the GET page routes (see {@link #pages}). */
  private static final java.util.Set<String> GET_PAGES = java.util.Set.of("/", "/approvals", "/pairing", "/audit",
      "/audit/entry", "/trust", "/agents", "/services", "/vault", "/reauth");

  private String newToken() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** A fresh header map with the security headers. */
  private Map<String, String> headers() {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(Daemon.BROWSER_HEADERS); // the table adds them too; a page answers right on its own
    if (tls) {
      h.put("Strict-Transport-Security", Daemon.HSTS);
    }
    return h;
  }

  private Broker.Answer html(int status, String page, String... extra) {
    Map<String, String> h = headers();
    h.put("Content-Type", "text/html; charset=utf-8");
    for (int i = 0; i + 1 < extra.length; i += 2) {
      h.put(extra[i], extra[i + 1]);
    }
    return new Broker.Answer(status, h, page.getBytes(StandardCharsets.UTF_8));
  }

  private Broker.Answer redirect(String location) {
    Map<String, String> h = headers();
    h.put("Location", location);
    return new Broker.Answer(303, h, new byte[0]);
  }

}
