package dev.gatehouse.guard;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flags prompt-injection attempts in a text. It flags and never changes or blocks: callers
 * record the flags and pass the text on untouched. What each kind catches, and what is
 * deliberately left alone, is in docs/injection.md.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #scan} never throws, whatever the input (null included), and returns at most
 *       one flag per kind, in the order of {@link #KINDS}.
 *   <li>A detail is short (at most {@link #MAX_DETAIL} characters), printable ASCII, and
 *       never quotes the text beyond a fixed token name (such as {@code <|im_start|>}).
 *   <li>Bounded work: only the first {@link #MAX_CHARS} characters are read; every rule's
 *       gaps are bounded; decoded text is rescanned at most {@link #MAX_DEPTH} levels deep
 *       and within {@link #MAX_DECODED_CHARS} decoded characters per scan.
 *   <li>Thread-safe and stateless: one instance may be shared by every thread.
 * </ul>
 * A flag is a signal, not a verdict: a clean result does not mean a text is safe.
 */
public final class InjectionScanner {
  public static final String INSTRUCTION_OVERRIDE = "instruction_override";
  public static final String ROLE_SWITCH = "role_switch";
  public static final String TEMPLATE_TOKEN = "template_token";
  public static final String ENCODED_INSTRUCTIONS = "encoded_instructions";
  public static final String INVISIBLE_CHARACTERS = "invisible_characters";
  public static final String CONFUSABLES = "confusables";
  public static final String DELIMITER_INJECTION = "delimiter_injection";
  public static final String SECRET_REQUEST = "secret_request";

  /** Every kind, in the order flags are returned (DESIGN §9). */
  public static final List<String> KINDS = List.of(INSTRUCTION_OVERRIDE, ROLE_SWITCH, TEMPLATE_TOKEN,
      ENCODED_INSTRUCTIONS, INVISIBLE_CHARACTERS, CONFUSABLES, DELIMITER_INJECTION, SECRET_REQUEST);

  /** Characters read per text; the rest is not scanned (docs/injection.md, Limits). */
  public static final int MAX_CHARS = 1 << 20;
  static final int MAX_DEPTH = 2;
  static final int MAX_DECODED_CHARS = 64 * 1024;
  static final int MAX_DETAIL = 80;

  static final Pattern SPACES = Pattern.compile("[\\t\\x0B\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]+");

  /** The flags for {@code text}, at most one per kind, in a stable order; empty when clean. */
  public List<InjectionFlag> scan(String text) {
    Map<String, String> found = new LinkedHashMap<>();
    try {
      collect(text, found);
    } catch (RuntimeException | StackOverflowError e) {
      // A rule that fails on some input must not turn a scan into an error for the caller;
      // the flags found until then stand. (The fuzz target calls scanStrict, so such a
      // failure is found, not hidden.)
    }
    return flags(found);
  }

  /** {@link #scan} without its safety net: what the fuzz target and the tests call. */
  List<InjectionFlag> scanStrict(String text) {
    Map<String, String> found = new LinkedHashMap<>();
    collect(text, found);
    return flags(found);
  }

  private static void collect(String text, Map<String, String> found) {
    if (text == null || text.isEmpty()) {
      return;
    }
    String bounded = text.length() > MAX_CHARS ? text.substring(0, safeCut(text, MAX_CHARS)) : text;
    scanInto(bounded, 0, new int[] {MAX_DECODED_CHARS}, found);
  }

  private static List<InjectionFlag> flags(Map<String, String> found) {
    List<InjectionFlag> flags = new ArrayList<>(found.size());
    for (String kind : KINDS) {
      String detail = found.get(kind);
      if (detail != null) {
        flags.add(new InjectionFlag(kind, printable(detail)));
      }
    }
    return List.copyOf(flags);
  }

  private static int safeCut(String s, int at) {
    return Character.isHighSurrogate(s.charAt(at - 1)) ? at - 1 : at;
  }

  /** Adds the first finding of each kind in {@code text} to {@code found}. */
  private static void scanInto(String text, int depth, int[] decodeBudget, Map<String, String> found) {
    HiddenCharacters.Found hidden = HiddenCharacters.find(text);
    if (hidden.any()) {
      found.putIfAbsent(INVISIBLE_CHARACTERS, hidden.detail());
    }
    String visible = Normalizer.normalize(HiddenCharacters.strip(text), Normalizer.Form.NFKC);
    Confusables.Found spoof = Confusables.find(visible);
    if (spoof.words() > 0) {
      found.putIfAbsent(CONFUSABLES, spoof.words() + " word" + (spoof.words() == 1 ? "" : "s")
          + " mixing Latin with look-alike letters");
    }
    String folded = fold(spoof.unspoofed());
    phrases(folded, found);
    if (depth < MAX_DEPTH && decodeBudget[0] > 0) {
      encoded(visible, depth, decodeBudget, found);
    }
  }

  /** The phrase rules (overrides, roles, template tokens, delimiters, secret requests) on folded text. */
  private static void phrases(String folded, Map<String, String> found) {
    // Most of the rules' anchors are absent from a text; its character pairs rule most of them
    // out without a search.
    Bigrams pairs = new Bigrams(folded);
    first(InjectionRules.OVERRIDE, folded, pairs, found, r -> "instruction override (" + r.name() + ")");
    if (!found.containsKey(ROLE_SWITCH)) {
      String role = roleSwitch(folded, pairs);
      if (role != null) {
        found.put(ROLE_SWITCH, role);
      }
    }
    if (!found.containsKey(TEMPLATE_TOKEN)) {
      String token = templateToken(folded, pairs);
      if (token != null) {
        found.put(TEMPLATE_TOKEN, token);
      }
    }
    first(InjectionRules.DELIMITER, folded, pairs, found, r -> "fake " + r.name());
    if (!found.containsKey(DELIMITER_INJECTION)) {
      String tag = unopenedClosingTag(folded);
      if (tag != null) {
        found.put(DELIMITER_INJECTION, "closing tag </" + tag + "> with no opening");
      }
    }
    first(InjectionRules.SECRET, folded, pairs, found, r -> "asks for secrets or the system prompt (" + r.name() + ")");
  }

  private static void first(List<InjectionRules.Rule> rules, String folded, Bigrams pairs,
      Map<String, String> found,
      java.util.function.Function<InjectionRules.Rule, String> detail) {
    if (rules.isEmpty() || found.containsKey(rules.get(0).kind())) {
      return;
    }
    for (InjectionRules.Rule r : rules) {
      if (r.mayMatch(folded, pairs) && r.pattern().matcher(folded).find()) {
        found.put(r.kind(), detail.apply(r));
        return;
      }
    }
  }

  private static String roleSwitch(String folded, Bigrams pairs) {
    for (InjectionRules.Rule r : InjectionRules.ROLE) {
      if (r.mayMatch(folded, pairs) && r.pattern().matcher(folded).find()) {
        return "persona switch (" + r.name() + ")";
      }
    }
    Matcher persona = InjectionRules.PERSONA.matcher(folded);
    Matcher unrestricted = InjectionRules.UNRESTRICTED.matcher(folded);
    boolean personaPossible = InjectionRules.mayMatch(InjectionRules.PERSONA_ANCHORS, folded, pairs);
    while (personaPossible && persona.find()) {
      int from = persona.start();
      unrestricted.region(from, Math.min(folded.length(), persona.end() + 120));
      if (unrestricted.find()) {
        return "persona without its rules";
      }
    }
    unrestricted.reset();
    if (InjectionRules.mayMatch(InjectionRules.MODE_ANCHORS, folded, pairs) && InjectionRules.MODE.matcher(folded).find()
        && unrestricted.find()) {
      return "jailbreak mode";
    }
    return null;
  }

  private static String templateToken(String folded, Bigrams pairs) {
    for (InjectionRules.Rule r : InjectionRules.TEMPLATE) {
      if (!r.mayMatch(folded, pairs)) {
        continue;
      }
      Matcher m = r.pattern().matcher(folded);
      if (m.find()) {
        String token = m.group().strip();
        return "chat-template token " + (r.name().equals("special token") && token.length() <= 24 ? token : r.name());
      }
    }
    if (InjectionRules.HUMAN_TURN.matcher(folded).find() && InjectionRules.ASSISTANT_TURN.matcher(folded).find()) {
      return "chat-template token Human:/Assistant:";
    }
    return null;
  }

  /** The name of a prompt-part closing tag that no opening tag earlier in the text matches, or null. */
  private static String unopenedClosingTag(String folded) {
    Matcher m = InjectionRules.CLOSING_TAG.matcher(folded);
    while (m.find()) {
      String name = m.group(1);
      int open = folded.lastIndexOf("<" + name, m.start());
      boolean opened = false;
      while (open >= 0) {
        int after = open + 1 + name.length();
        if (after < folded.length() && (folded.charAt(after) == '>' || Character.isWhitespace(folded.charAt(after)))) {
          opened = true;
          break;
        }
        open = open == 0 ? -1 : folded.lastIndexOf("<" + name, open - 1);
      }
      if (!opened) {
        return name.length() <= 24 ? name : name.substring(0, 24);
      }
    }
    return null;
  }

  /** Decodes what is hidden in {@code visible} and scans it; a finding there is an encoded instruction. */
  private static void encoded(String visible, int depth, int[] decodeBudget, Map<String, String> found) {
    if (found.containsKey(ENCODED_INSTRUCTIONS)) {
      return;
    }
    for (EncodedText.Decoded d : EncodedText.find(visible)) {
      if (decodeBudget[0] <= 0) {
        return;
      }
      String inner = d.text().length() > decodeBudget[0] ? d.text().substring(0, safeCut(d.text(), decodeBudget[0])) : d.text();
      decodeBudget[0] -= inner.length();
      Map<String, String> innerFound = new LinkedHashMap<>();
      scanInto(inner, depth + 1, decodeBudget, innerFound);
      for (String kind : KINDS) {
        // What the text already says in the clear is not hidden by the encoding.
        if (innerFound.containsKey(kind) && (kind.equals(ENCODED_INSTRUCTIONS) || !found.containsKey(kind))) {
          found.put(ENCODED_INSTRUCTIONS, d.encoding() + " hiding " + kind);
          return;
        }
      }
    }
  }

  /**
   * The text the phrase rules read: NFKC (full-width and styled letters become plain ones),
   * lower case, typographic quotes made plain, runs of spaces collapsed to one.
   */
  static String fold(String visible) {
    String lower = visible.toLowerCase(Locale.ROOT)
        .replace('\u2019', '\'').replace('\u2018', '\'').replace('\u02BC', '\'')
        .replace('\u201C', '"').replace('\u201D', '"').replace('\u201E', '"')
        .replace("\r\n", "\n");
    return collapseSpaces(lower);
  }

  /**
   * {@code SPACES.matcher(s).replaceAll(" ")}: each run of horizontal spaces becomes one space
   * ({@code s} itself when nothing changes), without the regex. InjectionScannerTest checks
   * it against the regex.
   */
  static String collapseSpaces(String s) {
    StringBuilder b = null;
    int copied = 0;
    for (int i = 0; i < s.length(); i++) {
      if (!isSpace(s.charAt(i))) {
        continue;
      }
      int end = i + 1;
      while (end < s.length() && isSpace(s.charAt(end))) {
        end++;
      }
      if (end - i > 1 || s.charAt(i) != ' ') {
        if (b == null) {
          b = new StringBuilder(s.length());
        }
        b.append(s, copied, i).append(' ');
        copied = end;
      }
      i = end - 1;
    }
    return b == null ? s : b.append(s, copied, s.length()).toString();
  }

  /** The characters of {@link #SPACES}. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == 0x0B || c == '\f' || c == '\r' || c == '\u00A0' || c == '\u1680'
        || (c >= '\u2000' && c <= '\u200A') || c == '\u202F' || c == '\u205F' || c == '\u3000';
  }

  /** Printable ASCII, at most {@link #MAX_DETAIL} characters. */
  static String printable(String detail) {
    StringBuilder b = new StringBuilder(Math.min(detail.length(), MAX_DETAIL));
    for (int i = 0; i < detail.length() && b.length() < MAX_DETAIL; i++) {
      char c = detail.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }
}
