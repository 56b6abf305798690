package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.http.DaemonHarness.Sent;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.trust.ActionApprovalsStore;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The broker's answer per trust level (DESIGN §10) and the binding of an approval to one
 * request, over a real daemon, home, state.db and upstream on loopback.
 */
class TrustDecisionDaemonTest {
  static final String CANARY = "sk-CANARY-trust-51c0ffee";

  @TempDir
  Path tmp;
  DaemonHarness h;
  final List<Notification> told = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness(tmp, r -> Upstreams.Reply.json("{\"ok\":true}"));
    h.vaultAdd("svc.key", CANARY);
    h.writeService("svc", "service: svc\n"
        + "base_url: " + h.upstream.url() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: query, param: apikey, secret: svc.key }\n"
        + "actions:\n"
        + "  add: { method: POST, path: /add, params: { url: string, n: \"integer?\" }, domain: files }\n"
        + "  get: { method: GET, path: \"/items/{id}\", domain: files }\n");
    h.g.notifyThrough(told::add);
    h.start("svc.*");
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  void level(Level l) throws Exception {
    h.g.trust().set(Domain.FILES, l, "cli:owner", "test: files at " + l.wire());
  }

  ActionApprovalsStore approvals() throws Exception {
    return h.g.approvals(h.g.trust(), told::add);
  }

  /** A retry under {@code approval}: the header sent, and covered by the signature unless {@code covered} is false. */
  Sent retry(String action, String body, String approval, boolean covered) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + h.port() + "/v1/actions/" + action);
    Map<String, String> signed = MessageSignatures.sign("POST", uri, body.getBytes(StandardCharsets.UTF_8),
        h.agent().keyId(), h.agent().key(), h.clock.instant().getEpochSecond(), AgentCalls.nonce(),
        covered ? Map.of("gatehouse-approval", approval) : Map.of());
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body));
    signed.forEach(req::header);
    if (!covered) {
      req.header("Gatehouse-Approval", approval);
    }
    HttpResponse<String> r = h.http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    return new Sent(r.statusCode(), r.headers().map(), r.body());
  }

  @Test
  void level0_none_is403TrustNone_andNothingRuns() throws Exception {
    level(Level.NONE);
    Sent s = h.call("svc.add", "{\"url\":\"magnet:x\"}");
    assertThat(s.status()).isEqualTo(403);
    assertThat(s.problemType()).isEqualTo("trust-none");
    assertThat(s.json().path("detail").asText()).contains("gatehouse trust set files");
    assertThat(h.upstream.received).isEmpty();
  }

  @Test
  void level1_inform_is403TrustInform_withWhatWouldHaveRun_noCredential() throws Exception {
    level(Level.INFORM);
    Sent s = h.call("svc.get", "{\"id\":\"42\"}");
    assertThat(s.status()).isEqualTo(403);
    assertThat(s.problemType()).isEqualTo("trust-inform");
    JsonNode would = s.json().path("would");
    assertThat(would.path("service").asText()).isEqualTo("svc");
    assertThat(would.path("action").asText()).isEqualTo("svc.get");
    assertThat(would.path("method").asText()).isEqualTo("GET");
    assertThat(would.path("url").asText()).isEqualTo(h.upstream.url() + "/items/42");
    assertThat(s.body()).doesNotContain(CANARY).doesNotContain("apikey");
    assertThat(h.upstream.received).isEmpty();
  }

  @Test
  void level2_suggest_is202_theOwnerApproves_andTheRetryRunsOnce() throws Exception {
    level(Level.SUGGEST);
    String body = "{\"url\":\"magnet:x\",\"n\":1}";
    Sent pending = h.call("svc.add", body);
    assertThat(pending.status()).isEqualTo(202);
    String id = pending.json().path("approval").asText();
    assertThat(pending.json().path("status").asText()).isEqualTo("pending");
    assertThat(pending.headers().get("location")).containsExactly("/v1/approvals/" + id);
    assertThat(h.call("svc.add", body).json().path("approval").asText()).as("the same request, the same approval")
        .isEqualTo(id);
    assertThat(h.upstream.received).isEmpty();
    assertThat(told).extracting(Notification::event).contains("approval.pending");

    Sent early = retry("svc.add", body, id, true);
    assertThat(early.status()).isEqualTo(403);
    assertThat(early.json().path("detail").asText()).contains("pending");

    approvals().approve(id, null, "cli:owner");
    Sent other = retry("svc.add", "{\"url\":\"magnet:evil\",\"n\":1}", id, true);
    assertThat(other.status()).as("other parameters under the same id").isEqualTo(403);
    assertThat(other.json().path("detail").asText()).contains("other-request");
    Sent unsigned = retry("svc.add", body, id, false);
    assertThat(unsigned.status()).as("the header not covered by the signature").isEqualTo(400);
    assertThat(unsigned.problemType()).isEqualTo("approval-unsigned");
    assertThat(h.upstream.received).isEmpty();

    Sent ran = retry("svc.add", "{\"n\":1,\"url\":\"magnet:x\"}", id, true); // the same parameters, another order
    assertThat(ran.status()).isEqualTo(200);
    assertThat(h.upstream.received).hasSize(1);
    Sent again = retry("svc.add", body, id, true);
    assertThat(again.status()).isEqualTo(403);
    assertThat(again.json().path("detail").asText()).contains("used");
    assertThat(h.upstream.received).as("it ran once").hasSize(1);
  }

  @Test
  void level2_anExpiredOrDeniedApproval_neverRuns() throws Exception {
    level(Level.SUGGEST);
    String expired = h.call("svc.add", "{\"url\":\"a\"}").json().path("approval").asText();
    String denied = h.call("svc.add", "{\"url\":\"b\"}").json().path("approval").asText();
    approvals().approve(expired, null, "cli:owner");
    approvals().deny(denied, "cli:owner", "no");
    h.clock.advance(Duration.ofMinutes(15));

    assertThat(retry("svc.add", "{\"url\":\"a\"}", expired, true).json().path("detail").asText()).contains("expired");
    assertThat(retry("svc.add", "{\"url\":\"b\"}", denied, true).json().path("detail").asText()).contains("denied");
    assertThat(h.upstream.received).isEmpty();
  }

  @Test
  void level3_actAndReport_runs_andTheOwnerIsTold() throws Exception {
    level(Level.ACT_AND_REPORT);
    Sent s = h.call("svc.add", "{\"url\":\"magnet:x\"}");
    assertThat(s.status()).isEqualTo(200);
    assertThat(h.upstream.received).hasSize(1);
    assertThat(told).filteredOn(n -> n.event().equals("action.reported")).singleElement()
        .satisfies(n -> assertThat(n.fields()).containsEntry("action", "svc.add").containsEntry("status", "200"));
    assertThat(told.toString()).doesNotContain(CANARY);
  }

  @Test
  void level4_full_runs_andNobodyIsTold() throws Exception {
    level(Level.FULL);
    assertThat(h.call("svc.add", "{\"url\":\"magnet:x\"}").status()).isEqualTo(200);
    assertThat(told).extracting(Notification::event).doesNotContain("action.reported");
  }

  @ParameterizedTest
  @EnumSource(Level.class)
  void everyLevel_isAudited(Level l) throws Exception {
    level(l);
    Sent s = h.call("svc.get", "{\"id\":\"1\"}");
    assertThat(s.headers()).containsKey("gatehouse-audit-seq");
    h.g.close();
    String log = AgentCalls.auditText(h.home);
    String outcome = switch (l) {
      case NONE -> "\"denied\"";
      case INFORM -> "\"described\"";
      case SUGGEST -> "\"pending\"";
      default -> "\"allowed\"";
    };
    assertThat(log).contains(outcome);
    h.g = dev.gatehouse.testing.TestHome.open(h.home, h.clock);
  }

  @Test
  void threePolicyRefusalsInTenMinutes_lowerTheDomainOneLevel() throws Exception {
    level(Level.FULL);
    for (int i = 0; i < 3; i++) {
      assertThat(h.call("svc.get", "{\"id\":\"a/../b\"}").status()).isIn(400, 403);
    }
    assertThat(h.g.trust().level(Domain.FILES)).isEqualTo(Level.ACT_AND_REPORT);
    assertThat(told).extracting(Notification::event).contains("trust.changed");
  }
}
