package dev.gatehouse.broker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a caller-supplied path may be. Checks happen on the decoded text, so no encoding
 * ({@code %2e%2e}, {@code %252e}, {@code %2f}) can smuggle a segment past them, and the
 * upstream receives a path re-encoded by Gatehouse, never the caller's bytes.
 */
public final class PathRules {
  private PathRules() {}

  /**
   * Decodes and checks a pass-through path (without its query): absolute, no empty, {@code .}
   * or {@code ..} segment, no backslash, no control character, no {@code %} left after one
   * decoding (double encoding), valid UTF-8.
   *
   * @return the decoded path
   * @throws IllegalArgumentException saying what is wrong (safe to show the caller)
   */
  public static String normalize(String raw) {
    if (raw.isEmpty() || raw.charAt(0) != '/') {
      throw new IllegalArgumentException("the path must start with /");
    }
    String decoded = decode(raw);
    if (decoded.indexOf('%') >= 0) {
      throw new IllegalArgumentException("the path is encoded twice");
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        throw new IllegalArgumentException("the path holds a control character or a backslash");
      }
    }
    if (decoded.contains("//")) {
      throw new IllegalArgumentException("the path has an empty segment (//)");
    }
    for (String segment : decoded.substring(1).split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("the path has a . or .. segment");
      }
    }
    return decoded;
  }

  /**
   * One path segment from a parameter value. Refused: empty, {@code .}, {@code ..}, and any
   * {@code / \ ? # %} or control character — not encoded, refused, because HTTP clients and
   * servers disagree on what an encoded slash means.
   */
  public static String segment(String value) {
    if (value.isEmpty() || value.equals(".") || value.equals("..")) {
      throw new IllegalArgumentException("a path parameter cannot be empty, . or ..");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '/' || c == '\\' || c == '?' || c == '#' || c == '%' || c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException("a path parameter cannot hold / \\ ? # % or control characters");
      }
    }
    return encode(value, false);
  }

  /** Encodes a decoded path for the wire, segment by segment. */
  public static String encodePath(String decoded) {
    List<String> out = new ArrayList<>();
    for (String s : decoded.split("/", -1)) {
      out.add(encode(s, false));
    }
    return String.join("/", out);
  }

  /** Encodes a query name or value. */
  public static String encodeQuery(String value) {
    return encode(value, true);
  }

  /** Strict percent-decoding as UTF-8: a malformed escape or invalid UTF-8 is refused. */
  static String decode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
          throw new IllegalArgumentException("the path has a malformed % escape");
        }
        out.write(Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
        i += 2;
      } else if (c > 0x7e) {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      } else {
        out.write(c);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("the path is not valid UTF-8");
    }
  }

  private static String encode(String s, boolean query) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || (!query && (c == ':' || c == '@' || c == ','));
      if (plain) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }
}
