package dev.gatehouse.chat.telegram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.notify.NotificationService;
import dev.gatehouse.notify.RecordingAudit;
import dev.gatehouse.testing.TestHome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The telegram notification sink against a local Bot API, and every sink wired through a real home. */
@Timeout(60)
class TelegramNotifyTest {
  static final String TOKEN = TelegramBridgeTest.TOKEN;
  static final String HMAC_CANARY = "canary-hmac-key-home-P5t8";
  static final Notification LOCKED = new Notification("totp.locked", Instant.parse("2026-12-06T15:00:00Z"),
      "TOTP locked after 5 wrong codes", Map.of("until", "2026-12-06T15:15:00Z"));

  @TempDir
  Path dir;
  FakeBotApi api;
  final RecordingAudit audit = new RecordingAudit();

  @BeforeEach
  void setUp() throws Exception {
    api = new FakeBotApi(TOKEN);
  }

  @AfterEach
  void tearDown() {
    api.close();
    assertThat(audit.events().toString()).doesNotContain(TOKEN).doesNotContain(TOKEN.substring(TOKEN.indexOf(':')));
  }

  Config.Telegram telegram() {
    return new Config.Telegram("telegram", api.url(), "telegram.token", 1, List.of("/bin/true"), null);
  }

  NotificationService start() throws Exception {
    return NotificationService.start(List.of(new Config.TelegramSink(42)), new NotificationService.Resources(
        (url, allow, headers, body, timeout) -> { throw new AssertionError("no webhook"); }, name -> Optional.empty(),
        () -> TelegramBridge.notificationSender(telegram(), TOKEN), Map.of()), audit);
  }

  @Test
  void telegramSink_sendsThePlainTextToTheOwnersChat() throws Exception {
    NotificationService s = start();
    s.notify(LOCKED);
    s.close();

    assertThat(api.sent()).containsExactly(new FakeBotApi.Sent(42, """
        Gatehouse: TOTP locked after 5 wrong codes
        until: 2026-12-06T15:15:00Z
        totp.locked at 2026-12-06T15:00:00Z"""));
    assertThat(api.calls()).singleElement().satisfies(c -> {
      assertThat(c.method()).isEqualTo("sendMessage");
      assertThat(c.params().path("link_preview_options").path("is_disabled").asBoolean()).isTrue();
      assertThat(c.params().has("parse_mode")).isFalse();
    });
    assertThat(audit.events()).isEmpty();
  }

  @Test
  void telegramSink_refusedToken_isNotRetried_andAuditedWithoutIt() throws Exception {
    api.fail("sendMessage", 5, new FakeBotApi.Failure(401, FakeBotApi.UNAUTHORIZED));
    NotificationService s = start();
    s.notify(LOCKED);
    AuditEvent failed = audit.await("notify.failed", 1).get(0);
    s.close();

    assertThat(failed.target()).isEqualTo("telegram chat 42");
    assertThat(failed.outcome()).isEqualTo("given-up");
    assertThat(failed.details().get("reason")).startsWith("telegram: sendMessage answered HTTP 401");
    assertThat(api.calls()).hasSize(1);
  }

  @Test
  void telegramSink_serverError_isRetried() throws Exception {
    api.fail("sendMessage", 1, new FakeBotApi.Failure(502, "{\"ok\":false,\"error_code\":502,\"description\":\"Bad"
        + " Gateway\"}"));
    NotificationService s = start();
    s.notify(LOCKED);
    audit.await("notify.delivered", 1); // after the real 1 s wait
    s.close();

    assertThat(audit.ofType("notify.failed")).singleElement().satisfies(e -> assertThat(e.outcome())
        .isEqualTo("retrying"));
    assertThat(api.sent()).hasSize(1);
  }

  /** {@code Gatehouse.startNotifications}: the config, the vault, the upstream client and the audit log of a home. */
  @Test
  void startNotifications_throughTheHome_deliversToEverySink_andAuditsIntoTheLog() throws Exception {
    List<byte[]> bodies = new CopyOnWriteArrayList<>();
    List<String> signatures = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/", ex -> {
      bodies.add(ex.getRequestBody().readAllBytes());
      signatures.add(ex.getRequestHeaders().getFirst("Gatehouse-Signature"));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    receiver.start();
    String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    Path home = TestHome.create(dir);
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config) + "\nchat:\n  telegram:\n"
        + "    token_secret: telegram.token\n    api_url: " + api.url() + "\n"
        + "    forward: {command: [\"/bin/true\"]}\n"
        + "notify:\n"
        + "  - {type: webhook, url: \"" + hook + "\", secret: hook.key, allow_private: [127.0.0.1/32]}\n"
        + "  - {type: webhook, url: \"" + hook + "\", secret: hook.key}\n"
        + "  - {type: telegram, chat_id: 42}\n");
    var upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));
    try {
      try (Gatehouse g = TestHome.open(home, Clock.systemUTC())) {
        assertThatThrownBy(() -> g.startNotifications(upstream::post))
            .isInstanceOf(NotConfiguredException.class).hasMessageContaining("notify[1].secret")
            .hasMessageContaining("'hook.key'");
        g.vault().put("hook.key", HMAC_CANARY.getBytes(StandardCharsets.UTF_8), false);
        g.vault().put("telegram.token", TOKEN.getBytes(StandardCharsets.UTF_8), false);

        NotificationService s = g.startNotifications(upstream::post);
        s.notify(LOCKED);
        s.close();
      }
      assertThat(bodies).hasSize(1); // the second webhook, without allow_private, was refused
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(HMAC_CANARY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      assertThat(signatures).containsExactly("sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies.get(0))));
      assertThat(bodies.get(0)).isEqualTo(LOCKED.json());
      assertThat(api.sent()).extracting(FakeBotApi.Sent::chatId).containsExactly(42L);

      String log;
      try (Stream<Path> files = Files.walk(home.resolve(Gatehouse.AUDIT_DIR))) {
        StringBuilder all = new StringBuilder();
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        }
        log = all.toString();
      }
      assertThat(log).contains("notify.failed").contains("the egress guard refused it")
          .doesNotContain(HMAC_CANARY).doesNotContain(TOKEN.substring(TOKEN.indexOf(':') + 1));
    } finally {
      receiver.stop(0);
    }
  }
}
