package dev.gatehouse.audit;

import dev.gatehouse.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
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
        HEX.formatHex(Sha256.of(unhashed.canonicalWithoutHash())));
  }

  /** The stored line of a new record after {@code prev}, serialized and hashed once. */
  static byte[] createLine(long seq, Instant time, AuditEvent e, String prev) {
    byte[] canonical = new AuditRecord(seq, time, e.type(), e.actor(), e.target(), e.outcome(),
        new TreeMap<>(e.details()), prev, "")
        .canonicalWithoutHash();
    return lineOf(canonical, HEX.formatHex(Sha256.of(canonical)));
  }

  /** The hash field of a stored line. */
  static String hashOf(byte[] line) {
    return new String(line, line.length - 66, 64, StandardCharsets.US_ASCII);
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
    return lineOf(canonicalWithoutHash(), hash);
  }

  /** The canonical bytes with {@code ,"hash":HEX} before the final brace. */
  static byte[] lineOf(byte[] canonical, String hash) {
    byte[] out = new byte[canonical.length - 1 + HASH_TAIL];
    System.arraycopy(canonical, 0, out, 0, canonical.length - 1);
    int at = canonical.length - 1;
    for (byte b : (",\"hash\":\"" + hash + "\"}").getBytes(StandardCharsets.US_ASCII)) {
      out[at++] = b;
    }
    return out;
  }

  /** Whether {@code hash} is the SHA-256 of the canonical bytes. */
  public boolean hashIsRight() {
    return hashMatches(Sha256.of(canonicalWithoutHash()));
  }

  /**
   * Whether the hash in {@code line}, a line {@link #parse} accepted as this record, is the
   * SHA-256 of its canonical bytes: the line without its hash field, read in place.
   */
  boolean hashIsRight(byte[] line, MessageDigest sha) {
    sha.update(line, 0, line.length - HASH_TAIL);
    sha.update((byte) '}');
    return hashMatches(sha.digest());
  }

  private boolean hashMatches(byte[] digest) {
    return MessageDigest.isEqual(HEX.formatHex(digest).getBytes(StandardCharsets.US_ASCII),
        hash.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Reads a stored line; null unless it is exactly the canonical form of some record (one
   * strict pass: field order, escapes, sorted unique detail keys, the time format, hex hashes).
   */
  public static AuditRecord parse(byte[] line) {
    try {
      return new Reader(line).record();
    } catch (RuntimeException e) { // malformed, out of range, or cut short
      return null;
    }
  }

  /** {@code ,"hash":"} + 64 hex digits + {@code "\}} */
  private static final int HASH_TAIL = 9 + 64 + 2;

  /** A strict reader of the one canonical form; anything else is an IllegalArgumentException. */
  private static final class Reader {
    private final byte[] b;
    private int at;

    Reader(byte[] line) {
      this.b = line;
    }

    AuditRecord record() {
      expect("{\"v\":1,\"seq\":");
      long seq = number();
      expect(",\"time\":");
      Instant time = time(string());
      expect(",\"type\":");
      String type = string();
      expect(",\"actor\":");
      String actor = string();
      expect(",\"target\":");
      String target = string();
      expect(",\"outcome\":");
      String outcome = string();
      expect(",\"details\":{");
      TreeMap<String, String> details = new TreeMap<>();
      String last = null;
      while (b[at] != '}') {
        if (last != null) {
          expect(",");
        }
        String key = string();
        if (last != null && key.compareTo(last) <= 0) {
          throw new IllegalArgumentException("details keys out of order");
        }
        expect(":");
        details.put(key, string());
        last = key;
      }
      expect("},\"prev\":");
      String prev = hex(string());
      expect(",\"hash\":");
      String hash = hex(string());
      expect("}");
      if (at != b.length) {
        throw new IllegalArgumentException("trailing bytes");
      }
      return new AuditRecord(seq, time, type, actor, target, outcome, details, prev, hash);
    }

    private void expect(String literal) {
      for (int i = 0; i < literal.length(); i++) {
        if (at >= b.length || b[at++] != literal.charAt(i)) {
          throw new IllegalArgumentException("expected " + literal);
        }
      }
    }

    private long number() {
      int start = at;
      while (at < b.length && b[at] >= '0' && b[at] <= '9') {
        at++;
      }
      int digits = at - start;
      if (digits == 0 || digits > 18 || (digits > 1 && b[start] == '0')) {
        throw new IllegalArgumentException("not a canonical number");
      }
      return Long.parseLong(new String(b, start, digits, StandardCharsets.US_ASCII));
    }

    private String string() {
      expect("\"");
      int start = at;
      for (int c; at < b.length && (c = b[at]) >= 0x20 && c < 0x7f && c != '\\'; at++) {
        if (c == '"') {
          return new String(b, start, at++ - start, StandardCharsets.ISO_8859_1); // no escapes: the bytes are the text
        }
      }
      at = start;
      StringBuilder s = new StringBuilder();
      while (true) {
        int c = b[at++] & 0xff;
        if (c == '"') {
          return s.toString();
        } else if (c == '\\') {
          int e = b[at++];
          if (e == '"' || e == '\\') {
            s.append((char) e);
          } else if (e == 'u') {
            int v = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(b[at++], 16);
              if (d < 0 || Character.isUpperCase(b[at - 1])) {
                throw new IllegalArgumentException("bad escape");
              }
              v = v << 4 | d;
            }
            if (v >= 0x20 && v < 0x7f) {
              throw new IllegalArgumentException("needless escape");
            }
            s.append((char) v);
          } else {
            throw new IllegalArgumentException("bad escape");
          }
        } else if (c < 0x20 || c >= 0x7f) {
          throw new IllegalArgumentException("unescaped control or non-ASCII byte");
        } else {
          s.append((char) c);
        }
      }
    }

    private static Instant time(String t) {
      String shape = "dddd-dd-ddTdd:dd:dd.dddZ";
      if (t.length() != shape.length()) {
        throw new IllegalArgumentException("not a canonical time");
      }
      for (int i = 0; i < shape.length(); i++) {
        char c = t.charAt(i);
        if (shape.charAt(i) == 'd' ? c < '0' || c > '9' : c != shape.charAt(i)) {
          throw new IllegalArgumentException("not a canonical time");
        }
      }
      return java.time.LocalDateTime.of(num(t, 0, 4), num(t, 5, 7), num(t, 8, 10), num(t, 11, 13), num(t, 14, 16),
          num(t, 17, 19), num(t, 20, 23) * 1_000_000).toInstant(ZoneOffset.UTC);
    }

    private static int num(String t, int from, int to) {
      return Integer.parseInt(t, from, to, 10);
    }

    private static String hex(String h) {
      if (h.length() != 64) {
        throw new IllegalArgumentException("not a SHA-256");
      }
      byte[] digits = h.getBytes(StandardCharsets.ISO_8859_1);
      for (byte c : digits) {
        if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
          throw new IllegalArgumentException("not lower-case hex");
        }
      }
      return h;
    }
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
}
