package dev.gatehouse.broker;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What a caller-supplied path may be: the one normalizer behind pass-through paths, path
 * parameters and same-host redirects.
 *
 * <p>Gatehouse's reading of a path is its text after one strict percent-decoding (UTF-8,
 * overlong forms and other invalid sequences refused), split at {@code /}. The upstream
 * receives that text re-encoded by Gatehouse, never the caller's bytes. Guarantee: a path is
 * accepted only if every common server reading of what Gatehouse sends equals Gatehouse's
 * own, segment by segment: none of them can resolve to another path, so the check against
 * {@code allow_paths} holds for the upstream as it does for Gatehouse. The readings, and
 * which servers apply them, are catalogued in docs/broker.md.
 */
public final class PathRules {
  private PathRules() {}

  /**
   * One way a server may read a decoded segment, as the condition under which that reading
   * differs from the segment itself: such a segment is refused.
   */
  private record Reading(String refusal, Predicate<String> changes) {}

  private static final List<Reading> READINGS = List.of(
      new Reading("holds ';': servlet containers (Tomcat, Jetty, Spring) drop a segment's ;parameters "
          + "before resolving . and .., so ..;x reads as ..", s -> s.indexOf(';') >= 0),
      new Reading("holds a backslash, which IIS, Windows servers and WHATWG URL parsers read as /",
          s -> s.indexOf('\\') >= 0),
      new Reading("holds '%' after decoding: a server that decodes twice reads another path (%252e as .)",
          s -> s.indexOf('%') >= 0),
      new Reading("holds '?' or '#' after decoding, which a proxy that re-sends the decoded path reads as "
          + "the start of a query or fragment", s -> s.indexOf('?') >= 0 || s.indexOf('#') >= 0),
      new Reading("is changed by Unicode NFKC normalization (U+FF0F reads as /, U+FF0E and U+2024 as .)",
          s -> !Normalizer.isNormalized(s, Normalizer.Form.NFKC)),
      new Reading("ends in '.' or a space, which Windows drops from a file or folder name",
          s -> s.endsWith(".") || s.endsWith(" ")));

  /**
   * Decodes and checks a pass-through path (without its query): absolute; no empty segment
   * (a trailing {@code /} is allowed), no {@code .} or {@code ..}; and every segment as
   * {@link #checkSegment} requires.
   *
   * @return the decoded path (Gatehouse's reading)
   * @throws IllegalArgumentException saying what is wrong (safe to show the caller)
   */
  public static String normalize(String raw) {
    if (raw.isEmpty() || raw.charAt(0) != '/') {
      throw new IllegalArgumentException("the path must start with /");
    }
    String decoded = decode(raw);
    String[] segments = decoded.substring(1).split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      if (segment.isEmpty() && i < segments.length - 1) {
        throw new IllegalArgumentException("the path has an empty segment (//)");
      }
      if (!segment.isEmpty()) {
        checkSegment(segment, "the path");
      }
    }
    return decoded;
  }

  /**
   * One path segment from a parameter value, under the same rule as a pass-through segment,
   * and without {@code /}: a value is never encoded into a slash, because HTTP clients and
   * servers disagree on what an encoded slash means.
   *
   * @return the value encoded for the wire
   */
  public static String segment(String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a path parameter cannot be empty, . or ..");
    }
    if (value.indexOf('/') >= 0) {
      throw new IllegalArgumentException("a path parameter cannot hold /");
    }
    checkSegment(value, "a path parameter");
    return encode(value, false);
  }

  /**
   * The shared rule for one decoded segment: not {@code .} or {@code ..}; no control
   * character; outside ASCII only letters, combining marks and digits (Unicode categories L,
   * M, N: a Windows best-fit table maps look-alike punctuation and symbols such as U+2215,
   * U+00A5 and U+20A9 onto {@code / \}, and no list of every code page's table is needed to
   * refuse them); and no reading in {@link #READINGS} changes it.
   */
  private static void checkSegment(String segment, String what) {
    if (segment.equals(".") || segment.equals("..")) {
      throw new IllegalArgumentException(what + " has a . or .. segment, or is one");
    }
    for (int i = 0; i < segment.length(); ) {
      int c = segment.codePointAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && !letterMarkOrDigit(c))) {
        throw new IllegalArgumentException(what + " holds " + (c < 0x80 ? "a control character"
            : String.format("U+%04X, which is not a letter, mark or digit (outside ASCII only those are "
                + "allowed: servers map look-alike punctuation onto . / \\)", c)));
      }
      i += Character.charCount(c);
    }
    for (Reading r : READINGS) {
      if (r.changes().test(segment)) {
        throw new IllegalArgumentException(what + " " + r.refusal());
      }
    }
  }

  private static boolean letterMarkOrDigit(int c) {
    return switch (Character.getType(c)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK,
          Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK, Character.DECIMAL_DIGIT_NUMBER,
          Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
      default -> false;
    };
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

  /**
   * Strict percent-decoding as UTF-8: a malformed escape, invalid UTF-8 (overlong forms such
   * as {@code %c0%ae} included) or a lone surrogate in the text is refused.
   */
  static String decode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
          throw new IllegalArgumentException("the path has a malformed % escape");
        }
        out.write(Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
        i += 3;
        continue;
      }
      if (Character.getType(c) == Character.SURROGATE) {
        throw new IllegalArgumentException("the path is not valid UTF-8");
      }
      out.writeBytes(Character.toString(c).getBytes(StandardCharsets.UTF_8));
      i += Character.charCount(c);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
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
