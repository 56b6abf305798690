package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.otp.HashAlgorithm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigTest {
  @Test
  void theDefaultFile_parsesToTheEmbeddedDefaults() {
    String text = new String(Config.defaultFileContent(), StandardCharsets.UTF_8);
    assertThat(Config.parse("gatehouse.yaml", text)).isEqualTo(Config.DEFAULT);
    assertThat(Config.parse("gatehouse.yaml", "")).isEqualTo(Config.DEFAULT);
    assertThat(Config.parse("gatehouse.yaml", "totp:\n")).isEqualTo(Config.DEFAULT);
  }

  @Test
  void theDefaultFilesChatExample_uncommented_isValid() {
    String text = new String(Config.defaultFileContent(), StandardCharsets.UTF_8);
    String chatPart = text.substring(text.indexOf("# chat:"));
    String example = chatPart.substring(0, chatPart.indexOf("\n\n")).lines().map(l -> l.replaceFirst("^# ?", ""))
        .collect(java.util.stream.Collectors.joining("\n"));
    Config.Chat chat = Config.parse("gatehouse.yaml", example).chat();
    assertThat(chat.session()).isEqualTo(Duration.ofMinutes(30));
    assertThat(chat.gateOn("family-discord")).isFalse();
    assertThat(chat.gateOn("telegram")).isTrue();
    assertThat(chat.telegram().orElseThrow().command()).containsExactly("/usr/local/bin/ask-my-agent");
    assertThat(chat.telegram().orElseThrow().apiUrl()).isEqualTo(Config.Telegram.DEFAULT_API);
  }

  @Test
  void theDefaultFilesTlsExample_uncommented_isValid() {
    String text = new String(Config.defaultFileContent(), StandardCharsets.UTF_8);
    String example = "server:\n" + text.substring(text.indexOf("  # tls:")).lines()
        .takeWhile(l -> l.equals("  # tls:") || l.startsWith("  #   "))
        .map(l -> l.replaceFirst("^  # ?", "  ")).collect(java.util.stream.Collectors.joining("\n"));

    Config.Server server = Config.parse("gatehouse.yaml", example).server();

    assertThat(server.tls()).contains(new Config.Tls("tls/gatehouse.crt", "tls/gatehouse.key"));
    assertThat(server.bind()).isEqualTo("127.0.0.1");
    assertThat(Config.DEFAULT.server().tls()).isEmpty();
  }

  @Test
  void theDefaultFilesTrustAndNotifyExamples_uncommented_areValid() {
    String text = new String(Config.defaultFileContent(), StandardCharsets.UTF_8);
    String example = text.substring(text.indexOf("# trust:")).lines().filter(l -> l.startsWith("# ") || l.equals("#"))
        .map(l -> l.replaceFirst("^# ?", "")).filter(l -> !l.startsWith("Where ") && !l.startsWith("lockouts"))
        .collect(java.util.stream.Collectors.joining("\n"));
    Config c = Config.parse("gatehouse.yaml", example);
    assertThat(c.trust()).isEqualTo(Config.TrustSettings.DEFAULT);
    assertThat(c.notifications()).containsExactly(
        new Config.WebhookSink(java.net.URI.create("https://example.org/hook"), "notify.hmac", java.util.List.of()),
        new Config.CommandSink(java.util.List.of("/usr/local/bin/notify-me")), new Config.TelegramSink(123456789));
  }

  @Test
  void trustValuesAreRead() {
    Config c = Config.parse("g.yaml", """
        trust: { approval_minutes: 5, demote_after: 2 within 30 minutes, approve_with_code: [files] }
        notify:
          - { type: webhook, url: "http://192.168.1.5:8080/h", secret: hook.key, allow_private: [192.168.1.0/24] }
        """);
    assertThat(c.trust().approvalMinutes()).isEqualTo(5);
    assertThat(c.trust().demoteAfter()).isEqualTo(2);
    assertThat(c.trust().demoteWindow()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.trust().approveWithCode()).containsExactly(dev.gatehouse.trust.Domain.FILES);
    assertThat(((Config.WebhookSink) c.notifications().get(0)).allowPrivate()).containsExactly("192.168.1.0/24");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "trust: { approval_minutes: 0 }|trust.approval_minutes must be a whole number from 1 to 1440",
      "trust: { demote_after: often }|trust.demote_after must be a rule such as",
      "trust: { approve_with_code: [money] }|must be a domain: messaging",
      "notify: { type: webhook }|notify must be a list of mappings",
      "notify: [ { type: pigeon } ]|notify[0].type must be webhook, command or telegram",
      "notify: [ { type: webhook, url: 'https://x.org/' } ]|notify[0].secret is required",
      "notify: [ { type: command } ]|notify[0].argv is required",
      "notify: [ { type: telegram, chat_id: abc } ]|notify[0].chat_id must be",
      "notify: [ { type: command, argv: [x], extra: 1 } ]|unknown key 'notify[0].extra'"})
  void badTrustAndNotifyValues_areRefused_namingTheKey(String yaml, String message) {
    assertThatThrownBy(() -> Config.parse("g.yaml", yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void chatValuesAreRead() {
    Config.Chat chat = Config.parse("g.yaml", """
        chat:
          session_minutes: 5
          challenge_seconds: 60
          gate: off
          channels: { tg: { gate: on } }
          telegram:
            token_secret: bot.token
            api_url: http://127.0.0.1:8081
            poll_seconds: 2
            channel: tg
            forward: { url: "http://127.0.0.1:9000/chat" }
        """).chat();
    assertThat(chat.session()).isEqualTo(Duration.ofMinutes(5));
    assertThat(chat.challenge()).isEqualTo(Duration.ofSeconds(60));
    assertThat(chat.gateOn("other")).isFalse();
    assertThat(chat.gateOn("tg")).isTrue();
    Config.Telegram t = chat.telegram().orElseThrow();
    assertThat(t.tokenSecret()).isEqualTo("bot.token");
    assertThat(t.forwardUrl()).hasToString("http://127.0.0.1:9000/chat");
    assertThat(t.command()).isEmpty();
    assertThat(t.pollSeconds()).isEqualTo(2);
    assertThat(t.channel()).isEqualTo("tg");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "chat: { session_minutes: 0 }|g.yaml:1: chat.session_minutes must be a whole number from 1 to 1440",
      "chat: { gate: maybe }|chat.gate must be on or off",
      "chat: { channels: { Bad!: { gate: off } } }|is not a channel name",
      "chat: { telegram: { forward: { command: [x] } } }|chat.telegram.token_secret is required",
      "chat: { telegram: { token_secret: t } }|must name exactly one of command",
      "chat: { telegram: { token_secret: t, forward: { command: [x], url: 'http://127.0.0.1:1/' } } }|exactly one",
      "chat: { telegram: { token_secret: t, forward: { url: 'http://example.com/chat' } } }|on a loopback address",
      "chat: { telegram: { token_secret: t, api_url: 'ftp://x', forward: { command: [x] } } }|an http(s) URL",
      "chat: { telegram: { token_secret: t, forward: { command: [x] }, extra: 1 } }|unknown key 'chat.telegram.extra'"})
  void badChatValues_areRefused_namingTheKey(String yaml, String message) {
    assertThatThrownBy(() -> Config.parse("g.yaml", yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void valuesAreRead() {
    Config c = Config.parse("g.yaml", """
        totp:
          algorithm: sha256
          digits: 8
          period_seconds: 60
          skew_steps: 0
          lockout: { max_failures: 5, minutes: 60 }
        """);
    assertThat(c.totp().newKeys().algorithm()).isEqualTo(HashAlgorithm.SHA256);
    assertThat(c.totp().newKeys().digits()).isEqualTo(8);
    assertThat(c.totp().newKeys().periodSeconds()).isEqualTo(60);
    assertThat(c.totp().skewSteps()).isZero();
    assertThat(c.totp().maxFailures()).isEqualTo(5);
    assertThat(c.totp().lockout()).isEqualTo(Duration.ofMinutes(60));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "# comment\\ntotp:\\n  digits: 6\\n  colour: red|g.yaml:4: unknown key 'totp.colour'",
      "totp:\\n  lockout:\\n    max_failures: 3\\n    hours: 1|g.yaml:4: unknown key 'totp.lockout.hours'",
      "servers: {}|g.yaml:1: unknown key 'servers'",
      "server:\\n  port: 0|g.yaml:2: server.port must be a whole number from 1 to 65535 (got '0')",
      "server:\\n  bind: localhost|g.yaml:2: server.bind must be an IP address",
      "server:\\n  tls: true|g.yaml:2: server.tls must be a mapping",
      "server:\\n  tls: {certificate: c.pem}|g.yaml:2: server.tls.key is required: the path of the certificate's PEM",
      "server:\\n  tls:\\n    key: k.pem|g.yaml:3: server.tls.certificate is required: the path of a PEM certificate",
      "server:\\n  tls:\\n    certificate: c.pem\\n    key: k.pem\\n    ca: x|g.yaml:5: unknown key 'server.tls.ca'",
      "server:\\n  tls:\\n    certificate: '  '\\n    key: k.pem|g.yaml:3: server.tls.certificate must be the path",
      "totp:\\n\\n  digits: 9|g.yaml:3: totp.digits must be a whole number from 6 to 8 (got '9')",
      "totp:\\n  digits: six|g.yaml:2: totp.digits must be a whole number from 6 to 8 (got 'six')",
      "totp:\\n  skew_steps: 2|g.yaml:2: totp.skew_steps must be a whole number from 0 to 1",
      "totp:\\n  algorithm: MD5|g.yaml:2: totp.algorithm must be one of [SHA1, SHA256, SHA512]",
      "totp:\\n  issuer: 'a:b'|g.yaml:2: totp.issuer must be a name without ':'",
      "totp:\\n  digits: 6\\n  digits: 7|g.yaml:3: duplicate key 'digits' (first at line 2)",
      "totp:\\n  lockout: 3|g.yaml:2: totp.lockout must be a mapping",
      "totp:\\n  digits: [6]|g.yaml:2: totp.digits must be a single value",
      "- a\\n- b|g.yaml:1: the file must be a mapping",
      "totp:\\n  digits: 6\\n   bad indent: [|g.yaml:3: not valid YAML",
  })
  void badFiles_areRefused_namingFileLineAndKey(String text, String expected) {
    assertThatThrownBy(() -> Config.parse("g.yaml", text.replace("\\n", "\n")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith(expected);
  }
}
