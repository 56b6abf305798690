package dev.gatehouse.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.GuardedUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The service against real sinks: a webhook receiver on loopback that checks the signature,
 * the real upstream client and egress guard, real processes.
 */
@Timeout(60)
class NotificationServiceTest {
  static final ObjectMapper JSON = new ObjectMapper();
  /** Planted as the HMAC key; must never appear anywhere but inside the MAC. */
  static final String CANARY_SECRET = "canary-hmac-key-7Qx2vR9mZ4";
  /** Planted in the webhook's path (often its credential); must never appear in the audit or the log. */
  static final String PATH_CANARY = "hook-path-canary-K8p3";
  static final Notification PENDING = new Notification("approval.pending", Instant.parse("2026-12-06T15:00:00Z"),
      "github.create_issue waits for your approval", Map.of("approval", "apv_1", "action", "github.create_issue",
          "domain", "integrations"));

  final RecordingAudit audit = new RecordingAudit();
  final List<Duration> waits = new CopyOnWriteArrayList<>();
  final NotificationService.Sleeper sleeper = waits::add;
  final List<NotificationService> services = new ArrayList<>();
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(
      org.slf4j.Logger.ROOT_LOGGER_NAME);
  Receiver receiver;

  /** A webhook receiver: records each request's exact body bytes and headers, answers the scripted statuses (then 204). */
  static final class Receiver implements AutoCloseable {
    record Got(String path, Map<String, List<String>> headers, byte[] body) {}

    final List<Got> got = new CopyOnWriteArrayList<>();
    final Deque<Integer> statuses = new ArrayDeque<>(); // guarded by itself
    final HttpServer server;
    volatile String location; // sent with every answer when set

    Receiver(Integer... statuses) throws IOException {
      this.statuses.addAll(List.of(statuses));
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/", ex -> {
        byte[] body = ex.getRequestBody().readAllBytes();
        got.add(new Got(ex.getRequestURI().getRawPath(), Map.copyOf(ex.getRequestHeaders()), body));
        Integer status;
        synchronized (this.statuses) {
          status = this.statuses.poll();
        }
        if (location != null) {
          ex.getResponseHeaders().add("Location", location);
        }
        ex.sendResponseHeaders(status == null ? 204 : status, -1);
        ex.close();
      });
      server.start();
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/" + PATH_CANARY);
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @BeforeEach
  void setUp() {
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    services.forEach(NotificationService::close);
    if (receiver != null) {
      receiver.close();
    }
    root.detachAppender(logs);
    String log = String.join("\n", logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    String auditText = audit.events().toString();
    for (String canary : List.of(CANARY_SECRET, PATH_CANARY)) {
      assertThat(auditText).as("the audit").doesNotContain(canary);
      assertThat(log).as("the log").doesNotContain(canary);
    }
  }

  static Optional<byte[]> vault(String name) {
    return name.equals("hook-key") ? Optional.of(CANARY_SECRET.getBytes(StandardCharsets.UTF_8)) : Optional.empty();
  }

  NotificationService start(List<Config.NotifySink> sinks) throws IOException {
    return start(sinks, NotificationServiceTest::vault);
  }

  NotificationService start(List<Config.NotifySink> sinks, SecretLookup secrets) throws IOException {
    var upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));
    NotificationService s = NotificationService.start(sinks, new NotificationService.Resources(upstream::post,
        secrets, null, Map.of("PATH", "/usr/bin:/bin", "HOME", "/", "GATEHOUSE_CANARY", CANARY_SECRET)), audit);
    services.add(s);
    return s;
  }

  /** The service of {@link #start}, but waiting through the recording sleeper. */
  NotificationService startRecordingWaits(Config.WebhookSink sink) {
    var upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));
    var checked = EgressGuard.parseBaseUrl(sink.url().toString());
    List<dev.gatehouse.guard.Cidr> allow = sink.allowPrivate().stream().map(dev.gatehouse.guard.Cidr::parse).toList();
    NotificationService s = NotificationService.start(List.of(new WebhookSender(sink.url(), checked, sink.secret(),
        allow, NotificationServiceTest::vault, upstream::post)), audit, sleeper, NotificationService.QUEUE_BOUND);
    services.add(s);
    return s;
  }

  Config.WebhookSink webhook() {
    return new Config.WebhookSink(receiver.url(), "hook-key", List.of("127.0.0.1/32"));
  }

  static String hmacHex(String key, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }

  @Test
  void webhook_post_isSignedWithHmacOfTheExactBody() throws Exception {
    receiver = new Receiver();
    NotificationService s = start(List.of(webhook()));

    s.notify(PENDING);
    s.close(); // delivers what is queued, then stops

    assertThat(receiver.got).hasSize(1);
    Receiver.Got got = receiver.got.get(0);
    assertThat(got.path()).isEqualTo("/hooks/" + PATH_CANARY);
    assertThat(got.headers().get("Content-type")).containsExactly("application/json");
    assertThat(got.headers().get("Gatehouse-signature"))
        .containsExactly("sha256=" + hmacHex(CANARY_SECRET, got.body()));
    assertThat(got.headers().get("Gatehouse-signature"))
        .doesNotContain("sha256=" + hmacHex("another key", got.body()));
    JsonNode json = JSON.readTree(got.body());
    assertThat(json.fieldNames()).toIterable().containsExactly("event", "time", "summary", "fields");
    assertThat(json.get("event").asText()).isEqualTo("approval.pending");
    assertThat(json.get("time").asText()).isEqualTo("2026-12-06T15:00:00Z");
    assertThat(json.get("summary").asText()).isEqualTo("github.create_issue waits for your approval");
    assertThat(JSON.convertValue(json.get("fields"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { }))
        .isEqualTo(PENDING.fields());
    assertThat(new String(got.body(), StandardCharsets.UTF_8)).doesNotContain(CANARY_SECRET);
    assertThat(audit.events()).isEmpty();
  }

  /** docs/notifications.md's receiver recipe, run as written against a received body. */
  @Test
  void webhook_signature_verifiesWithTheDocumentedOpensslCommand() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of(
        "/usr/bin/openssl")), "openssl is not installed");
    receiver = new Receiver();
    NotificationService s = start(List.of(webhook()));
    s.notify(PENDING);
    s.close();
    java.nio.file.Path body = java.nio.file.Files.createTempFile("body", ".json");
    java.nio.file.Files.write(body, receiver.got.get(0).body());

    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "expected=\"sha256=$(openssl dgst -sha256 -hmac \"$KEY\""
        + " -r < \"$0\" | cut -d' ' -f1)\"; [ \"$expected\" = \"$SIG\" ] && echo valid", body.toString());
    pb.environment().put("KEY", CANARY_SECRET);
    pb.environment().put("SIG", receiver.got.get(0).headers().get("Gatehouse-signature").get(0));
    Process p = pb.start();
    var out = dev.gatehouse.testing.Processes.finish(p, Duration.ofSeconds(30), "openssl");
    assertThat(out.out().strip()).isEqualTo("valid");
  }

  @Test
  void webhook_alteredBody_doesNotVerify() throws Exception {
    byte[] body = PENDING.json();
    String signature = hmacHex(CANARY_SECRET, body);
    byte[] altered = body.clone();
    altered[altered.length - 3] ^= 1;
    assertThat(hmacHex(CANARY_SECRET, altered)).isNotEqualTo(signature);
  }

  @Test
  void webhook_privateAddressWithoutAllowPrivate_isNeverContacted_andAudited() throws Exception {
    receiver = new Receiver();
    NotificationService s = start(List.of(new Config.WebhookSink(receiver.url(), "hook-key", List.of())));

    s.notify(PENDING);
    List<AuditEvent> failed = audit.await("notify.failed", 1);
    s.close();

    assertThat(receiver.got).isEmpty();
    assertThat(failed).hasSize(1); // an address refused is refused for good: not retried
    AuditEvent e = failed.get(0);
    assertThat(e.outcome()).isEqualTo("given-up");
    assertThat(e.target()).isEqualTo("webhook http://127.0.0.1:" + receiver.server.getAddress().getPort());
    assertThat(e.details()).containsEntry("event", "approval.pending").containsEntry("attempt", "1 of 5");
    assertThat(e.details().get("reason")).startsWith("the egress guard refused it: 127.0.0.1 is loopback");
  }

  @Test
  void webhook_metadataAddress_isRefusedEvenIfAllowed() throws Exception {
    NotificationService s = start(List.of(new Config.WebhookSink(URI.create("http://169.254.169.254/latest"),
        "hook-key", List.of("169.254.0.0/16"))));

    s.notify(PENDING);
    AuditEvent e = audit.await("notify.failed", 1).get(0);
    s.close();

    assertThat(e.details().get("reason")).contains("169.254.169.254").contains("can never be allowed");
    assertThat(audit.ofType("notify.failed")).hasSize(1);
  }

  @Test
  void webhook_500ThenSuccess_isRetriedWithBackoff() throws Exception {
    receiver = new Receiver(500, 503);
    NotificationService s = startRecordingWaits(webhook());

    s.notify(PENDING);
    AuditEvent delivered = audit.await("notify.delivered", 1).get(0);

    assertThat(receiver.got).hasSize(3);
    assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    List<AuditEvent> failed = audit.ofType("notify.failed");
    assertThat(failed).extracting(AuditEvent::outcome).containsExactly("retrying", "retrying");
    assertThat(failed).extracting(e -> e.details().get("reason")).containsExactly("answered HTTP 500",
        "answered HTTP 503");
    assertThat(failed).extracting(e -> e.details().get("retry_in")).containsExactly("1 s", "2 s");
    assertThat(delivered.details()).containsEntry("attempt", "3");
    // Each try signs the same bytes.
    for (Receiver.Got got : receiver.got) {
      assertThat(got.body()).isEqualTo(PENDING.json());
      assertThat(got.headers().get("Gatehouse-signature")).containsExactly("sha256=" + hmacHex(CANARY_SECRET,
          got.body()));
    }
  }

  @Test
  void webhook_alwaysFailing_givesUpAfterFiveAttempts() throws Exception {
    receiver = new Receiver(500, 500, 500, 500, 500, 500);
    NotificationService s = startRecordingWaits(webhook());

    s.notify(PENDING);
    List<AuditEvent> failed = audit.await("notify.failed", 5);

    assertThat(failed).extracting(e -> e.details().get("attempt")).containsExactly("1 of 5", "2 of 5", "3 of 5",
        "4 of 5", "5 of 5");
    assertThat(failed).extracting(AuditEvent::outcome).containsExactly("retrying", "retrying", "retrying", "retrying",
        "given-up");
    assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(8));
    s.close();
    assertThat(receiver.got).hasSize(5);
    assertThat(audit.ofType("notify.delivered")).isEmpty();
  }

  @Test
  void webhook_redirect_isNotFollowed_andIsAFailure() throws Exception {
    receiver = new Receiver(307);
    try (Receiver elsewhere = new Receiver()) {
      receiver.location = elsewhere.url().toString();
      NotificationService s = startRecordingWaits(webhook());

      s.notify(PENDING);
      audit.await("notify.delivered", 1); // the second try gets the 204

      assertThat(elsewhere.got).isEmpty();
      assertThat(audit.ofType("notify.failed")).singleElement()
          .satisfies(e -> assertThat(e.details()).containsEntry("reason", "answered HTTP 307"));
    }
  }

  @Test
  void webhook_missingVaultEntry_isRefusedAtStart() {
    assertThatThrownBy(() -> start(List.of(new Config.WebhookSink(URI.create("https://hooks.example.com/x"),
        "no-such-key", List.of()))))
        .isInstanceOf(NotConfiguredException.class)
        .hasMessageContaining("notify[1].secret").hasMessageContaining("'no-such-key'")
        .hasMessageContaining("gatehouse vault add no-such-key");
  }

  @Test
  void webhook_urlWithUserinfo_isRefusedAtStart_withoutQuotingIt() {
    assertThatThrownBy(() -> start(List.of(new Config.CommandSink(List.of("/bin/true")), new Config.WebhookSink(
        URI.create("https://user:" + PATH_CANARY + "@hooks.example.com/x"), "hook-key", List.of()))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("notify[2].url").hasMessageContaining("userinfo")
        .hasMessageNotContaining(PATH_CANARY);
  }

  @Test
  void telegramSink_withoutTheBridge_isRefusedAtStart() {
    assertThatThrownBy(() -> start(List.of(new Config.TelegramSink(42))))
        .isInstanceOf(NotConfiguredException.class)
        .hasMessageContaining("notify[1]").hasMessageContaining("chat.telegram is not configured");
  }

  /** A sink that holds its first delivery until released, and records what it got. */
  static final class HeldSink implements Sink {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> delivered = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "test held";
    }

    @Override
    public void deliver(Notification n, byte[] json) throws InterruptedException {
      entered.countDown();
      release.await();
      delivered.add(n.summary());
    }
  }

  static Notification numbered(int i) {
    return new Notification("trust.changed", Instant.EPOCH, "n" + i, Map.of());
  }

  @Test
  void notify_floodingAFullQueue_neverBlocks_dropsTheOldest_andAuditsTheDrops() throws Exception {
    HeldSink held = new HeldSink();
    NotificationService s = NotificationService.start(List.of(held), audit, sleeper, 10);
    services.add(s);
    s.notify(numbered(0));
    assertThat(held.entered.await(30, TimeUnit.SECONDS)).isTrue(); // n0 is being delivered; the queue is empty

    for (int i = 1; i <= 1000; i++) {
      s.notify(numbered(i)); // the sink is stuck: a blocking notify would hang here (the test's @Timeout)
    }
    held.release.countDown();
    AuditEvent dropped = audit.await("notify.dropped", 1).get(0);
    s.close();

    assertThat(dropped.outcome()).isEqualTo("queue-full");
    assertThat(dropped.target()).isEqualTo("test held");
    assertThat(dropped.details()).containsEntry("count", "990").containsEntry("bound", "10");
    List<String> expected = new ArrayList<>(List.of("n0"));
    for (int i = 991; i <= 1000; i++) {
      expected.add("n" + i);
    }
    assertThat(held.delivered).containsExactlyElementsOf(expected);
  }

  @Test
  void notify_neverThrows_andAFailingSinkDoesNotStopTheNext() throws Exception {
    List<String> delivered = new CopyOnWriteArrayList<>();
    Sink buggy = new Sink() {
      @Override
      public String name() {
        return "test buggy";
      }

      @Override
      public void deliver(Notification n, byte[] json) {
        if (n.summary().equals("n1")) {
          throw new IllegalStateException("bug with " + CANARY_SECRET);
        }
        delivered.add(n.summary());
      }
    };
    NotificationService s = NotificationService.start(List.of(buggy), audit, sleeper, 10);
    services.add(s);

    s.notify(null);
    s.notify(numbered(1));
    s.notify(numbered(2));
    s.close();

    assertThat(delivered).containsExactly("n2");
    AuditEvent failed = audit.ofType("notify.failed").get(0);
    assertThat(failed.outcome()).isEqualTo("given-up");
    assertThat(failed.details()).containsEntry("reason", "the sink failed (IllegalStateException)");
    s.notify(numbered(3)); // after close: ignored, no exception
  }

  @Test
  void close_duringBackoff_stopsAtOnce_triesTheQueueOnce_andAuditsTheRest() throws Exception {
    Sink failing = new Sink() {
      @Override
      public String name() {
        return "test failing";
      }

      @Override
      public void deliver(Notification n, byte[] json) throws DeliveryException {
        throw new DeliveryException("down", true);
      }
    };
    // The real wait, made an hour long: only close() can end it.
    var service = new java.util.concurrent.CompletableFuture<NotificationService>();
    NotificationService s = NotificationService.start(List.of(failing), audit,
        d -> service.join().waitUnlessStopping(Duration.ofHours(1)), 10);
    service.complete(s);
    services.add(s);
    s.notify(numbered(1));
    s.notify(numbered(2));
    audit.await("notify.failed", 1); // n1 failed once and now waits (or is about to)

    s.close(); // a close that waited for the hour would hit the @Timeout

    List<AuditEvent> failed = audit.ofType("notify.failed");
    assertThat(failed).extracting(AuditEvent::outcome).containsExactly("retrying", "given-up");
    assertThat(failed.get(1).details()).containsEntry("attempt", "1 of 5"); // n2: one try, no waiting
    AuditEvent dropped = audit.ofType("notify.dropped").get(0);
    assertThat(dropped.outcome()).isEqualTo("stopping");
    assertThat(dropped.details()).containsEntry("count", "1"); // n1, given up in its wait
  }

  @Test
  void commandSink_getsTheJsonOnStdin_withAMinimalEnvironment() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("notify");
    java.nio.file.Path script = dir.resolve("notify.sh");
    java.nio.file.Files.writeString(script, """
        #!/bin/sh
        cat > "$1/stdin.json"
        env > "$1/env.txt"
        echo "some output nobody reads"
        echo "some error nobody reads" >&2
        """);
    script.toFile().setExecutable(true);
    NotificationService s = start(List.of(new Config.CommandSink(List.of(script.toString(), dir.toString()))));

    s.notify(PENDING);
    s.close();

    assertThat(java.nio.file.Files.readAllBytes(dir.resolve("stdin.json")))
        .isEqualTo((new String(PENDING.json(), StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8));
    String env = java.nio.file.Files.readString(dir.resolve("env.txt"));
    assertThat(env).contains("PATH=/usr/bin:/bin").doesNotContain("GATEHOUSE_CANARY").doesNotContain(CANARY_SECRET);
    assertThat(audit.events()).isEmpty();
  }

  @Test
  void commandSink_failingExit_isRetried_andAudited() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("notify");
    java.nio.file.Path count = dir.resolve("count");
    CommandSender sender = new CommandSender(List.of("/bin/sh", "-c",
        "echo x >> \"$0\"; [ $(wc -l < \"$0\") -ge 2 ]", count.toString()), Duration.ofSeconds(30), Map.of());
    NotificationService s = NotificationService.start(List.of(sender), audit, sleeper, 10);
    services.add(s);

    s.notify(PENDING);
    audit.await("notify.delivered", 1);

    AuditEvent failed = audit.ofType("notify.failed").get(0);
    assertThat(failed.target()).isEqualTo("command /bin/sh");
    assertThat(failed.details()).containsEntry("reason", "exit code 1");
    assertThat(waits).containsExactly(Duration.ofSeconds(1));
  }

  @Test
  void commandSink_pastItsTimeLimit_isKilledWithItsChildren() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("notify");
    java.nio.file.Path pid = dir.resolve("child.pid");
    CommandSender sender = new CommandSender(List.of("/bin/sh", "-c",
        "sleep 600 & echo $! > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; wait", pid.toString()), Duration.ofSeconds(5),
        Map.of());

    assertThatThrownBy(() -> sender.deliver(PENDING, PENDING.json()))
        .isInstanceOf(DeliveryException.class).hasMessage("killed after 5 s without finishing")
        .matches(e -> ((DeliveryException) e).retryable());

    long child = Long.parseLong(java.nio.file.Files.readString(pid).strip());
    Optional<ProcessHandle> handle = ProcessHandle.of(child);
    if (handle.isPresent()) {
      handle.get().onExit().get(30, TimeUnit.SECONDS); // killed: it ends (a live `sleep 600` would time out here)
    }
  }

  @Test
  void commandSink_missingProgram_isNotRetried() throws Exception {
    NotificationService s = start(List.of(new Config.CommandSink(List.of("/nonexistent/notify-program"))));

    s.notify(PENDING);
    AuditEvent failed = audit.await("notify.failed", 1).get(0);
    s.close();

    assertThat(failed.outcome()).isEqualTo("given-up");
    assertThat(failed.details().get("reason")).startsWith("cannot start /nonexistent/notify-program");
    assertThat(audit.ofType("notify.failed")).hasSize(1);
  }
}
