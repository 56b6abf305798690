package dev.gatehouse.dashboard;

import static dev.gatehouse.dashboard.Html.text;

import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.owner.Role;
import dev.gatehouse.owner.SessionCookies;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The dashboard's pages as HTML text. Guarantees, for every page: each dynamic value passes
 * {@link Html#text}; no inline script, no style attribute or element (the CSP forbids both);
 * every form that changes state carries the session's CSRF token; every control has a label
 * or an {@code aria-label}; a control is shown only to a role that may use it (the gate
 * checks again). Accessible names of DESIGN §11 are fixed here: {@code User}, {@code Password},
 * {@code Code}, {@code Sign in}, {@code Approve}, {@code Deny}.
 */
final class Pages {
  static final String APP_CSS = "/static/app.css";
  static final String APP_JS = "/static/app.js";
  static final String ICON = "/static/icon.svg";
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  /** A navigation entry: path, label, least role that sees it. */
  record Nav(String path, String label, Role role) {}

  static final List<Nav> NAV = List.of(
      new Nav("/", "Overview", Role.VIEWER),
      new Nav("/approvals", "Approvals", Role.OPERATOR),
      new Nav("/pairing", "Pairing", Role.OPERATOR),
      new Nav("/audit", "Audit", Role.VIEWER),
      new Nav("/trust", "Trust", Role.VIEWER),
      new Nav("/agents", "Agents", Role.ADMIN),
      new Nav("/services", "Services", Role.ADMIN),
      new Nav("/vault", "Vault", Role.ADMIN));

  private final Clock clock;

  Pages(Clock clock) {
    this.clock = clock;
  }

  // ---- layout -------------------------------------------------------------------------

  private static String head(String title) {
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<meta name=\"referrer\" content=\"no-referrer\">"
        + "<title>" + text(title) + " · Gatehouse</title>"
        + "<link rel=\"icon\" href=\"" + ICON + "\" type=\"image/svg+xml\">"
        + "<link rel=\"stylesheet\" href=\"" + APP_CSS + "\">"
        + "<script type=\"module\" src=\"" + APP_JS + "\"></script></head>\n";
  }

  /** A page of the signed-in dashboard: navigation for {@code session}'s role, a flash message, the body. */
  String layout(OwnerSession session, String title, String active, String flash, boolean flashOk, String body) {
    StringBuilder nav = new StringBuilder();
    for (Nav n : NAV) {
      if (session.role().atLeast(n.role())) {
        nav.append("<li><a href=\"").append(text(n.path())).append('"')
            .append(n.path().equals(active) ? " aria-current=\"page\"" : "").append('>')
            .append(text(n.label())).append("</a></li>");
      }
    }
    return head(title) + "<body><a class=\"skip\" href=\"#main\">Skip to content</a>"
        + "<header class=\"top\"><span class=\"brand\">Gatehouse</span>"
        + "<nav aria-label=\"Main\"><ul>" + nav + "</ul></nav>"
        + "<form class=\"logout\" method=\"post\" action=\"/logout\">" + csrf(session)
        + "<span class=\"who\">" + text(session.user()) + " (" + text(session.role().id()) + ")</span> "
        + "<button type=\"submit\">Sign out</button></form></header>\n"
        + "<main id=\"main\"><h1>" + text(title) + "</h1>"
        + (flash == null || flash.isBlank() ? ""
            : "<p class=\"flash " + (flashOk ? "ok" : "bad") + "\" role=\"status\">" + text(flash) + "</p>")
        + body + "</main></body></html>\n";
  }

  static String csrf(OwnerSession session) {
    return hidden(SessionCookies.CSRF_FIELD, session.csrfToken());
  }

  static String hidden(String name, Object value) {
    return "<input type=\"hidden\" name=\"" + text(name) + "\" value=\"" + text(value) + "\">";
  }

  private String time(Instant t) {
    return t == null ? "" : "<time datetime=\"" + text(t.toString()) + "\">" + text(TIME.format(t)) + "</time>";
  }

  /** How long ago {@code t} was, in the largest whole unit. */
  String age(Instant t) {
    Duration d = Duration.between(t, clock.instant());
    if (d.isNegative()) {
      d = Duration.ZERO;
    }
    if (d.toMinutes() < 1) {
      return d.toSeconds() + " s ago";
    }
    if (d.toHours() < 1) {
      return d.toMinutes() + " min ago";
    }
    if (d.toDays() < 1) {
      return d.toHours() + " h ago";
    }
    return d.toDays() + " d ago";
  }

  // ---- login and re-auth --------------------------------------------------------------

  /** The login form; {@code loginToken} is the double-submit token also set as a cookie. */
  static String login(String loginToken, String next, String error) {
    return head("Sign in") + "<body class=\"narrow\"><main id=\"main\"><h1>Gatehouse</h1>"
        + (error == null ? "" : "<p class=\"flash bad\" role=\"alert\">" + text(error) + "</p>")
        + "<form class=\"stack\" method=\"post\" action=\"/login\">"
        + hidden(Dashboard.LOGIN_FIELD, loginToken)
        + (next == null ? "" : hidden("next", next))
        + "<label for=\"user\">User</label>"
        + "<input id=\"user\" name=\"user\" autocomplete=\"username\" autocapitalize=\"none\" required>"
        + "<label for=\"password\">Password</label>"
        + "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
        + "<label for=\"code\">Code</label>" // 6 digits, or a recovery code in its place: no digits-only pattern
        + "<input id=\"code\" name=\"code\" autocomplete=\"one-time-code\" maxlength=\"32\""
        + " required>"
        + "<button type=\"submit\">Sign in</button></form></main></body></html>\n";
  }

  /** The re-auth form: a fresh code before a sensitive change. */
  String reauth(OwnerSession session, String next, String error) {
    String body = "<p>This change needs a fresh code from your authenticator (valid for 5 minutes).</p>"
        + "<form class=\"stack\" method=\"post\" action=\"/reauth\">" + csrf(session)
        + (next == null ? "" : hidden("next", next))
        + "<label for=\"reauth-code\">Code</label>"
        + "<input id=\"reauth-code\" name=\"code\" autocomplete=\"one-time-code\""
        + " maxlength=\"32\" required>"
        + "<button type=\"submit\">Confirm</button></form>";
    return layout(session, "Confirm it is you", "", error, false, body);
  }

  // ---- overview -----------------------------------------------------------------------

  String overview(OwnerSession session, Console.Overview o, String flash, boolean ok) {
    StringBuilder b = new StringBuilder("<dl class=\"facts\">");
    fact(b, "Vault", o.sealed() ? "sealed" : "unsealed", !o.sealed());
    fact(b, "Audit log", o.auditIntact() ? "intact" : "NOT intact", o.auditIntact());
    b.append("<dt>Last verified</dt><dd>")
        .append(o.auditVerifiedAt().map(t -> time(t) + " (" + text(age(t)) + ")").orElse("never"))
        .append("</dd>");
    b.append("<dt>Audit entries</dt><dd>").append(o.auditEntries()).append("</dd>");
    boolean operator = session.role().atLeast(Role.OPERATOR);
    b.append("<dt>Pending approvals</dt><dd>")
        .append(operator ? "<a href=\"/approvals\">" + o.pendingApprovals() + "</a>" : String.valueOf(o.pendingApprovals()))
        .append("</dd><dt>Pending pairings</dt><dd>")
        .append(operator ? "<a href=\"/pairing\">" + o.pendingPairings() + "</a>" : String.valueOf(o.pendingPairings()))
        .append("</dd>");
    b.append("<dt>Lockouts</dt><dd>")
        .append(o.lockouts().isEmpty() ? "none" : "<span class=\"bad\">" + text(String.join(", ", o.lockouts())) + "</span>")
        .append("</dd></dl>")
        .append("<form method=\"post\" action=\"/audit/verify\">").append(csrf(session))
        .append("<button type=\"submit\">Verify the audit log now</button></form>");
    return layout(session, "Overview", "/", flash, ok, b.toString());
  }

  private static void fact(StringBuilder b, String name, String value, boolean good) {
    b.append("<dt>").append(text(name)).append("</dt><dd class=\"").append(good ? "good" : "bad").append("\">")
        .append(text(value)).append("</dd>");
  }

  // ---- approvals ----------------------------------------------------------------------

  String approvals(OwnerSession session, List<Console.ApprovalItem> items, String flash, boolean ok) {
    boolean fresh = session.recentlyReauthenticated(clock.instant());
    StringBuilder b = new StringBuilder();
    if (items.isEmpty()) {
      b.append("<p>No request is waiting for you.</p>");
    }
    b.append("<ul class=\"cards\">");
    for (Console.ApprovalItem item : items) {
      var a = item.approval();
      String hid = "approval-" + text(a.id());
      b.append("<li class=\"card\" aria-labelledby=\"").append(hid).append("\" data-approval=\"").append(text(a.id()))
          .append("\"><h2 id=\"").append(hid).append("\">").append(text(a.agent())).append(" wants ")
          .append(text(a.action())).append("</h2><dl>")
          .append("<dt>Agent</dt><dd>").append(text(a.agent())).append("</dd>")
          .append("<dt>Action</dt><dd>").append(text(a.action())).append("</dd>")
          .append("<dt>Domain</dt><dd>").append(text(a.domain().wire())).append("</dd>")
          .append("<dt>Request</dt><dd><code class=\"wrap\">").append(text(a.summary())).append("</code></dd>")
          .append("<dt>Asked</dt><dd>").append(time(a.created())).append(" (").append(text(age(a.created())))
          .append(")</dd><dt>Expires</dt><dd>").append(time(a.expires())).append("</dd>")
          .append("<dt>Id</dt><dd><code>").append(text(a.id())).append("</code></dd></dl>");
      // a code-gated request needs an admin who proved a code within the last 5 minutes
      Role needed = item.needsCode() ? Role.ADMIN : Role.OPERATOR;
      if (item.needsCode()) {
        b.append("<p class=\"note\">The ").append(text(a.domain().wire()))
            .append(" domain needs a fresh code to approve (admin role).");
        if (session.role().atLeast(Role.ADMIN) && !fresh) {
          b.append(" <a href=\"/reauth?next=%2Fapprovals\">Confirm it is you</a> first.");
        }
        b.append("</p>");
      }
      if (session.role().atLeast(Role.OPERATOR)) {
        String rid = "reason-" + text(a.id());
        b.append("<div class=\"actions\">");
        if (session.role().atLeast(needed)) {
          b.append("<form method=\"post\" action=\"/approvals/approve\">").append(csrf(session))
              .append(hidden("id", a.id()))
              .append("<button type=\"submit\" class=\"approve\">Approve</button></form>");
        }
        b.append("<form method=\"post\" action=\"/approvals/deny\">").append(csrf(session))
            .append(hidden("id", a.id()))
            .append("<label for=\"").append(rid).append("\">Reason (optional)</label><input id=\"").append(rid)
            .append("\" name=\"reason\" maxlength=\"500\">")
            .append("<button type=\"submit\" class=\"deny\">Deny</button></form></div>");
      }
      b.append("</li>");
    }
    b.append("</ul>");
    return layout(session, "Approvals", "/approvals", flash, ok, b.toString());
  }

  // ---- pairing ------------------------------------------------------------------------

  String pairing(OwnerSession session, List<Console.PairingItem> items, String flash, boolean ok) {
    StringBuilder b = new StringBuilder();
    if (items.isEmpty()) {
      b.append("<p>No chat sender is waiting to be paired.</p>");
    }
    b.append("<ul class=\"cards\">");
    for (Console.PairingItem p : items) {
      String hid = "pairing-" + text(p.code());
      b.append("<li class=\"card\" aria-labelledby=\"").append(hid).append("\"><h2 id=\"").append(hid).append("\">")
          .append(text(p.senderName() == null || p.senderName().isBlank() ? p.sender() : p.senderName()))
          .append(" on ").append(text(p.channel())).append("</h2><dl>")
          .append("<dt>Sender</dt><dd><code>").append(text(p.sender())).append("</code></dd>")
          .append("<dt>Code</dt><dd><code>").append(text(p.code())).append("</code></dd>")
          .append("<dt>Asked</dt><dd>").append(time(p.created())).append(" (").append(text(age(p.created())))
          .append(")</dd><dt>Expires</dt><dd>").append(time(p.expires())).append("</dd></dl>")
          .append("<div class=\"actions\"><form method=\"post\" action=\"/pairing/approve\">").append(csrf(session))
          .append(hidden("code", p.code())).append("<button type=\"submit\" class=\"approve\">Approve</button></form>")
          .append("<form method=\"post\" action=\"/pairing/deny\">").append(csrf(session))
          .append(hidden("code", p.code())).append("<button type=\"submit\" class=\"deny\">Deny</button></form></div>")
          .append("</li>");
    }
    b.append("</ul>");
    return layout(session, "Pairing", "/pairing", flash, ok, b.toString());
  }

  // ---- audit --------------------------------------------------------------------------

  String audit(OwnerSession session, List<AuditRecord> entries, String type, String actor) {
    StringBuilder b = new StringBuilder("<form class=\"filters\" method=\"get\" action=\"/audit\">"
        + "<label for=\"f-type\">Type</label><input id=\"f-type\" name=\"type\" value=\"" + text(type) + "\""
        + " placeholder=\"approval.approve\">"
        + "<label for=\"f-actor\">Actor</label><input id=\"f-actor\" name=\"actor\" value=\"" + text(actor) + "\""
        + " placeholder=\"owner:alice\">"
        + "<button type=\"submit\">Filter</button></form>");
    if (entries.isEmpty()) {
      b.append("<p>No entry matches.</p>");
    } else {
      b.append("<div class=\"scroll\"><table><caption>Newest first</caption><thead><tr><th scope=\"col\">#</th>"
          + "<th scope=\"col\">Time</th><th scope=\"col\">Type</th><th scope=\"col\">Actor</th>"
          + "<th scope=\"col\">Target</th><th scope=\"col\">Outcome</th></tr></thead><tbody>");
      for (AuditRecord r : entries) {
        b.append("<tr><td><a href=\"/audit/entry?seq=").append(r.seq()).append("\" aria-label=\"Entry ")
            .append(r.seq()).append("\">").append(r.seq()).append("</a></td><td>").append(time(r.time()))
            .append("</td><td>").append(text(r.type())).append("</td><td>").append(text(r.actor()))
            .append("</td><td>").append(text(r.target())).append("</td><td>").append(text(r.outcome()))
            .append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    return layout(session, "Audit", "/audit", null, true, b.toString());
  }

  /**
   * One entry, and the place where the page's script checks its inclusion proof: the script
   * fetches {@code data-evidence} (same origin) and verifies it with proof.js; the server
   * renders no verdict of its own.
   */
  String auditEntry(OwnerSession session, AuditRecord r) {
    StringBuilder b = new StringBuilder("<dl class=\"facts\">");
    b.append("<dt>Sequence</dt><dd>").append(r.seq()).append("</dd>")
        .append("<dt>Time</dt><dd>").append(time(r.time())).append("</dd>")
        .append("<dt>Type</dt><dd>").append(text(r.type())).append("</dd>")
        .append("<dt>Actor</dt><dd>").append(text(r.actor())).append("</dd>")
        .append("<dt>Target</dt><dd>").append(text(r.target())).append("</dd>")
        .append("<dt>Outcome</dt><dd>").append(text(r.outcome())).append("</dd>");
    for (Map.Entry<String, String> d : r.details().entrySet()) {
      b.append("<dt>").append(text(d.getKey())).append("</dt><dd><code class=\"wrap\">").append(text(d.getValue()))
          .append("</code></dd>");
    }
    b.append("<dt>Entry hash</dt><dd><code class=\"wrap\">").append(text(r.hash())).append("</code></dd></dl>")
        .append("<section class=\"proof\" aria-labelledby=\"proof-h\"><h2 id=\"proof-h\">Inclusion proof</h2>")
        .append("<p id=\"proof-status\" class=\"pending\" role=\"status\" aria-live=\"polite\" data-evidence=\"")
        .append("/audit/evidence?seq=").append(r.seq()).append("\" data-seq=\"").append(r.seq())
        .append("\">Checking in this browser…</p>")
        .append("<dl class=\"facts\"><dt>Checkpoint size</dt><dd id=\"proof-size\">–</dd>")
        .append("<dt>Checkpoint root</dt><dd><code id=\"proof-root\" class=\"wrap\">–</code></dd>")
        .append("<dt>Signed by key</dt><dd><code id=\"proof-key\" class=\"wrap\">–</code></dd></dl>")
        .append("<p class=\"note\">This page's script recomputes the RFC 6962 inclusion proof of this entry and"
            + " checks it against the latest signed checkpoint and its signature; the server gives the evidence, not"
            + " the verdict. The key is the log's own: compare it with <code>audit/signing-key.pub</code> in the"
            + " home.</p>")
        .append("</section><p><a href=\"/audit\">Back to the audit log</a></p>");
    return layout(session, "Audit entry " + r.seq(), "/audit", null, true, b.toString());
  }

  // ---- trust --------------------------------------------------------------------------

  static final List<String> LEVELS = List.of("none", "inform", "suggest", "act-and-report", "full");

  String trust(OwnerSession session, List<Console.TrustItem> items, List<Console.TrustChange> history,
      boolean reauthFresh, String flash, boolean ok) {
    boolean may = session.role().atLeast(Role.ADMIN);
    StringBuilder b = new StringBuilder();
    if (may && !reauthFresh) {
      b.append("<p class=\"note\">Raising a level or rolling back a change needs a fresh code:"
          + " <a href=\"/reauth?next=%2Ftrust\">confirm it is you</a> first.</p>");
    }
    b.append("<div class=\"scroll\"><table><caption>Levels per domain</caption><thead><tr>"
        + "<th scope=\"col\">Domain</th><th scope=\"col\">Level</th><th scope=\"col\">Changed</th>")
        .append(may ? "<th scope=\"col\">Change</th>" : "").append("</tr></thead><tbody>");
    for (Console.TrustItem t : items) {
      String sid = "level-" + text(t.domain());
      String rid = "why-" + text(t.domain());
      b.append("<tr><th scope=\"row\">").append(text(t.domain())).append("</th><td>").append(t.level()).append(' ')
          .append(text(t.levelName())).append("</td><td>").append(t.changed().map(this::time).orElse("")).append("</td>");
      if (may) {
        b.append("<td><form class=\"inline\" method=\"post\" action=\"/trust/set\">").append(csrf(session))
            .append(hidden("domain", t.domain()))
            .append("<label class=\"sr\" for=\"").append(sid).append("\">Level for ").append(text(t.domain()))
            .append("</label><select id=\"").append(sid).append("\" name=\"level\">");
        for (int i = 0; i < LEVELS.size(); i++) {
          b.append("<option value=\"").append(i).append('"').append(i == t.level() ? " selected" : "").append('>')
              .append(i).append(' ').append(text(LEVELS.get(i))).append("</option>");
        }
        b.append("</select><label class=\"sr\" for=\"").append(rid).append("\">Reason for ").append(text(t.domain()))
            .append("</label><input id=\"").append(rid).append("\" name=\"reason\" required maxlength=\"200\""
                + " placeholder=\"reason\">")
            .append("<button type=\"submit\" aria-label=\"Set level of ").append(text(t.domain()))
            .append("\">Set</button></form></td>");
      }
      b.append("</tr>");
    }
    b.append("</tbody></table></div><h2>History</h2>");
    if (history.isEmpty()) {
      b.append("<p>No change yet.</p>");
    } else {
      b.append("<div class=\"scroll\"><table><caption>Newest first</caption><thead><tr><th scope=\"col\">#</th>"
          + "<th scope=\"col\">Time</th><th scope=\"col\">Domain</th><th scope=\"col\">From</th>"
          + "<th scope=\"col\">To</th><th scope=\"col\">Who</th><th scope=\"col\">Reason</th>")
          .append(may && reauthFresh ? "<th scope=\"col\">Undo</th>" : "").append("</tr></thead><tbody>");
      for (Console.TrustChange c : history) {
        b.append("<tr><td>").append(c.id()).append("</td><td>").append(time(c.time())).append("</td><td>")
            .append(text(c.domain())).append("</td><td>").append(text(c.from())).append("</td><td>")
            .append(text(c.to())).append("</td><td>").append(text(c.who())).append("</td><td>")
            .append(text(c.reason())).append("</td>");
        if (may && reauthFresh) { // a rollback is sensitive: without a fresh code the gate refuses it
          b.append("<td><form method=\"post\" action=\"/trust/rollback\">").append(csrf(session))
              .append(hidden("id", c.id())).append("<button type=\"submit\" aria-label=\"Roll back change ")
              .append(c.id()).append("\">Roll back</button></form></td>");
        }
        b.append("</tr>");
      }
      b.append("</tbody></table></div>");
    }
    return layout(session, "Trust", "/trust", flash, ok, b.toString());
  }

  // ---- agents, services, vault --------------------------------------------------------

  String agents(OwnerSession session, List<Console.AgentItem> agents) {
    StringBuilder b = new StringBuilder();
    if (agents.isEmpty()) {
      b.append("<p>No agent yet: <code>gatehouse agent add NAME</code>.</p>");
    } else {
      b.append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Agent</th><th scope=\"col\">Allowed"
          + " actions</th><th scope=\"col\">Added</th></tr></thead><tbody>");
      for (Console.AgentItem a : agents) {
        b.append("<tr><th scope=\"row\">").append(text(a.name())).append("</th><td>")
            .append(a.actions().isEmpty() ? "none" : text(String.join(", ", a.actions()))).append("</td><td>")
            .append(a.created().map(this::time).orElse("")).append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    return layout(session, "Agents", "/agents", null, true, b.toString());
  }

  String services(OwnerSession session, List<Console.ServiceItem> services) {
    StringBuilder b = new StringBuilder();
    if (services.isEmpty()) {
      b.append("<p>No service in the catalog yet.</p>");
    } else {
      b.append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Upstream</th>"
          + "<th scope=\"col\">Actions</th></tr></thead><tbody>");
      for (Console.ServiceItem s : services) {
        b.append("<tr><th scope=\"row\">").append(text(s.name())).append("</th><td><code class=\"wrap\">")
            .append(text(s.baseUrl())).append("</code></td><td>").append(text(String.join(", ", s.actions())))
            .append("</td></tr>");
      }
      b.append("</tbody></table></div>");
    }
    return layout(session, "Services", "/services", null, true, b.toString());
  }

  String vault(OwnerSession session, List<String> names) {
    StringBuilder b = new StringBuilder("<p>Entry names only: a value never leaves the vault through any page.</p>");
    if (names.isEmpty()) {
      b.append("<p>The vault holds no entry yet.</p>");
    } else {
      b.append("<ul class=\"names\">");
      for (String n : names) {
        b.append("<li><code>").append(text(n)).append("</code></li>");
      }
      b.append("</ul>");
    }
    return layout(session, "Vault", "/vault", null, true, b.toString());
  }

  /** A page for an error the owner can act on (not found, refused), inside the layout. */
  String message(OwnerSession session, String title, String message) {
    return layout(session, title, "", null, true, "<p>" + text(message) + "</p><p><a href=\"/\">Overview</a></p>");
  }

  static Optional<String> levelName(int level) {
    return level >= 0 && level < LEVELS.size() ? Optional.of(LEVELS.get(level)) : Optional.empty();
  }
}
