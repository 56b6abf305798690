package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PathRules against models of how common server stacks read a path. The models are written
 * here, independently of PathRules: each takes the bytes a server receives and returns the
 * path it resolves to (dot segments removed), or null where that stack refuses the request.
 * The guarantee under test: a path PathRules accepts is read by every model, from the bytes
 * Gatehouse sends and from the caller's own bytes, exactly as Gatehouse reads it.
 */
class PathRulesTest {

  /** What each stack does, as catalogued (with sources) in docs/broker.md. */
  static final Map<String, UnaryOperator<String>> STACKS = new LinkedHashMap<>();

  static {
    // RFC 3986 5.2.4 after one UTF-8 decoding: Go's ServeMux (path.Clean), Python, Kestrel.
    STACKS.put("rfc3986", wire -> resolve(decodeStrict(wire)));
    // Tomcat: ;parameters cut from each raw segment, then decoding, then dot segments.
    STACKS.put("tomcat", wire -> resolve(decodeStrict(cutParameters(wire))));
    // Spring's UrlPathHelper / Jetty and proxies that decode first: ;parameters cut after decoding.
    STACKS.put("decoded-then-parameters-cut", wire -> resolve(cutParameters(decodeStrict(wire))));
    // nginx: decoding, merge_slashes, dot segments; a proxy_pass built from $uri re-sends it decoded.
    STACKS.put("nginx-$uri", wire -> {
      String d = decodeStrict(wire);
      return d == null ? null : resolve(cutAt(cutAt(d.replaceAll("/{2,}", "/"), '?'), '#'));
    });
    // IIS of old and Windows file APIs: decoding twice, overlong UTF-8 accepted, \ as /,
    // trailing dots and spaces dropped from each name.
    STACKS.put("iis-windows", wire -> resolve(trimWindows(decodeLenient(decodeLenient(wire)).replace('\\', '/'))));
    // A stack that applies NFKC to the decoded path (Python's unicodedata, .NET's Normalize()).
    STACKS.put("nfkc", wire -> {
      String d = decodeStrict(wire);
      return d == null ? null : resolve(Normalizer.normalize(d, Normalizer.Form.NFKC).replace('\\', '/'));
    });
    // Windows best-fit (WorstFit): a Unicode path handed to an ANSI API on a Windows host.
    STACKS.put("best-fit", wire -> {
      String d = decodeStrict(wire);
      return d == null ? null : resolve(bestFit(d).replace('\\', '/'));
    });
    // WHATWG URL (Node's new URL, browsers): \ as / and %2e as . before dot segments.
    STACKS.put("whatwg", wire -> {
      String p = wire.replace('\\', '/').replaceAll("(?i)%2e", ".");
      return decodeStrict(resolve(p));
    });
  }

  // ---- the guarantee --------------------------------------------------------------------

  @Property(tries = 3000)
  void anAcceptedPath_readsTheSameToEveryStack(@ForAll("adversarialPaths") String raw) {
    Statistics.label("accepted").coverage(c -> c.check(true).percentage(p -> p >= 5));
    String gatehouse;
    try {
      gatehouse = PathRules.normalize(raw);
    } catch (IllegalArgumentException refused) {
      Statistics.label("accepted").collect(false);
      return;
    }
    Statistics.label("accepted").collect(true);
    String wire = PathRules.encodePath(gatehouse);
    for (var stack : STACKS.entrySet()) {
      for (String sent : List.of(wire, raw)) {
        String read = stack.getValue().apply(sent);
        if (read != null) {
          assertThat(read).as("%s reading %s (from %s)", stack.getKey(), sent, raw).isEqualTo(gatehouse);
        }
      }
    }
  }

  @Property(tries = 3000)
  void anAcceptedParameter_isOneSegmentToEveryStack(@ForAll("adversarialSegments") String value) {
    Statistics.label("accepted").coverage(c -> c.check(true).percentage(p -> p >= 5));
    String encoded;
    try {
      encoded = PathRules.segment(value);
    } catch (IllegalArgumentException refused) {
      Statistics.label("accepted").collect(false);
      return;
    }
    Statistics.label("accepted").collect(true);
    String path = "/api/items/" + encoded + "/refresh";
    for (var stack : STACKS.entrySet()) {
      String read = stack.getValue().apply(path);
      if (read != null) {
        assertThat(read).as("%s reading %s", stack.getKey(), path).isEqualTo("/api/items/" + value + "/refresh");
      }
    }
  }

  @Property(tries = 1000)
  void realisticPaths_areAccepted_andSentAsTheyWere(@ForAll("realisticPaths") String path) {
    assertThat(PathRules.normalize(path)).isEqualTo(path);
    assertThat(PathRules.normalize(PathRules.encodePath(path))).isEqualTo(path);
  }

  @Test
  void theModels_doReadKnownAttacksAsAnotherPath() {
    // Without this, the property above could pass because the models agree with anything.
    assertThat(STACKS.get("tomcat").apply("/api/..;/admin")).isEqualTo("/admin");
    assertThat(STACKS.get("decoded-then-parameters-cut").apply("/api/..%3Bjsessionid=x/admin")).isEqualTo("/admin");
    assertThat(STACKS.get("nfkc").apply("/api/x/..%EF%BC%8Fadmin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("nfkc").apply("/api/x/%E2%80%A4%E2%80%A4/admin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("best-fit").apply("/api/x/..%E2%88%95admin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("best-fit").apply("/api/x/..%C2%A5admin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("iis-windows").apply("/api/x/..%255cadmin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("iis-windows").apply("/api/x/%c0%ae%c0%ae%c0%afadmin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("iis-windows").apply("/api/x/.. /admin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("whatwg").apply("/api/x/%2E%2e\\admin")).isEqualTo("/api/admin");
    assertThat(STACKS.get("nginx-$uri").apply("/api/x/..%3F/../admin")).isEqualTo("/api/");
  }

  // ---- examples ---------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"/api/v3/series/12/seasons/1", "/api/v2/torrents/info", "/Items/abc-123/Refresh",
      "/api/v2.0/indexers/all/results", "/repos/octo-org/hello_world/issues", "/api/v3/series/", "/",
      "/api/items/dune%20part%20two%20%C3%A9", "/api/tags/sci-fi~2", "/api/user@example.com", "/api/a,b:c",
      "/api/ж/漢字/é", "/api/a%2Fb"})
  void realApiPaths_areAccepted(String path) {
    String decoded = PathRules.normalize(path);

    assertThat(PathRules.normalize(PathRules.encodePath(decoded))).isEqualTo(decoded);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/..;/admin", "/api/v2/torrents/..;jsessionid=x/admin", "/api/v2/torrents/..%3b/admin",
      "/api/v2/torrents/info;x", "/api/x/..／admin", "/api/x/..%EF%BC%8Fadmin", "/api/x/．．/admin",
      "/api/x/%EF%BC%8E%EF%BC%8E/admin", "/api/x/\u2024\u2024/admin", "/api/x/\u2025/admin", "/api/x/..\u2215admin",
      "/api/x/..%C2%A5admin", "/api/x/..\u20a9admin", "/api/x/..＼admin", "/api/x/%c0%ae%c0%ae/admin",
      "/api/x/%c0%af", "/api/x/%e0%80%ae%e0%80%ae/admin", "/api/x/%252e%252e/admin", "/api/x/..%255cadmin",
      "/api/x/..\\admin", "/api/x/%5c", "/api/x/.. /admin", "/api/x/... /admin", "/api/x/admin.", "/api/x/admin%20",
      "/api/x/a%3Fb", "/api/x/a%23b", "/api/x/e\u0301", "/api/x/\ufb01le", "/api/x/\u202eevil", "/api/x/\ud800",
      "/api/x/%ed%a0%80", "/api/x/\u00a0", "/api/x/../admin", "/api/x/./admin", "/api//admin", "api/x",
      "/api/x/%2e%2e/admin"})
  void pathsThatSomeStackReadsDifferently_areRefused(String path) {
    assertThatThrownBy(() -> PathRules.normalize(path)).as(path).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRefusal_namesTheReadingThatDiffers() {
    assertThatThrownBy(() -> PathRules.normalize("/api/..;/admin")).hasMessageContaining("';'")
        .hasMessageContaining("Tomcat");
    assertThatThrownBy(() -> PathRules.normalize("/api/..／admin")).hasMessageContaining("U+FF0F");
    assertThatThrownBy(() -> PathRules.normalize("/api/\ufb01le")).hasMessageContaining("NFKC");
    assertThatThrownBy(() -> PathRules.normalize("/api/admin.")).hasMessageContaining("Windows");
    assertThatThrownBy(() -> PathRules.normalize("/api/%c0%ae")).hasMessageContaining("UTF-8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"..;", "..;x", "．．", "..／admin", "..\u2215x", "a;b", "admin.", "x ", "\ufb01", "a%2fb",
      "..", ".", "", "a/b", "a\\b", "a?b", "a#b", "a\u0000b"})
  void aParameterThatSomeStackReadsDifferently_isRefused(String value) {
    assertThatThrownBy(() -> PathRules.segment(value)).as(value).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"42", "abc-123", "dune part two é", "v2.0", "octo-org", "Amélie", "漢字", "a.b.c", "...x"})
  void aRealParameter_isAccepted(String value) {
    assertThat(PathRules.decode(PathRules.segment(value))).isEqualTo(value);
  }

  // ---- generators -------------------------------------------------------------------------

  static final List<String> PLAIN = List.of("a", "api", "x1", "v2.0", "-", "_", "~", ":", "@", "é", "ж", "漢", "%41", "%20x");

  static final List<String> ATOMS = List.of("a", "api", "x1", "admin", ".", "..", "...", ";", ";x", ";jsessionid=x",
      "/", "\\", "%", "%2e", "%2E", "%2f", "%2F", "%5c", "%3b", "%3B", "%252e", "%252f", "%255c", "%25", "%3f", "%23",
      "\uFF0E", "\uFF0F", "\uFF3C", "\uFF1B", "\u2024", "\u2025", "\uFE52", "\u2215", "\u2216", "\u2044", "\u00A5",
      "\u20A9", "\u037E", "%ef%bc%8e", "%ef%bc%8f", "%e2%80%a4", "%c2%a5", "%c0%ae", "%c0%af", "%c1%9c", "%e0%80%ae",
      "%e0%80%af", "%f0%80%80%ae", " ", "%20", "é", "e\u0301", "\uFB01", "ж", "漢", "-", "_", "~", "?", "#", ":", "@");

  @Provide
  Arbitrary<String> adversarialSegments() {
    // Plain atoms weigh more, so that a good share of the generated values is accepted and
    // the property speaks about accepted values at all (a coverage check in each property).
    Arbitrary<String> atom = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(PLAIN)), Tuple.of(2, Arbitraries.of(ATOMS)));
    return atom.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("", l));
  }

  @Provide
  Arbitrary<String> adversarialPaths() {
    Arbitrary<String> path = adversarialSegments().list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("/", l));
    return Combinators.combine(Arbitraries.of("/", "/api/", "/api/v2/torrents/"), path).as(String::concat);
  }

  @Provide
  Arbitrary<String> realisticPaths() {
    Arbitrary<String> name = Arbitraries.strings().withChars("abcXYZ019-_~").ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> word = Arbitraries.oneOf(name, name.map(n -> n + ".json"), name.map(n -> "v" + n.length() + ".0"),
        Arbitraries.of("Amélie", "漢字", "жж", "abc-123"));
    return word.list().ofMinSize(1).ofMaxSize(6).map(l -> "/" + String.join("/", l));
  }

  // ---- the models' parts ------------------------------------------------------------------

  /** RFC 3986 5.2.4 on a path starting with /; null stays null. */
  static String resolve(String path) {
    if (path == null || !path.startsWith("/")) {
      return path == null ? null : resolve("/" + path);
    }
    String[] parts = path.substring(1).split("/", -1);
    Deque<String> out = new ArrayDeque<>();
    for (int i = 0; i < parts.length; i++) {
      boolean last = i == parts.length - 1;
      switch (parts[i]) {
        case "." -> {
          if (last) {
            out.addLast("");
          }
        }
        case ".." -> {
          if (!out.isEmpty()) {
            out.removeLast();
          }
          if (last) {
            out.addLast("");
          }
        }
        default -> out.addLast(parts[i]);
      }
    }
    return "/" + String.join("/", out);
  }

  static String cutParameters(String path) {
    if (path == null) {
      return null;
    }
    String[] parts = path.split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      parts[i] = cutAt(parts[i], ';');
    }
    return String.join("/", parts);
  }

  static String cutAt(String s, char c) {
    int i = s.indexOf(c);
    return i < 0 ? s : s.substring(0, i);
  }

  static String trimWindows(String path) {
    String[] parts = path.split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      String name = parts[i].replaceAll(" +$", ""); // the worst order: spaces first, then ., .. resolved
      parts[i] = name.matches("\\.{1,2}") ? name : name.replaceAll("[. ]+$", "");
    }
    return String.join("/", parts);
  }

  /** Best-fit as the WorstFit research describes it: look-alikes become the ASCII they resemble. */
  static String bestFit(String s) {
    Map<Integer, String> table = Map.of(0x00A5, "\\", 0x20A9, "\\", 0x2215, "/", 0x2216, "\\", 0x2044, "/",
        0xFF0F, "/", 0xFF3C, "\\", 0xFF0E, ".", 0x2024, ".", 0x3002, ".");
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> {
      String folded = Normalizer.normalize(Character.toString(c), Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
      boolean punctuation = folded.length() == 1 && folded.charAt(0) < 0x80 && !Character.isLetterOrDigit(folded.charAt(0));
      b.append(table.getOrDefault(c, punctuation ? folded : Character.toString(c)));
    });
    return b.toString();
  }

  static byte[] percentBytes(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '%' && i + 2 < raw.length && Character.digit(raw[i + 1], 16) >= 0 && Character.digit(raw[i + 2], 16) >= 0) {
        out.write(Character.digit(raw[i + 1], 16) * 16 + Character.digit(raw[i + 2], 16));
        i += 2;
      } else {
        out.write(raw[i]);
      }
    }
    return out.toByteArray();
  }

  /** One percent-decoding as UTF-8, refusing invalid sequences (null: the stack answers 400). */
  static String decodeStrict(String s) {
    if (s == null) {
      return null;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(percentBytes(s))).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** One percent-decoding, UTF-8 read leniently: overlong forms give the character they spell. */
  static String decodeLenient(String s) {
    byte[] b = percentBytes(s);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < b.length; i++) {
      int x = b[i] & 0xff;
      int extra = x >= 0xF0 && x < 0xF8 ? 3 : x >= 0xE0 ? (x < 0xF0 ? 2 : 0) : x >= 0xC0 ? 1 : 0;
      if (extra > 0 && i + extra < b.length) {
        int cp = x & (0x3F >> extra);
        for (int k = 1; k <= extra; k++) {
          cp = cp << 6 | (b[i + k] & 0x3F);
        }
        if (Character.isValidCodePoint(cp)) {
          out.appendCodePoint(cp);
          i += extra;
          continue;
        }
      }
      out.append(x < 0x80 ? (char) x : '\uFFFD');
    }
    return out.toString();
  }
}
