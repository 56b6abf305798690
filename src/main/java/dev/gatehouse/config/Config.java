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
public record Config(TotpPolicy totp, FileAuditLog.Settings audit, Server server, Limits limits) {
  public static final Config DEFAULT = new Config(TotpPolicy.DEFAULT, FileAuditLog.Settings.DEFAULT, Server.DEFAULT,
      Limits.DEFAULT);

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
    Section root = Section.root(fileName, YamlTree.parse(fileName, text), "totp", "audit", "server", "limits");
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
        limits(root.section("limits", "per_agent", "per_action", "per_source")));
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
