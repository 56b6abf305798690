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
public record Config(TotpPolicy totp, FileAuditLog.Settings audit, Server server, Limits limits, Chat chat,
    TrustSettings trust, java.util.List<NotifySink> notifications, java.util.Optional<Witness> witness,
    Storage storage) {
  public static final Config DEFAULT = new Config(TotpPolicy.DEFAULT, FileAuditLog.Settings.DEFAULT, Server.DEFAULT,
      Limits.DEFAULT, Chat.DEFAULT, TrustSettings.DEFAULT, java.util.List.of(), java.util.Optional.empty(),
      Storage.DEFAULT);

  public Config {
    notifications = java.util.List.copyOf(notifications);
    java.util.Objects.requireNonNull(storage, "storage");
  }

  /** The settings with the embedded storage backend. */
  public Config(TotpPolicy totp, FileAuditLog.Settings audit, Server server, Limits limits, Chat chat,
      TrustSettings trust, java.util.List<NotifySink> notifications, java.util.Optional<Witness> witness) {
    this(totp, audit, server, limits, chat, trust, notifications, witness, Storage.DEFAULT);
  }

  /**
   * Where the state lives ({@code storage:}; docs/storage.md): the embedded backend (SQLite and
   * files in the home) or a PostgreSQL database shared by several daemons. {@code postgres} is
   * present exactly when {@code backend} is {@link Backend#POSTGRES}.
   */
  public record Storage(Backend backend, java.util.Optional<Postgres> postgres) {
    public static final Storage DEFAULT = new Storage(Backend.EMBEDDED, java.util.Optional.empty());

    public Storage {
      java.util.Objects.requireNonNull(backend, "backend");
      if (postgres.isPresent() != (backend == Backend.POSTGRES)) {
        throw new IllegalArgumentException("a PostgreSQL database is given exactly with backend POSTGRES");
      }
    }

    public static Storage postgres(Postgres database) {
      return new Storage(Backend.POSTGRES, java.util.Optional.of(database));
    }

    public enum Backend { EMBEDDED, POSTGRES }

    /** How the connection to the database is protected; each is the libpq/pgjdbc {@code sslmode} of that name. */
    public enum TlsMode {
      /** No TLS: only for a database on this host (the default for a loopback url). */
      DISABLE("disable"),
      /** Encrypted, but the server is not authenticated: a network attacker can pose as it. */
      REQUIRE("require"),
      /** Encrypted; the server's certificate must chain to the trusted roots, whatever name it is for. */
      VERIFY_CA("verify-ca"),
      /** Encrypted; the server's certificate must chain to the trusted roots and name the url's host. */
      VERIFY_FULL("verify-full");

      private final String sslmode;

      TlsMode(String sslmode) {
        this.sslmode = sslmode;
      }

      /** The value as written in {@code gatehouse.yaml}, which is also pgjdbc's {@code sslmode}. */
      public String sslmode() {
        return sslmode;
      }

      /** Whether the server's certificate is checked against trusted roots. */
      public boolean verifiesCertificate() {
        return this == VERIFY_CA || this == VERIFY_FULL;
      }

      public static java.util.Optional<TlsMode> parse(String text) {
        return java.util.Arrays.stream(values()).filter(m -> m.sslmode.equals(text)).findFirst();
      }
    }

    /**
     * A PostgreSQL database. It holds no secret: the password stays in the vault entry
     * {@code passwordSecret} and is given to {@link #connectionProperties} only when connecting.
     *
     * @param host a DNS name, an IPv4 address, or an IPv6 address without brackets
     * @param rootCert the PEM file of the roots the server's certificate must chain to; only with
     *     a verifying {@code tls}. Absent there, pgjdbc reads {@code ~/.postgresql/root.crt} of the
     *     user the daemon runs as, and refuses to connect without it (docs/storage.md).
     */
    public record Postgres(String host, int port, String database, String user, String passwordSecret, TlsMode tls,
        java.util.Optional<Path> rootCert) {
      /** The port when the url names none. */
      public static final int DEFAULT_PORT = 5432;
      /** Database and user names: what {@code gatehouse.yaml} accepts, a subset of what PostgreSQL does. */
      public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,63}");

      public Postgres {
        java.util.Objects.requireNonNull(host, "host");
        java.util.Objects.requireNonNull(tls, "tls");
        if (host.isEmpty() || port < 1 || port > 65535 || !NAME.matcher(database).matches()
            || !NAME.matcher(user).matches() || !dev.gatehouse.vault.Vault.NAME.matcher(passwordSecret).matches()) {
          throw new IllegalArgumentException("not a valid PostgreSQL database");
        }
        if (rootCert.isPresent() && (!tls.verifiesCertificate() || !rootCert.get().isAbsolute())) {
          throw new IllegalArgumentException("a root certificate is an absolute path, and only with verify-ca or verify-full");
        }
      }

      /** {@code jdbc:postgresql://HOST:PORT/DATABASE}, with nothing after it: every setting is in the properties. */
      public String jdbcUrl() {
        return "jdbc:postgresql://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + "/" + database;
      }

      /**
       * pgjdbc's connection properties (names as in pgjdbc 42.7's {@code PGProperty}), the
       * password among them. pgjdbc takes the password only as a String, which cannot be wiped:
       * hold the result no longer than the connecting takes. Its {@code toString()} leaves
       * the password out. {@code sslfactory} is pgjdbc's default (libpq's behaviour).
       */
      public java.util.Properties connectionProperties(char[] password) {
        java.util.Objects.requireNonNull(password, "password");
        java.util.Properties p = new ConnectionProperties();
        p.setProperty("user", user);
        p.setProperty("password", new String(password));
        p.setProperty("sslmode", tls.sslmode());
        rootCert.ifPresent(file -> p.setProperty("sslrootcert", file.toString()));
        p.setProperty("ApplicationName", "gatehouse");
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        p.setProperty("tcpKeepAlive", "true");
        return p;
      }
    }

    /** Properties whose printed form never shows the password. */
    private static final class ConnectionProperties extends java.util.Properties {
      @Override
      public synchronized String toString() {
        java.util.Map<Object, Object> shown = new java.util.TreeMap<>(java.util.Comparator.comparing(String::valueOf));
        forEach((k, v) -> shown.put(k, "password".equals(k) ? "(redacted)" : v));
        return shown.toString();
      }
    }
  }

  /** Where every signed audit checkpoint is also sent as it is made ({@code audit.witness}; docs/audit-format.md). */
  public sealed interface Witness {}

  /** Appended to {@code path} (absolute), one signed note after another. */
  public record FileWitness(java.nio.file.Path path) implements Witness {}

  /** Run once per checkpoint, the signed note on standard input. */
  public record CommandWitness(java.util.List<String> argv) implements Witness {
    public CommandWitness {
      argv = java.util.List.copyOf(argv);
    }
  }

  /** POSTed the signed note: on loopback, or to an address the egress guard accepts. */
  public record WebhookWitness(java.net.URI url) implements Witness {}

  /**
   * Trust levels (DESIGN §10).
   *
   * @param approvalMinutes how long an approval waits for the owner (and then counts as denied)
   * @param demoteAfter this many pieces of evidence against agents in one domain within
   *     {@code demoteWindow} lower it one level
   * @param approveWithCode domains whose approvals need a fresh TOTP code
   */
  public record TrustSettings(int approvalMinutes, int demoteAfter, Duration demoteWindow,
      java.util.Set<dev.gatehouse.trust.Domain> approveWithCode) {
    public static final TrustSettings DEFAULT = new TrustSettings(15, 3, Duration.ofMinutes(10),
        java.util.EnumSet.of(dev.gatehouse.trust.Domain.SHELL, dev.gatehouse.trust.Domain.SYSTEM,
            dev.gatehouse.trust.Domain.FINANCE));

    public TrustSettings {
      approveWithCode = java.util.Set.copyOf(approveWithCode);
    }
  }

  /** Where owner notifications go (DESIGN §10): {@code notify:} is a list of these. */
  public sealed interface NotifySink {}

  /** A signed JSON POST; {@code secret} names the vault entry of the HMAC key; the URL passes the egress guard. */
  public record WebhookSink(java.net.URI url, String secret, java.util.List<String> allowPrivate) implements NotifySink {
    public WebhookSink {
      allowPrivate = java.util.List.copyOf(allowPrivate);
    }
  }

  /** A program (argv, no shell) given the notification as JSON on stdin, time-limited. */
  public record CommandSink(java.util.List<String> argv) implements NotifySink {
    public CommandSink {
      argv = java.util.List.copyOf(argv);
    }
  }

  /** The Telegram bridge's bot, to the owner's chat. */
  public record TelegramSink(long chatId) implements NotifySink {}

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
   * @param bind the address it listens on (an address other than loopback needs {@code tls} and an owner account)
   * @param rotateOverlap how long an agent's key stays valid after {@code agent rotate}
   * @param tls the certificate and key it serves HTTPS with, when configured
   */
  public record Server(String bind, int port, int maxBodyBytes, Duration rotateOverlap, java.util.Optional<Tls> tls) {
    public static final Server DEFAULT = new Server("127.0.0.1", 19999, 64 * 1024, Duration.ofMinutes(10),
        java.util.Optional.empty());
  }

  /**
   * {@code server.tls}: PEM files, each path as written (relative paths are taken from the home
   * by whoever reads them); the key is a secret and is held to the home's file modes.
   */
  public record Tls(String certificate, String key) {}

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
    Section root = Section.root(fileName, YamlTree.parse(fileName, text), "totp", "audit", "server", "limits", "chat",
        "trust", "notify", "storage");
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
        "checkpoint_every_seconds", "witness");
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
        server(root.section("server", "bind", "port", "max_body_kib", "agent_key_overlap_minutes", "tls")),
        limits(root.section("limits", "per_agent", "per_action", "per_source")),
        chat(root.section("chat", "session_minutes", "challenge_seconds", "gate", "channels", "telegram")),
        trust(root.section("trust", "approval_minutes", "demote_after", "approve_with_code")),
        notify(root), witness(audit), StorageSection.read(root));
  }

  private static java.util.Optional<Witness> witness(Section audit) {
    if (!audit.has("witness")) {
      return java.util.Optional.empty();
    }
    Section w = audit.section("witness", "file", "command", "webhook");
    int given = (w.has("file") ? 1 : 0) + (w.has("command") ? 1 : 0) + (w.has("webhook") ? 1 : 0);
    if (given != 1) {
      throw audit.problem("witness", "must name exactly one of file: PATH, command: [PROGRAM, ARG...] or webhook: URL");
    }
    if (w.has("file")) {
      String path = w.required("file", v -> v.startsWith("/") && v.indexOf('\0') < 0 && !v.endsWith("/"),
          "an absolute file path, outside the home");
      return java.util.Optional.of(new FileWitness(java.nio.file.Path.of(path).normalize()));
    }
    if (w.has("command")) {
      java.util.List<String> argv = w.strings("command", v -> !v.isEmpty() && v.indexOf('\0') < 0,
          "a non-empty argument");
      if (argv.isEmpty()) {
        throw w.problem("command", "is required: [PROGRAM, ARG...]");
      }
      return java.util.Optional.of(new CommandWitness(argv));
    }
    String url = w.required("webhook", Config::isHttpUrl, "an http(s) URL");
    return java.util.Optional.of(new WebhookWitness(java.net.URI.create(url)));
  }

  private static TrustSettings trust(Section s) {
    TrustSettings d = TrustSettings.DEFAULT;
    int minutes = s.integer("approval_minutes", d.approvalMinutes(), 1, 1440);
    int demote = d.demoteAfter();
    Duration window = d.demoteWindow();
    String text = s.string("demote_after", null, v -> v.matches("[0-9]{1,3} within [0-9]{1,4} minutes?"),
        "a rule such as \"3 within 10 minutes\" (refusals or denials in one domain that lower it one level)");
    if (text != null) {
      String[] parts = text.split(" ");
      demote = Integer.parseInt(parts[0]);
      window = Duration.ofMinutes(Integer.parseInt(parts[2]));
      if (demote < 1 || window.isZero()) {
        throw s.problem("demote_after", "needs at least 1 within at least 1 minute");
      }
    }
    java.util.Set<dev.gatehouse.trust.Domain> withCode = d.approveWithCode();
    if (s.has("approve_with_code")) {
      withCode = java.util.EnumSet.noneOf(dev.gatehouse.trust.Domain.class);
      for (String name : s.strings("approve_with_code", v -> dev.gatehouse.trust.Domain.parse(v).isPresent(),
          "a domain: " + dev.gatehouse.trust.Domain.names())) {
        withCode.add(dev.gatehouse.trust.Domain.parse(name).orElseThrow());
      }
    }
    return new TrustSettings(minutes, demote, window, withCode);
  }

  private static java.util.List<NotifySink> notify(Section root) {
    java.util.List<Section> items = root.sectionList("notify", "type", "url", "secret", "allow_private", "argv",
        "chat_id");
    java.util.List<NotifySink> sinks = new java.util.ArrayList<>();
    for (Section item : items) {
      String type = item.required("type", v -> v.matches("webhook|command|telegram"), "webhook, command or telegram");
      switch (type) {
        case "webhook" -> {
          String url = item.required("url", Config::isHttpUrl, "an http(s) URL");
          String secret = item.required("secret", v -> v.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}"),
              "the name of the vault entry with the HMAC key (`gatehouse vault add NAME`)");
          sinks.add(new WebhookSink(java.net.URI.create(url), secret, item.strings("allow_private",
              v -> v.matches("[0-9a-fA-F.:]+/[0-9]{1,3}"), "a CIDR such as 192.168.1.0/24")));
        }
        case "command" -> {
          java.util.List<String> argv = item.strings("argv", v -> !v.isEmpty() && v.indexOf('\0') < 0,
              "a non-empty argument");
          if (argv.isEmpty()) {
            throw item.problem("argv", "is required: [PROGRAM, ARG...]");
          }
          sinks.add(new CommandSink(argv));
        }
        default -> sinks.add(new TelegramSink(Long.parseLong(item.required("chat_id", v -> v.matches("-?[0-9]{1,18}"),
            "the owner's numeric Telegram chat id"))));
      }
    }
    return sinks;
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
        Duration.ofMinutes(s.integer("agent_key_overlap_minutes", (int) d.rotateOverlap().toMinutes(), 0, 7 * 24 * 60)),
        s.has("tls") ? java.util.Optional.of(tls(s.section("tls", "certificate", "key"))) : java.util.Optional.empty());
  }

  private static Tls tls(Section s) {
    java.util.function.Predicate<String> path = v -> !v.isBlank() && v.indexOf('\0') < 0 && v.length() <= 4096;
    return new Tls(
        s.required("certificate", path, "the path of a PEM certificate file (relative paths are taken from the home)"),
        s.required("key", path, "the path of the certificate's PEM private key file (relative paths are taken from"
            + " the home; mode 0600)"));
  }
}
