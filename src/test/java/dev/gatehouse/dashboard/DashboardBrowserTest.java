package dev.gatehouse.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.BrowserLibrary;
import dev.gatehouse.testing.Processes;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Domain;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's pages in headless chromium, over a stand-in owner plane
 * ({@link FakeOwnerPlane}): sign in by the fields' accessible names, approve and deny by the
 * buttons' names, every page without a console error or CSP violation, usable at phone width.
 * The same script drives the real daemon in {@code DashboardBrowserIT}.
 */
class DashboardBrowserTest {
  @TempDir
  Path tmp;

  @Test
  void ownerFlow_inChromium_approvesDeniesAndShowsEveryPageWithoutErrors() throws Exception {
    BrowserLibrary.install();
    Clock clock = Clock.systemUTC();
    var auth = new FakeOwnerPlane.Auth(clock, Role.OWNER);
    var console = new FakeOwnerPlane.FakeConsole(clock);
    console.add("APPROVEME", "claude", "jackett.search", Domain.WEB, "GET http://127.0.0.1:9117/api?q=<script>x</script>");
    console.add("DENYME", "claude", "qbit.api", Domain.INTEGRATIONS, "POST http://127.0.0.1:8080/api/v2/torrents/add");
    console.agentName = "<img src=x onerror=alert(1)>";
    Dashboard dashboard = new Dashboard(console, auth, clock, new SecureRandom(), false);
    List<Daemon.Route> routes = FakeOwnerPlane.routes(dashboard, auth, clock);

    try (Daemon daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 1 << 20, routes)) {
      JsonNode out = drive("http://127.0.0.1:" + daemon.port(), List.of("000000", FakeOwnerPlane.CODE));

      assertThat(out.path("error").asText(null)).as("script error").isNull();
      List<String> problems = new ArrayList<>();
      out.path("problems").forEach(p -> problems.add(p.asText()));
      if (Dashboard.class.getResource("proof.js") == null) { // the verifier is part E's; absent, the page says NOT verified
        problems.remove("script /static/proof.js: HTTP 404");
      }
      assertThat(problems).as("console errors, failed subresources and CSP violations").isEmpty();
      assertThat(out.path("loginUrl").asText()).isEqualTo("/login?next=%2Fapprovals");
      assertThat(out.path("afterLogin").asText()).isEqualTo("/approvals");
      assertThat(console.verified).isEqualTo(1);
      assertThat(out.path("afterApprove").asText()).startsWith("Approved");
      assertThat(out.path("afterDeny").asText()).startsWith("Denied");
      assertThat(out.path("remainingApprove").asInt()).isZero();
      assertThat(console.approvals.get("APPROVEME").status()).isEqualTo(ActionApprovals.Status.APPROVED);
      assertThat(console.approvals.get("DENYME").status()).isEqualTo(ActionApprovals.Status.DENIED);
      assertThat(out.path("proof").path("actor").asText()).isEqualTo("owner:alice");
      assertThat(out.path("proof").path("type").asText()).isEqualTo("approval.approve");
      // this console's evidence is empty: whatever the verifier, the page must not call it verified
      assertThat(out.path("proof").path("result").asText()).isEqualTo("not-verified");
      assertThat(out.path("proof").path("text").asText()).startsWith("NOT verified");
      assertThat(out.path("phoneOverflow").asBoolean()).as("overview wider than a phone").isFalse();
      assertThat(out.path("afterLogout").asText()).isEqualTo("/login");
      assertThat(out.path("keyboard").asBoolean()).as("signed in with Tab, typing and Enter").isTrue();
      // the probe: an inline script added to a page is refused, and the refusal is reported
      assertThat(out.path("inlineRan").asBoolean()).isFalse();
      assertThat(out.path("cspProbe").toString()).contains("Content Security Policy");
      assertThat(auth.attempts).hasSize(2);
    }
  }

  private JsonNode drive(String base, List<String> codes) throws Exception {
    Path input = tmp.resolve("browser-input.json");
    Files.createFile(input, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    new ObjectMapper().writeValue(input.toFile(), Map.of("base", base, "user", FakeOwnerPlane.USER, "password",
        FakeOwnerPlane.PASSWORD, "codes", codes, "approve", "APPROVEME", "deny", "DENYME", "chromium",
        BrowserLibrary.CHROMIUM, "screenshots", "", "cspProbe", true));
    Processes.Output r = BrowserLibrary.run("dashboard-flow.mjs", input, Duration.ofMinutes(3));
    assertThat(r.exit()).as("node exit; stderr: %s", r.err()).isZero();
    return new ObjectMapper().readTree(r.out().lines().reduce((a, b) -> b).orElse("{}"));
  }
}
