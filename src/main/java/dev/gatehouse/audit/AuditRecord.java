package dev.gatehouse.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One line of the audit log. The canonical bytes are frozen (format version 1,
 * docs/audit-format.md):
 *
 * <pre>{"v":1,"seq":N,"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","type":S,"actor":S,"target":S,"outcome":S,"details":{S:S,...},"prev":HEX}</pre>
 *
 * keys in exactly that order, {@code details} sorted by key (UTF-16 order), no spaces,
 * strings escaped so the bytes are ASCII: {@code \"}, {@code \\}, and {@code \\u00xx} for
 * every character below 0x20, 0x7f and above (UTF-16 units, lower-case hex). No value can
 * forge a line break or a field. {@code hash} is the lower-case hex SHA-256 of those bytes;
 * the stored line is the same object with {@code ,"hash":HEX} before the final brace.
 */
public record AuditRecord(long seq, Instant time, String type, String actor, String target, String outcome,
    SortedMap<String, String> details, String prev, String hash) {
  public static final int VERSION = 1;
  public static final String GENESIS = "0".repeat(64);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  public AuditRecord {
    details = new TreeMap<>(details);
    time = time.truncatedTo(ChronoUnit.MILLIS);
  }

  /** A new record after {@code prev}, with its hash computed. */
  static AuditRecord create(long seq, Instant time, AuditEvent e, String prev) {
    AuditRecord unhashed = new AuditRecord(seq, time, e.type(), e.actor(), e.target(), e.outcome(),
        new TreeMap<>(e.details()), prev, "");
    return new AuditRecord(seq, unhashed.time, e.type(), e.actor(), e.target(), e.outcome(), unhashed.details, prev,
        HEX.formatHex(sha256(unhashed.canonicalWithoutHash())));
  }

  public byte[] canonicalWithoutHash() {
    StringBuilder s = new StringBuilder(256);
    s.append("{\"v\":").append(VERSION).append(",\"seq\":").append(seq).append(",\"time\":");
    str(s, TIME.format(time));
    s.append(",\"type\":");
    str(s, type);
    s.append(",\"actor\":");
    str(s, actor);
    s.append(",\"target\":");
    str(s, target);
    s.append(",\"outcome\":");
    str(s, outcome);
    s.append(",\"details\":{");
    boolean first = true;
    for (Map.Entry<String, String> d : details.entrySet()) {
      if (!first) {
        s.append(',');
      }
      first = false;
      str(s, d.getKey());
      s.append(':');
      str(s, d.getValue());
    }
    s.append("},\"prev\":");
    str(s, prev);
    s.append('}');
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** The stored line, without its newline. */
  public byte[] line() {
    byte[] body = canonicalWithoutHash();
    String tail = ",\"hash\":\"" + hash + "\"}";
    byte[] out = new byte[body.length - 1 + tail.length()];
    System.arraycopy(body, 0, out, 0, body.length - 1);
    System.arraycopy(tail.getBytes(StandardCharsets.US_ASCII), 0, out, body.length - 1, tail.length());
    return out;
  }

  /** Whether {@code hash} is the SHA-256 of the canonical bytes. */
  public boolean hashIsRight() {
    return MessageDigest.isEqual(HEX.formatHex(sha256(canonicalWithoutHash())).getBytes(StandardCharsets.US_ASCII),
        hash.getBytes(StandardCharsets.US_ASCII));
  }

  /** Reads a stored line; null if it is not exactly the canonical form of some record. */
  public static AuditRecord parse(byte[] line) {
    try {
      JsonNode n = JSON.readTree(line);
      if (n == null || !n.isObject() || n.size() != 10 || n.path("v").intValue() != VERSION
          || !n.path("seq").isIntegralNumber()) {
        return null;
      }
      SortedMap<String, String> details = new TreeMap<>();
      JsonNode d = n.get("details");
      if (d == null || !d.isObject()) {
        return null;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = d.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (!f.getValue().isTextual()) {
          return null;
        }
        details.put(f.getKey(), f.getValue().textValue());
      }
      AuditRecord r = new AuditRecord(n.get("seq").longValue(), Instant.parse(text(n, "time")), text(n, "type"),
          text(n, "actor"), text(n, "target"), text(n, "outcome"), details, text(n, "prev"), text(n, "hash"));
      return java.util.Arrays.equals(r.line(), line) ? r : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(field);
    }
    return v.textValue();
  }

  private static void str(StringBuilder s, String value) {
    s.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"') {
        s.append("\\\"");
      } else if (c == '\\') {
        s.append("\\\\");
      } else if (c < 0x20 || c >= 0x7f) {
        s.append(String.format("\\u%04x", (int) c));
      } else {
        s.append(c);
      }
    }
    s.append('"');
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
