package dev.gatehouse.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.owner.OwnerAccounts;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerOperations;
import dev.gatehouse.owner.OwnerUsers;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.BrowserLibrary;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.Processes;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner's first approval, end to end in headless chromium over a real daemon on loopback:
 * a real home, an owner account with its own TOTP key, an agent whose two calls in a
 * {@code suggest} domain wait (202); the browser signs in with the password and a code this
 * test computed, approves one request by its {@code Approve} button, finds the approval in the
 * audit log and sees its inclusion proof verified by the page's script against the signed
 * checkpoint, and denies the other by its {@code Deny} button. The stores then say what the
 * browser did, by {@code owner:alice}.
 *
 * <p>With {@code -Dgatehouse.screenshots=DIR} it photographs every page into DIR (as
 * docs/screenshots was made); otherwise it writes nothing outside its temporary folder.
 */
class DashboardOwnerFlowTest {
  static final String USER = "alice";
  static final String PASSWORD = "a long owner passphrase";

  @TempDir
  Path tmp;

  @Test
  void ownerSignsIn_approvesOne_seesItsProofVerifiedInThePage_deniesTheOther() throws Exception {
    BrowserLibrary.install();
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Path homeDir = TestHome.create(tmp);
    try (Gatehouse g = TestHome.open(homeDir, clock)) {
      g.vaultService().add("downloads.token", "dl-token-7f3a".getBytes(java.nio.charset.StandardCharsets.UTF_8), false,
          "cli:test");
      writeService(homeDir);
      var catalog = new AtomicReference<>(g.loadCatalog());
      Agent agent = g.agents().add("media-bot", List.of("downloads.*"), "cli:test");
      TestHome.fullTrust(g);
      g.trust().set(Domain.FILES, Level.SUGGEST, "cli:test", "ask me before anything is downloaded");

      OwnerAccounts accounts = g.ownerAccounts();
      accounts.add(USER, Role.OWNER, PASSWORD.toCharArray(), "cli:test");
      byte[] totpKey = accounts.beginTotp(USER, "cli:test").secret();
      accounts.confirmTotp(USER, Hotp.totp(totpKey, clock.instant(), TotpParameters.DEFAULT), "cli:test");
      clock.advance(Duration.ofSeconds(30)); // the enrollment spent this step's code

      OwnerOperations ops = g.ownerOperations(catalog, OwnerUsers.NONE);
      ops.verifyAudit();
      var approvals = g.trustParts().approvals();
      OwnerGate gate = new OwnerGate(accounts, clock, false);
      Dashboard dashboard = Dashboard.over(ops, gate, clock);
      List<Daemon.Route> routes = Daemon.table(g.broker(catalog, new GuardedUpstream(new EgressGuard(
          HostResolver.system()))), null, null, () -> new Daemon.Health(false, true, true, 1, 1),
          new Daemon.OwnerPlane(gate, new OwnerApi(accounts, ops, clock),
              dashboard.pages(), dashboard.open()));

      try (Daemon daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, routes)) {
        String toApprove = pending(daemon, agent, clock, "magnet:dune");
        String toDeny = pending(daemon, agent, clock, "magnet:arrakis");

        JsonNode out = drive("http://127.0.0.1:" + daemon.port(), toApprove, toDeny,
            Hotp.totp(totpKey, clock.instant(), TotpParameters.DEFAULT));

        assertThat(out.path("error").asText(null)).as("script error").isNull();
        assertThat(out.path("problems")).as("console errors, failed subresources, CSP violations").isEmpty();
        assertThat(out.path("afterLogin").asText()).isEqualTo("/approvals");
        assertThat(out.path("verifyNow").asText()).startsWith("The audit log was verified just now");
        assertThat(out.path("auditState").asText()).isEqualTo("intact");
        JsonNode proof = out.path("proof");
        assertThat(proof.path("result").asText()).as(proof.toString()).isEqualTo("verified");
        assertThat(proof.path("type").asText()).isEqualTo("approval.approve");
        assertThat(proof.path("actor").asText()).isEqualTo("owner:" + USER);
        long seq = Long.parseLong(proof.path("entry").asText().replace("Audit entry ", ""));
        assertThat(Long.parseLong(proof.path("size").asText())).isGreaterThan(seq);
        assertThat(proof.path("root").asText()).matches("[A-Za-z0-9+/]{43}=");
        assertThat(out.path("phoneOverflow").asBoolean()).as("overview wider than a phone").isFalse();
        assertThat(out.path("afterLogout").asText()).isEqualTo("/login");
        assertThat(out.path("keyboard").asBoolean()).as("signed in with Tab, typing and Enter").isTrue();

        assertThat(approvals.find(toApprove).orElseThrow().status()).isEqualTo(ActionApprovals.Status.APPROVED);
        assertThat(approvals.find(toDeny).orElseThrow().status()).isEqualTo(ActionApprovals.Status.DENIED);
        assertThat(ops.audit(new OwnerOperations.AuditFilter("approval.approve", "owner:" + USER, null, 10)))
            .singleElement().satisfies(r -> assertThat(r.details()).containsValue(toApprove));
        assertThat(ops.audit(new OwnerOperations.AuditFilter("approval.deny", "owner:" + USER, null, 10)))
            .singleElement().satisfies(r -> assertThat(r.details()).containsValue(toDeny));
        String audit = AgentCalls.auditText(homeDir);
        assertThat(audit).doesNotContain(PASSWORD);
      }
    }
  }

  /** One signed agent call in the suggest domain: 202 and the approval it waits for. */
  private static String pending(Daemon daemon, Agent agent, MutableClock clock, String url) throws Exception {
    HttpResponse<String> r = AgentCalls.call(daemon.port(), "downloads.add", "{\"url\":\"" + url + "\"}",
        agent.keyId(), agent.key(), clock.instant());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode json = new ObjectMapper().readTree(r.body());
    assertThat(json.path("status").asText()).isEqualTo("pending");
    return json.path("approval").asText();
  }

  private JsonNode drive(String base, String approve, String deny, String code) throws Exception {
    Path input = tmp.resolve("browser-input.json");
    Files.createFile(input, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    String shots = System.getProperty("gatehouse.screenshots");
    new ObjectMapper().writeValue(input.toFile(), Map.of("base", base, "user", USER, "password", PASSWORD, "codes",
        List.of(code), "approve", approve, "deny", deny, "chromium", BrowserLibrary.CHROMIUM, "screenshots",
        shots == null ? "" : Path.of(shots).toAbsolutePath().toString()));
    Processes.Output r = BrowserLibrary.run("dashboard-flow.mjs", input, Duration.ofMinutes(3));
    assertThat(r.exit()).as("node exit; stderr: %s", r.err()).isZero();
    return new ObjectMapper().readTree(r.out().lines().reduce((a, b) -> b).orElse("{}"));
  }

  /** A downloader whose add action is in the files domain (README "Decide how much your agent may do alone"). */
  private static void writeService(Path home) throws Exception {
    Path dir = home.resolve(Catalog.DIR);
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path f = dir.resolve("downloads.yaml");
    Files.writeString(f, """
        service: downloads
        base_url: http://127.0.0.1:9
        allow_private: ["127.0.0.1/32"]
        auth: { type: bearer, secret: downloads.token }
        actions:
          add: { method: POST, path: /add, params: { url: string }, domain: files }
        """);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }
}
