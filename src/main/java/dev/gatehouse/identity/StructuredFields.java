package dev.gatehouse.identity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict parser for RFC 8941 Structured Field Dictionaries and Inner Lists, and a serializer
 * for the two bare item types Gatehouse writes (Integer, String).
 *
 * <p>Stricter than RFC 8941 on purpose, so one field value has one meaning: a dictionary key or
 * parameter key that appears twice is refused (the RFC would keep the last), and a Byte Sequence
 * must be canonical base64 (padded, zero trailing bits). Everything else follows RFC 8941 §4.2.
 */
final class StructuredFields {
  private StructuredFields() {}

  /** The input is not a valid structured field. The message names the problem, never secrets. */
  static final class ParseException extends Exception {
    ParseException(String message) {
      super(message, null, false, false);
    }
  }

  sealed interface BareItem permits Int, Dec, Str, Tok, Bytes, Bool {}

  record Int(long value) implements BareItem {}

  /** A decimal, kept as its text: nothing in Gatehouse uses decimals, they only must parse. */
  record Dec(String text) implements BareItem {}

  record Str(String value) implements BareItem {}

  record Tok(String value) implements BareItem {}

  record Bytes(byte[] value) implements BareItem {
    Bytes {
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && Arrays.equals(value, b.value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Bytes[" + value.length + " bytes]";
    }
  }

  record Bool(boolean value) implements BareItem {}

  record Param(String key, BareItem value) {}

  /** A dictionary member or list member: an Item or an Inner List, each with parameters. */
  sealed interface Member permits Item, InnerList {
    List<Param> params();
  }

  record Item(BareItem value, List<Param> params) implements Member {
    Item {
      params = List.copyOf(params);
    }
  }

  record InnerList(List<Item> items, List<Param> params) implements Member {
    InnerList {
      items = List.copyOf(items);
      params = List.copyOf(params);
    }
  }

  /** RFC 8941 §4.2.2, with duplicate keys refused. Keys keep their order. */
  static Map<String, Member> parseDictionary(String text) throws ParseException {
    Parser p = new Parser(text);
    p.skipSp();
    Map<String, Member> dict = new LinkedHashMap<>();
    while (!p.atEnd()) {
      String key = p.key();
      Member member;
      if (p.peek() == '=') {
        p.pos++;
        member = p.member();
      } else {
        member = new Item(new Bool(true), p.params());
      }
      if (dict.putIfAbsent(key, member) != null) {
        throw new ParseException("duplicate dictionary key '" + key + "'");
      }
      p.skipOws();
      if (p.atEnd()) {
        break;
      }
      p.expect(',');
      p.skipOws();
      if (p.atEnd()) {
        throw new ParseException("trailing comma");
      }
    }
    return dict;
  }

  /** One Inner List with its parameters and nothing else (the text after a label's '='). */
  static InnerList parseInnerList(String text) throws ParseException {
    Parser p = new Parser(text);
    if (p.peek() != '(') {
      throw new ParseException("expected an inner list");
    }
    InnerList list = p.innerList();
    if (!p.atEnd()) {
      throw new ParseException("unexpected text after the inner list");
    }
    return list;
  }

  /** RFC 8941 §4.1.4: an Integer in the range ±999,999,999,999,999. */
  static String serializeInteger(long value) {
    if (value > 999_999_999_999_999L || value < -999_999_999_999_999L) {
      throw new IllegalArgumentException("integer out of structured-field range");
    }
    return Long.toString(value);
  }

  /** RFC 8941 §4.1.6: a String of printable ASCII, with '"' and '\' escaped. */
  static String serializeString(String value) {
    if (!isSfStringContent(value)) {
      throw new IllegalArgumentException("a structured-field string holds printable ASCII only");
    }
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  /** True when every character is printable ASCII (0x20-0x7E), so it can be an sf-string. */
  static boolean isSfStringContent(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** RFC 8941 §3.1.2: lcalpha or '*', then lcalpha, DIGIT, '_', '-', '.', '*'. */
  static boolean isKey(String key) {
    if (key.isEmpty() || !(isLcAlpha(key.charAt(0)) || key.charAt(0) == '*')) {
      return false;
    }
    for (int i = 1; i < key.length(); i++) {
      if (!isKeyChar(key.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLcAlpha(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isKeyChar(char c) {
    return isLcAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*';
  }

  /** RFC 9110 tchar, plus ':' and '/' as RFC 8941 allows inside tokens. */
  private static boolean isTokenChar(char c) {
    return isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~:/".indexOf(c) >= 0;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return pos >= s.length();
    }

    char peek() {
      return atEnd() ? '\0' : s.charAt(pos);
    }

    void expect(char c) throws ParseException {
      if (peek() != c || atEnd()) {
        throw new ParseException("expected '" + c + "' at offset " + pos);
      }
      pos++;
    }

    void skipSp() {
      while (!atEnd() && s.charAt(pos) == ' ') {
        pos++;
      }
    }

    void skipOws() {
      while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    Member member() throws ParseException {
      return peek() == '(' ? innerList() : item();
    }

    InnerList innerList() throws ParseException {
      expect('(');
      List<Item> items = new ArrayList<>();
      while (!atEnd()) {
        skipSp();
        if (peek() == ')') {
          pos++;
          return new InnerList(items, params());
        }
        items.add(item());
        char next = peek();
        if (atEnd() || (next != ' ' && next != ')')) {
          throw new ParseException("inner list items must be separated by spaces");
        }
      }
      throw new ParseException("unterminated inner list");
    }

    Item item() throws ParseException {
      BareItem value = bareItem();
      return new Item(value, params());
    }

    List<Param> params() throws ParseException {
      List<Param> params = new ArrayList<>();
      while (peek() == ';' && !atEnd()) {
        pos++;
        skipSp();
        String key = key();
        BareItem value = new Bool(true);
        if (peek() == '=' && !atEnd()) {
          pos++;
          value = bareItem();
        }
        for (Param p : params) {
          if (p.key().equals(key)) {
            throw new ParseException("duplicate parameter '" + key + "'");
          }
        }
        params.add(new Param(key, value));
      }
      return params;
    }

    String key() throws ParseException {
      int start = pos;
      if (atEnd() || !(isLcAlpha(peek()) || peek() == '*')) {
        throw new ParseException("expected a key at offset " + pos);
      }
      pos++;
      while (!atEnd() && isKeyChar(peek())) {
        pos++;
      }
      return s.substring(start, pos);
    }

    BareItem bareItem() throws ParseException {
      if (atEnd()) {
        throw new ParseException("expected an item at the end of the input");
      }
      char c = peek();
      if (c == '-' || isDigit(c)) {
        return number();
      } else if (c == '"') {
        return string();
      } else if (c == '*' || isAlpha(c)) {
        return token();
      } else if (c == ':') {
        return byteSequence();
      } else if (c == '?') {
        return bool();
      }
      throw new ParseException("unexpected character at offset " + pos);
    }

    BareItem number() throws ParseException {
      int start = pos;
      boolean negative = false;
      if (peek() == '-') {
        negative = true;
        pos++;
      }
      if (atEnd() || !isDigit(peek())) {
        throw new ParseException("expected a digit at offset " + pos);
      }
      int digitsStart = pos;
      int dot = -1;
      while (!atEnd()) {
        char c = peek();
        if (isDigit(c)) {
          pos++;
        } else if (c == '.' && dot < 0) {
          if (pos - digitsStart > 12) {
            throw new ParseException("decimal too long");
          }
          dot = pos;
          pos++;
        } else {
          break;
        }
        if (dot < 0 && pos - digitsStart > 15) {
          throw new ParseException("integer too long");
        }
        if (dot >= 0 && pos - digitsStart > 16) {
          throw new ParseException("decimal too long");
        }
      }
      if (dot < 0) {
        long value = Long.parseLong(s.substring(digitsStart, pos));
        return new Int(negative ? -value : value);
      }
      int fraction = pos - dot - 1;
      if (fraction < 1 || fraction > 3) {
        throw new ParseException("a decimal has one to three fractional digits");
      }
      return new Dec(s.substring(start, pos));
    }

    Str string() throws ParseException {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (!atEnd()) {
        char c = s.charAt(pos++);
        if (c == '\\') {
          if (atEnd()) {
            throw new ParseException("unterminated string");
          }
          char next = s.charAt(pos++);
          if (next != '"' && next != '\\') {
            throw new ParseException("bad escape in string");
          }
          out.append(next);
        } else if (c == '"') {
          return new Str(out.toString());
        } else if (c < 0x20 || c > 0x7e) {
          throw new ParseException("non-printable character in string");
        } else {
          out.append(c);
        }
      }
      throw new ParseException("unterminated string");
    }

    Tok token() {
      int start = pos;
      pos++;
      while (!atEnd() && isTokenChar(peek())) {
        pos++;
      }
      return new Tok(s.substring(start, pos));
    }

    Bytes byteSequence() throws ParseException {
      expect(':');
      int start = pos;
      while (!atEnd() && peek() != ':') {
        char c = peek();
        if (!(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=')) {
          throw new ParseException("bad character in byte sequence");
        }
        pos++;
      }
      if (atEnd()) {
        throw new ParseException("unterminated byte sequence");
      }
      String b64 = s.substring(start, pos);
      pos++;
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        throw new ParseException("byte sequence is not base64");
      }
      if (!Base64.getEncoder().encodeToString(bytes).equals(b64)) {
        throw new ParseException("byte sequence is not canonical base64");
      }
      return new Bytes(bytes);
    }

    Bool bool() throws ParseException {
      expect('?');
      char c = peek();
      if (!atEnd() && (c == '0' || c == '1')) {
        pos++;
        return new Bool(c == '1');
      }
      throw new ParseException("bad boolean");
    }
  }
}
