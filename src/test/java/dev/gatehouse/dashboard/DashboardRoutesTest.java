package dev.gatehouse.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.broker.Broker;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.owner.OwnerAuth;
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
import org.junit.jupiter.api.Test;

/**
 * Every dashboard route behind the real owner gate, with no session and with every role (and,
 * for a sensitive route, with and without a recent re-auth): the gate's decision is exactly
 * what the route declares, and the open routes answer anyone.
 */
class DashboardRoutesTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));

  @Test
  void everyPageRoute_isDecidedByItsDeclaration_forEveryRoleAndNoSession() {
    int checked = 0;
    for (Role role : Role.values()) {
      for (boolean fresh : List.of(true, false)) {
        var auth = new FakeOwnerPlane.Auth(clock, role);
        var console = new FakeOwnerPlane.FakeConsole(clock);
        console.add("ID1", "bot", "a.b", Domain.WEB, "x");
        Dashboard dashboard = new Dashboard(console, auth, clock, new SecureRandom(), false);
        List<Daemon.Route> routes = FakeOwnerPlane.routes(dashboard, auth, clock);
        assertThat(routes).filteredOn(r -> r.access() instanceof Daemon.Access.Owner).hasSize(dashboard.pages().size());
        for (Daemon.Route r : routes) {
          if (!(r.access() instanceof Daemon.Access.Owner owner)) {
            assertThat(r.access()).isEqualTo(Daemon.Access.BROWSER);
            continue;
          }
          // a session of its own for each route (a logout ends one), signed in at 10:00
          clock.set(Instant.parse("2026-12-01T10:00:00Z"));
          OwnerAuth.LoginResult.Granted g = (OwnerAuth.LoginResult.Granted) auth.login(FakeOwnerPlane.USER,
              FakeOwnerPlane.PASSWORD.toCharArray(), FakeOwnerPlane.CODE, "127.0.0.1");
          if (!fresh) {
            clock.advance(Duration.ofMinutes(6));
          }
          String cookie = "gh_access=" + g.tokens().accessToken();
          String csrf = g.tokens().session().csrfToken();
          assertThat(owner.page()).as(r.path()).isTrue();
          String body = "csrf=" + csrf + "&id=ID1&seq=0&code=ABCDEFGH&domain=web&level=1&reason=r";
          Broker.Answer none = r.handler().apply(call(r, null, body));
          assertThat(none.status()).as("no session: " + r.method() + " " + r.path()).isEqualTo(303);
          assertThat(none.headers().get("Location")).startsWith("/login?next=");
          if (r.method().equals("POST")) { // before the real one: a logout ends the session
            Broker.Answer forged = r.handler().apply(call(r, cookie, body.replace(csrf, "forged")));
            assertThat(forged.status()).as("forged CSRF: " + role + " " + r.path()).isEqualTo(403);
          }
          Broker.Answer a = r.handler().apply(call(r, cookie, body));
          String what = role + (fresh ? " fresh " : " stale ") + r.method() + " " + r.path() + " -> " + a.status();
          if (!role.atLeast(owner.role()) || owner.sensitive() && !fresh) {
            assertThat(a.status()).as(what).isEqualTo(403);
          } else {
            // through the gate: the page's own answer, never the gate's refusal or its trip to the login page
            assertThat(a.status()).as(what).isNotEqualTo(403).isLessThan(500);
            assertThat(a.headers().getOrDefault("Location", "")).as(what).doesNotStartWith("/login?next=");
          }
          checked++;
        }
      }
    }
    assertThat(checked).isEqualTo(Role.values().length * 2 * new Dashboard(new FakeOwnerPlane.FakeConsole(clock),
        new FakeOwnerPlane.Auth(clock, Role.OWNER), clock, new SecureRandom(), false).pages().size());
  }

  private static Broker.Call call(Daemon.Route r, String cookie, String body) {
    Map<String, String> h = new TreeMap<>();
    if (cookie != null) {
      h.put("cookie", cookie);
    }
    boolean post = r.method().equals("POST");
    if (post) {
      h.put("content-type", "application/x-www-form-urlencoded");
    }
    String path = r.path();
    return new Broker.Call(r.method(), "127.0.0.1", path, post ? null : "seq=0", h,
        post ? body.getBytes(StandardCharsets.UTF_8) : new byte[0], "127.0.0.1");
  }
}
