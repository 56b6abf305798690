package dev.gatehouse.guard;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds text hidden in encodings inside a text, and decodes it so it can be scanned again:
 * base64 (standard and URL-safe), base32, hex (plain, spaced, {@code \x}, {@code 0x}),
 * percent-encoding, {@code \}{@code u} escapes, HTML numeric entities, and, when the text asks
 * for it, rot13 and reversed text; leetspeak when the text is full of it.
 *
 * <p>Only decodings that read as text are returned: a key, an image, a digest or a token's
 * signature decodes to bytes that are not text and is dropped here, before any rule sees it.
 *
 * <p>Bounded: at most {@link #MAX_CANDIDATES} candidates per text, each decoded from at most
 * {@link #MAX_RUN} characters.
 */
final class EncodedText {
  static final int MAX_CANDIDATES = 32;
  static final int MAX_RUN = 16 * 1024;

  private EncodedText() {}

  /** One decoding: how it was encoded, and what it says. */
  record Decoded(String encoding, String text) {}

  static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{16,}={0,2}");
  static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]{16,}");
  static final Pattern BASE32 = Pattern.compile("[A-Z2-7]{16,}={0,6}");
  static final Pattern HEX = Pattern.compile(
      "(?:[0-9a-fA-F]{2}){8,}|(?:[0-9a-fA-F]{2}[ :,]){7,}[0-9a-fA-F]{2}|(?:\\\\x[0-9a-fA-F]{2}){4,}"
          + "|(?:0x[0-9a-fA-F]{2}[ ,]{0,2}){4,}");
  static final Pattern PERCENT = Pattern.compile("%[0-9a-fA-F]{2}");
  static final Pattern U_ESCAPE = Pattern.compile("\\\\u([0-9a-fA-F]{4})|\\\\U([0-9a-fA-F]{8})");
  static final Pattern ENTITY = Pattern.compile("&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));");
  private static final Pattern ROT13_ASKED = Pattern.compile("(?i)\\brot[- ]?13\\b|\\bcaesar\\b");
  private static final Pattern REVERSE_ASKED = Pattern.compile(
      "(?i)\\b(?:backwards?|reversed?|in reverse|right to left|al rev[eé]s|à l'envers|rückwärts|задом наперёд|задом наперед)\\b");
  private static final String[] ROT13_ANCHORS = {"rot", "caesar"};
  private static final String[] REVERSE_ANCHORS = {"backward", "revers", "right to left", "al rev", "l'envers", "rückwärts", "задом"};
  private static final Pattern LEET_WORD = Pattern.compile("\\b(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[013457@$])[a-z0-9@$]{3,}\\b");

  /** The hidden texts in {@code text}, in order of appearance, at most {@link #MAX_CANDIDATES}. */
  static List<Decoded> find(String text) {
    List<Decoded> out = new ArrayList<>();
    Shape shape = Shape.of(text);
    if (shape.base64()) {
      runs(text, BASE64, "base64", out, EncodedText::base64);
    }
    if (shape.base64url()) {
      runs(text, BASE64URL, "base64url", out, EncodedText::base64url);
    }
    if (shape.base32()) {
      runs(text, BASE32, "base32", out, EncodedText::base32);
    }
    if (shape.hex()) {
      runs(text, HEX, "hex", out, EncodedText::hex);
    }
    if (shape.percent()) {
      whole(text, PERCENT, 3, "percent-encoding", out, EncodedText::percent);
    }
    if (shape.unicodeEscapes()) {
      whole(text, U_ESCAPE, 3, "unicode escapes", out, EncodedText::unicodeEscapes);
    }
    if (shape.entities()) {
      whole(text, ENTITY, 3, "html entities", out, EncodedText::entities);
    }
    String lower = text.toLowerCase(Locale.ROOT);
    if (InjectionRules.mayMatch(ROT13_ANCHORS, lower) && ROT13_ASKED.matcher(text).find()) {
      add(out, "rot13", rot13(text));
    }
    if (InjectionRules.mayMatch(REVERSE_ANCHORS, lower) && REVERSE_ASKED.matcher(text).find()) {
      add(out, "reversed text", new StringBuilder(text).reverse().toString());
    }
    if (text.chars().filter(c -> (c >= '0' && c <= '9') || c == '@' || c == '$').limit(3).count() < 3) {
      return out;
    }
    Matcher leet = LEET_WORD.matcher(lower);
    int leetWords = 0;
    while (leet.find() && leetWords < 3) {
      if (!leet.group().chars().allMatch(Character::isDigit)) {
        leetWords++;
      }
    }
    if (leetWords >= 3) {
      add(out, "leetspeak", unleet(lower));
    }
    return out;
  }

  /**
   * What one pass over a text shows about which encoding patterns could match in it. Each
   * method is false only when its pattern cannot match (a necessary condition, checked by
   * EncodedTextTest against the patterns themselves), so skipping a pattern on false changes
   * no result; most texts (JSON with short words) rule every pattern out and pay no regex.
   */
  record Shape(int base64Run, int base64urlRun, int base32Run, int hexRun, int hexPairsBeforeSeparator,
      int backslashX, int zeroX, int percents, int backslashes, int entityStarts) {

    static Shape of(String text) {
      int b64 = 0;
      int b64url = 0;
      int b32 = 0;
      int hexd = 0;
      int maxB64 = 0;
      int maxB64url = 0;
      int maxB32 = 0;
      int maxHex = 0;
      int pairsBeforeSep = 0;
      int backslashX = 0;
      int zeroX = 0;
      int percents = 0;
      int backslashes = 0;
      int entityStarts = 0;
      char prev = 0;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        boolean alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        boolean isHex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        b64 = alnum || c == '+' || c == '/' ? b64 + 1 : 0;
        b64url = alnum || c == '_' || c == '-' ? b64url + 1 : 0;
        b32 = (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7') ? b32 + 1 : 0;
        if ((c == ' ' || c == ':' || c == ',') && hexd >= 2) {
          pairsBeforeSep++;
        }
        hexd = isHex ? hexd + 1 : 0;
        maxB64 = Math.max(maxB64, b64);
        maxB64url = Math.max(maxB64url, b64url);
        maxB32 = Math.max(maxB32, b32);
        maxHex = Math.max(maxHex, hexd);
        if (c == 'x' && prev == '\\') {
          backslashX++;
        } else if (c == 'x' && prev == '0') {
          zeroX++;
        } else if (c == '%') {
          percents++;
        } else if (c == '\\') {
          backslashes++;
        } else if (c == '#' && prev == '&') {
          entityStarts++;
        }
        prev = c;
      }
      return new Shape(maxB64, maxB64url, maxB32, maxHex, pairsBeforeSep, backslashX, zeroX, percents, backslashes,
          entityStarts);
    }

    boolean base64() {
      return base64Run >= 16;
    }

    boolean base64url() {
      return base64urlRun >= 16;
    }

    boolean base32() {
      return base32Run >= 16;
    }

    /** One of HEX's four forms: 16 digits in a row, 7 separated pairs, 4 {@code \x}, 4 {@code 0x}. */
    boolean hex() {
      return hexRun >= 16 || hexPairsBeforeSeparator >= 7 || backslashX >= 4 || zeroX >= 4;
    }

    /** {@code whole} needs three escapes, each starting with its own character. */
    boolean percent() {
      return percents >= 3;
    }

    boolean unicodeEscapes() {
      return backslashes >= 3;
    }

    boolean entities() {
      return entityStarts >= 3;
    }
  }

  private interface Decoder {
    String decode(String run);
  }

  private static void runs(String text, Pattern p, String name, List<Decoded> out, Decoder d) {
    Matcher m = p.matcher(text);
    while (m.find() && out.size() < MAX_CANDIDATES) {
      String run = m.group();
      if (run.length() > MAX_RUN) {
        run = run.substring(0, MAX_RUN);
      }
      add(out, name, d.decode(run));
    }
  }

  private static void whole(String text, Pattern p, int atLeast, String name, List<Decoded> out, Decoder d) {
    Matcher m = p.matcher(text);
    int count = 0;
    while (count < atLeast && m.find()) {
      count++;
    }
    if (count >= atLeast) {
      add(out, name, d.decode(text));
    }
  }

  private static void add(List<Decoded> out, String name, String decoded) {
    if (decoded != null && out.size() < MAX_CANDIDATES && readsAsText(decoded)) {
      out.add(new Decoded(name, decoded));
    }
  }

  /** Mostly letters, spaces and punctuation, with no control characters but whitespace. */
  static boolean readsAsText(String s) {
    if (s.length() < 4) {
      return false;
    }
    int letters = 0;
    int bad = 0;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      if (Character.isLetter(c)) {
        letters++;
      } else if (c == 0xFFFD || (Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t')) {
        bad++;
      }
    }
    int n = s.codePointCount(0, s.length());
    return bad == 0 && letters * 2 >= n;
  }

  private static String utf8(byte[] bytes) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer cb = dec.decode(ByteBuffer.wrap(bytes));
      return cb.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  static String base64(String run) {
    String s = run.replace("=", "");
    if (s.length() % 4 == 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      return utf8(Base64.getDecoder().decode(pad(s)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static String base64url(String run) {
    if (run.indexOf('-') < 0 && run.indexOf('_') < 0) {
      return null; // plain base64 already tried it
    }
    String s = run.length() % 4 == 1 ? run.substring(0, run.length() - 1) : run;
    try {
      return utf8(Base64.getUrlDecoder().decode(pad(s)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String pad(String s) {
    return switch (s.length() % 4) {
      case 2 -> s + "==";
      case 3 -> s + "=";
      default -> s;
    };
  }

  static String base32(String run) {
    String s = run.replace("=", "");
    byte[] out = new byte[s.length() * 5 / 8];
    long buffer = 0;
    int bits = 0;
    int k = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int v = c >= 'A' && c <= 'Z' ? c - 'A' : c - '2' + 26;
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out[k++] = (byte) (buffer >> bits);
      }
    }
    return utf8(java.util.Arrays.copyOf(out, k));
  }

  static String hex(String run) {
    String digits = run.replace("\\x", "").replace("0x", "").replaceAll("[ :,]", "");
    if (digits.length() % 2 != 0) {
      return null;
    }
    byte[] out = new byte[digits.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(digits, 2 * i, 2 * i + 2, 16);
    }
    return utf8(out);
  }

  /** Percent-decodes every well-formed escape (as UTF-8); everything else is kept. */
  static String percent(String text) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(text.length());
    byte[] raw = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '%' && i + 2 < raw.length && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
        bytes.write(Character.digit(raw[i + 1], 16) * 16 + Character.digit(raw[i + 2], 16));
        i += 2;
      } else if (raw[i] == '+') {
        bytes.write(' ');
      } else {
        bytes.write(raw[i]);
      }
    }
    return utf8(bytes.toByteArray());
  }

  private static boolean isHex(byte b) {
    return Character.digit(b, 16) >= 0;
  }

  static String unicodeEscapes(String text) {
    Matcher m = U_ESCAPE.matcher(text);
    StringBuilder b = new StringBuilder(text.length());
    while (m.find()) {
      int cp = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2), 16);
      m.appendReplacement(b, "");
      appendCodePoint(b, cp);
    }
    m.appendTail(b);
    return b.toString();
  }

  static String entities(String text) {
    Matcher m = ENTITY.matcher(text);
    StringBuilder b = new StringBuilder(text.length());
    while (m.find()) {
      int cp = m.group(1) != null ? Integer.parseInt(m.group(1), 16) : Integer.parseInt(m.group(2));
      m.appendReplacement(b, "");
      appendCodePoint(b, cp);
    }
    m.appendTail(b);
    return b.toString();
  }

  private static void appendCodePoint(StringBuilder b, int cp) {
    if (Character.isValidCodePoint(cp) && !(cp >= 0xD800 && cp <= 0xDFFF)) {
      b.appendCodePoint(cp);
    } else {
      b.append('\uFFFD');
    }
  }

  static String rot13(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 'a' && c <= 'z') {
        c = (char) ('a' + (c - 'a' + 13) % 26);
      } else if (c >= 'A' && c <= 'Z') {
        c = (char) ('A' + (c - 'A' + 13) % 26);
      }
      b.append(c);
    }
    return b.toString();
  }

  static String unleet(String lower) {
    StringBuilder b = new StringBuilder(lower.length());
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      b.append(switch (c) {
        case '0' -> 'o';
        case '1' -> 'i';
        case '3' -> 'e';
        case '4', '@' -> 'a';
        case '5', '$' -> 's';
        case '7' -> 't';
        default -> c;
      });
    }
    return b.toString();
  }
}
