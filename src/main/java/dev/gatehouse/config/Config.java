package dev.gatehouse.config;

import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.guard.Limit;
import dev.gatehouse.otp.HashAlgorithm;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.TotpPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The owner's settings from {@code gatehouse.yaml}. Everything is validated when loaded:
 * unknown keys and bad values are refused as {@code FILE:LINE: problem}. A missing file means
 * the embedded defaults.
 */
public record Config(TotpPolicy totp, FileAuditLog.Settings audit, Server server, Limits limits, Chat chat) {
  public static final Config DEFAULT = new Config(TotpPolicy.DEFAULT, FileAuditLog.Settings.DEFAULT, Server.DEFAULT,
      Limits.DEFAULT, Chat.DEFAULT);

  /**
   * The chat gate (DESIGN §9).
   *
   * @param session how long a proved sender stays proved, from their last message
   * @param challenge how long a code is awaited after the prompt
   * @param gate whether a channel not named in {@code channelGates} asks for TOTP sessions
   * @param channelGates per-channel exceptions to {@code gate}
   * @param telegram the built-in Telegram bridge, when configured
   */
  public record Chat(Duration session, Duration challenge, boolean gate, java.util.Map<String, Boolean> channelGates,
      java.util.Optional<Telegram> telegram) {
    public static final Chat DEFAULT = new Chat(Duration.ofMinutes(30), Duration.ofSeconds(120), true,
        java.util.Map.of(), java.util.Optional.empty());

    public Chat {
      channelGates = java.util.Map.copyOf(channelGates);
    }

    /** Whether messages on {@code channel} need a TOTP session. */
    public boolean gateOn(String channel) {
      return channelGates.getOrDefault(channel, gate);
    }
  }

  /**
   * The Telegram bridge: long-polls {@code apiUrl} with the bot token from the vault entry
   * {@code tokenSecret}, speaks as channel {@code channel}, and hands forwarded messages to
   * {@code command} (argv, the message as JSON on stdin) or POSTs them to the loopback
   * {@code forwardUrl}: exactly one of the two is set.
   */
  public record Telegram(String channel, java.net.URI apiUrl, String tokenSecret, int pollSeconds,
      java.util.List<String> command, java.net.URI forwardUrl) {
    public static final java.net.URI DEFAULT_API = java.net.URI.create("https://api.telegram.org");

    public Telegram {
      command = java.util.List.copyOf(command);
    }
  }

  /** The broker's sliding-window rate limits. */
  public record Limits(Limit perAgent, Limit perAction, Limit perSource) {
    public static final Limits DEFAULT = new Limits(Limit.parse("120/minute"), Limit.parse("600/minute"),
        Limit.parse("300/minute"));
  }

  /**
   * The daemon's settings.
   *
   * @param bind the address it listens on (loopback unless TLS and owner login exist)
   * @param rotateOverlap how long an agent's key stays valid after {@code agent rotate}
   */
  public record Server(String bind, int port, int maxBodyBytes, Duration rotateOverlap) {
    public static final Server DEFAULT = new Server("127.0.0.1", 19999, 64 * 1024, Duration.ofMinutes(10));
  }

  /** The commented default file that {@code gatehouse init} writes. */
  public static byte[] defaultFileContent() {
    try (InputStream in = Config.class.getResourceAsStream("default-gatehouse.yaml")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Config load(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return DEFAULT;
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(file.toString(), 0, "is not UTF-8 text");
    }
    return parse(file.toString(), text);
  }

  public static Config parse(String fileName, String text) {
    Section root = Section.root(fileName, YamlTree.parse(fileName, text), "totp", "audit", "server", "limits", "chat");
    Section totp = root.section("totp", "issuer", "algorithm", "digits", "period_seconds", "skew_steps", "lockout");
    Section lockout = totp.section("lockout", "max_failures", "minutes");
    TotpPolicy d = TotpPolicy.DEFAULT;
    String issuer = totp.string("issuer", d.issuer(),
        v -> !v.isBlank() && !v.contains(":") && v.chars().noneMatch(Character::isISOControl),
        "a name without ':' or control characters");
    TotpParameters params = new TotpParameters(
        totp.choice("algorithm", d.newKeys().algorithm(), HashAlgorithm.class),
        totp.integer("digits", d.newKeys().digits(), 6, 8),
        totp.integer("period_seconds", d.newKeys().periodSeconds(), 15, 120));
    Section audit = root.section("audit", "segment_max_mib", "segment_max_hours", "checkpoint_every_entries",
        "checkpoint_every_seconds");
    FileAuditLog.Settings a = FileAuditLog.Settings.DEFAULT;
    FileAuditLog.Settings auditSettings = new FileAuditLog.Settings(
        (long) audit.integer("segment_max_mib", (int) (a.segmentMaxBytes() >> 20), 1, 4096) << 20,
        Duration.ofHours(audit.integer("segment_max_hours", (int) a.segmentMaxAge().toHours(), 1, 24 * 366)),
        audit.integer("checkpoint_every_entries", a.checkpointEveryEntries(), 1, 1_000_000),
        Duration.ofSeconds(audit.integer("checkpoint_every_seconds", (int) a.checkpointEvery().toSeconds(), 1, 86_400)));
    return new Config(new TotpPolicy(issuer, params,
        totp.integer("skew_steps", d.skewSteps(), 0, 1),
        lockout.integer("max_failures", d.maxFailures(), 1, 20),
        Duration.ofMinutes(lockout.integer("minutes", (int) d.lockout().toMinutes(), 1, 1440))), auditSettings,
        server(root.section("server", "bind", "port", "max_body_kib", "agent_key_overlap_minutes")),
        limits(root.section("limits", "per_agent", "per_action", "per_source")),
        chat(root.section("chat", "session_minutes", "challenge_seconds", "gate", "channels", "telegram")));
  }

  /** A channel's name, as `gatehouse channel add` takes it. */
  public static final java.util.regex.Pattern CHANNEL_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  private static Chat chat(Section s) {
    Chat d = Chat.DEFAULT;
    java.util.Map<String, Boolean> gates = new java.util.LinkedHashMap<>();
    Section channels = s.names("channels");
    for (String name : channels.keys()) {
      if (!CHANNEL_NAME.matcher(name).matches()) {
        throw channels.problem(name, "is not a channel name (1-32 characters of a-z 0-9 _ -)");
      }
      gates.put(name, onOff(channels.section(name, "gate"), "gate", d.gate()));
    }
    return new Chat(
        Duration.ofMinutes(s.integer("session_minutes", (int) d.session().toMinutes(), 1, 24 * 60)),
        Duration.ofSeconds(s.integer("challenge_seconds", (int) d.challenge().toSeconds(), 30, 900)),
        onOff(s, "gate", d.gate()), gates,
        s.has("telegram") ? java.util.Optional.of(telegram(s.section("telegram", "channel", "api_url", "token_secret",
            "poll_seconds", "forward"))) : java.util.Optional.empty());
  }

  private static boolean onOff(Section s, String key, boolean fallback) {
    String v = s.string(key, fallback ? "on" : "off", t -> t.matches("on|off|true|false"), "on or off");
    return v.equals("on") || v.equals("true");
  }

  private static Telegram telegram(Section s) {
    String channel = s.string("channel", "telegram", v -> CHANNEL_NAME.matcher(v).matches(),
        "a channel name (1-32 characters of a-z 0-9 _ -)");
    String api = s.string("api_url", Telegram.DEFAULT_API.toString(), Config::isHttpUrl,
        "an http(s) URL such as https://api.telegram.org");
    String token = s.required("token_secret", v -> v.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}"),
        "the name of the vault entry holding the bot token (`gatehouse vault add NAME`)");
    int poll = s.integer("poll_seconds", 30, 1, 50);
    Section forward = s.section("forward", "command", "url");
    java.util.List<String> command = forward.strings("command", v -> !v.isEmpty() && v.indexOf('\0') < 0,
        "a non-empty argument");
    String url = forward.string("url", null, v -> isHttpUrl(v) && isLoopback(java.net.URI.create(v)),
        "an http URL on a loopback address, e.g. http://127.0.0.1:8080/chat");
    if (command.isEmpty() == (url == null)) {
      throw s.problem("forward", "must name exactly one of command: [ARGV...] or url: http://127.0.0.1:PORT/...");
    }
    return new Telegram(channel, java.net.URI.create(api), token, poll, command,
        url == null ? null : java.net.URI.create(url));
  }

  private static boolean isHttpUrl(String v) {
    try {
      java.net.URI u = new java.net.URI(v);
      return (u.getScheme() != null && (u.getScheme().equals("http") || u.getScheme().equals("https")))
          && u.getHost() != null && u.getRawUserInfo() == null && u.getRawFragment() == null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  private static boolean isLoopback(java.net.URI u) {
    String h = u.getHost();
    return u.getScheme().equals("http")
        && (h.equals("localhost") || h.equals("[::1]") || h.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}"));
  }

  private static Limits limits(Section s) {
    Limits d = Limits.DEFAULT;
    return new Limits(limit(s, "per_agent", d.perAgent()), limit(s, "per_action", d.perAction()),
        limit(s, "per_source", d.perSource()));
  }

  private static Limit limit(Section s, String key, Limit fallback) {
    String text = s.string(key, fallback.toString(), v -> {
      try {
        Limit.parse(v);
        return true;
      } catch (IllegalArgumentException e) {
        return false;
      }
    }, "a limit such as 60/minute, 10/second, 1000/hour or 5/10s");
    return Limit.parse(text);
  }

  private static Server server(Section s) {
    Server d = Server.DEFAULT;
    return new Server(
        s.string("bind", d.bind(), v -> v.matches("[0-9.]{7,15}|[0-9a-fA-F:]{2,39}"), "an IP address, e.g. 127.0.0.1"),
        s.integer("port", d.port(), 1, 65535),
        s.integer("max_body_kib", d.maxBodyBytes() / 1024, 1, 16 * 1024) * 1024,
        Duration.ofMinutes(s.integer("agent_key_overlap_minutes", (int) d.rotateOverlap().toMinutes(), 0, 7 * 24 * 60)));
  }
}
