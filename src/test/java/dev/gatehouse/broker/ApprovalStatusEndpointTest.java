package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.Sha256;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.ActionApprovalsStore;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.Trust;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/approvals/ID} over a real daemon on loopback, signed as an agent signs it. */
class ApprovalStatusEndpointTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Trust NO_TRUST = new Trust() {
    @Override
    public Level level(Domain domain) {
      return Level.SUGGEST;
    }

    @Override
    public void evidence(Domain domain, String agent, String kind) {}
  };

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Gatehouse g;
  private Daemon daemon;
  private Agent bot;
  private Agent other;
  private Agent channel;
  private ActionApprovalsStore store;

  @BeforeEach
  void start() throws Exception {
    g = TestHome.open(TestHome.create(temp), clock);
    bot = g.agents().add("bot", List.of("*"), "test");
    other = g.agents().add("other", List.of("*"), "test");
    channel = g.channels().add("tg", List.of(), "test");
    store = g.approvals(NO_TRUST, Notifier.NONE);
    ApprovalStatusEndpoint endpoint = new ApprovalStatusEndpoint(g.authenticator(), store, g.audit());
    var broker = g.broker(new AtomicReference<>(g.loadCatalog()),
        new GuardedUpstream(new EgressGuard(HostResolver.system())));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, List.of(
        new Daemon.Route("GET", ApprovalStatusEndpoint.PREFIX + "*", new Daemon.Access.Signed(Principal.Kind.AGENT), endpoint::handle),
        new Daemon.Route("POST", "/v1/actions/*", new Daemon.Access.Signed(Principal.Kind.AGENT), broker::handle)));
  }

  @AfterEach
  void stop() {
    daemon.close();
    g.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + daemon.port() + path);
  }

  /** A GET signed as docs/signing.md says for a request without a body. */
  private HttpResponse<String> get(String id, Agent key) throws Exception {
    return send(HttpRequest.newBuilder(uri(ApprovalStatusEndpoint.PREFIX + id)).GET(),
        MessageSignatures.signWithoutBody("GET", uri(ApprovalStatusEndpoint.PREFIX + id), key.keyId(), key.key(),
            clock.instant().getEpochSecond(), AgentCalls.nonce()));
  }

  private static HttpResponse<String> send(HttpRequest.Builder b, Map<String, String> headers) throws Exception {
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Approval open(String agent, String request) {
    return store.open(agent, "mail.send", Domain.EMAIL, Sha256.hex(request.getBytes(StandardCharsets.UTF_8)), "x");
  }

  private static String problem(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("type").asText().replace("https://gatehouse.dev/problems/", "");
  }

  private JsonNode status(Approval a) throws Exception {
    HttpResponse<String> r = get(a.id(), bot);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode n = JSON.readTree(r.body());
    assertThat(n.size()).as("approval, status, expires and nothing else").isEqualTo(3);
    assertThat(n.path("approval").asText()).isEqualTo(a.id());
    assertThat(n.path("expires").asText()).isEqualTo(a.expires().toString());
    return n;
  }

  @Test
  void get_ownApproval_answersEveryStatusOfItsLife() throws Exception {
    Approval a = open("bot", "r1");
    assertThat(status(a).path("status").asText()).isEqualTo("pending");
    store.approve(a.id(), null, "cli:owner");
    assertThat(status(a).path("status").asText()).isEqualTo("approved");
    store.redeem(a.id(), "bot", a.requestSha256());
    assertThat(status(a).path("status").asText()).isEqualTo("used");

    Approval d = open("bot", "r2");
    store.deny(d.id(), "cli:owner", null);
    assertThat(status(d).path("status").asText()).isEqualTo("denied");

    Approval e = open("bot", "r3");
    clock.advance(Duration.ofMinutes(15));
    assertThat(status(e).path("status").asText()).isEqualTo("expired");
  }

  @Test
  void get_anotherAgentsApproval_isAnsweredExactlyAsAnUnknownOne() throws Exception {
    Approval a = open("bot", "r1");
    HttpResponse<String> theirs = get(a.id(), other);
    HttpResponse<String> unknown = get("a".repeat(26), other);
    HttpResponse<String> malformed = get("..%2F..%2Fetc", other);

    for (HttpResponse<String> r : List.of(theirs, unknown, malformed)) {
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(problem(r)).isEqualTo("unknown-approval");
    }
    assertThat(theirs.body().replaceAll("\"audit_seq\":[0-9]+", ""))
        .isEqualTo(unknown.body().replaceAll("\"audit_seq\":[0-9]+", ""));
    assertThat(theirs.body()).doesNotContain("pending").doesNotContain("bot");
    assertThat(AgentCalls.auditText(g.home().dir())).contains("approval.status").contains("unknown-approval");
  }

  @Test
  void get_signedWithTheDigestOfItsEmptyBody_isAcceptedToo() throws Exception {
    Approval a = open("bot", "r1");
    URI u = uri(ApprovalStatusEndpoint.PREFIX + a.id());
    HttpResponse<String> r = send(HttpRequest.newBuilder(u).GET(), MessageSignatures.sign("GET", u, new byte[0],
        bot.keyId(), bot.key(), clock.instant().getEpochSecond(), AgentCalls.nonce()));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void get_withABodyItsSignatureDoesNotCover_isRefused() throws Exception {
    Approval a = open("bot", "r1");
    URI u = uri(ApprovalStatusEndpoint.PREFIX + a.id());
    HttpResponse<String> r = send(HttpRequest.newBuilder(u).method("GET", HttpRequest.BodyPublishers.ofString("{}")),
        MessageSignatures.signWithoutBody("GET", u, bot.keyId(), bot.key(), clock.instant().getEpochSecond(),
            AgentCalls.nonce()));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(problem(r)).isEqualTo("content-digest");
  }

  @Test
  void postToAnAction_signedWithoutContentDigest_isStillRefused() throws Exception {
    URI u = uri("/v1/actions/none.thing");
    HttpResponse<String> withBody = send(HttpRequest.newBuilder(u).POST(HttpRequest.BodyPublishers.ofString("{}")),
        MessageSignatures.signWithoutBody("POST", u, bot.keyId(), bot.key(), clock.instant().getEpochSecond(),
            AgentCalls.nonce()));
    HttpResponse<String> empty = send(HttpRequest.newBuilder(u).POST(HttpRequest.BodyPublishers.noBody()),
        MessageSignatures.signWithoutBody("POST", u, bot.keyId(), bot.key(), clock.instant().getEpochSecond(),
            AgentCalls.nonce()));
    for (HttpResponse<String> r : List.of(withBody, empty)) {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(problem(r)).isEqualTo("content-digest");
    }
  }

  @Test
  void get_refusals_areTheSignedEndpointsUsualOnes() throws Exception {
    Approval a = open("bot", "r1");
    URI u = uri(ApprovalStatusEndpoint.PREFIX + a.id());

    HttpResponse<String> unsigned = HTTP.send(HttpRequest.newBuilder(u).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(unsigned.statusCode()).isEqualTo(401);
    assertThat(problem(unsigned)).isEqualTo("signature-malformed");

    HttpResponse<String> channelKey = get(a.id(), channel);
    assertThat(channelKey.statusCode()).isEqualTo(403);
    assertThat(problem(channelKey)).isEqualTo("wrong-key-kind");

    String nonce = AgentCalls.nonce();
    Map<String, String> once = MessageSignatures.signWithoutBody("GET", u, bot.keyId(), bot.key(),
        clock.instant().getEpochSecond(), nonce);
    assertThat(send(HttpRequest.newBuilder(u).GET(), once).statusCode()).isEqualTo(200);
    HttpResponse<String> replayed = send(HttpRequest.newBuilder(u).GET(), once);
    assertThat(replayed.statusCode()).isEqualTo(401);
    assertThat(problem(replayed)).isEqualTo("replayed-nonce");

    HttpResponse<String> stale = send(HttpRequest.newBuilder(u).GET(), MessageSignatures.signWithoutBody("GET", u,
        bot.keyId(), bot.key(), clock.instant().minusSeconds(31).getEpochSecond(), AgentCalls.nonce()));
    assertThat(stale.statusCode()).isEqualTo(401);
    assertThat(problem(stale)).isEqualTo("stale-signature");

    Approval b = open("bot", "r2");
    HttpResponse<String> otherPath = send(HttpRequest.newBuilder(uri(ApprovalStatusEndpoint.PREFIX + b.id())).GET(),
        MessageSignatures.signWithoutBody("GET", u, bot.keyId(), bot.key(), clock.instant().getEpochSecond(),
            AgentCalls.nonce()));
    assertThat(otherPath.statusCode()).as("the path is signed").isEqualTo(401);
    assertThat(problem(otherPath)).isEqualTo("unauthenticated");
  }
}
