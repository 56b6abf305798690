package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.identity.SignatureException.Reason;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageSignaturesTest {
  private static final byte[] KEY = bytes(32, 7);
  private static final URI URL = URI.create("http://127.0.0.1:19999/v1/actions/github.create_issue?dry=1");
  private static final byte[] BODY = "{\"title\":\"hi\"}".getBytes(StandardCharsets.UTF_8);
  private static final String COMPONENTS = "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\")";
  private static final String PARAMS = ";created=1700000000;nonce=\"n-1\";keyid=\"agent-1\";alg=\"hmac-sha256\"";

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed * 31 + i);
    }
    return b;
  }

  private static Map<String, String> signed() {
    return MessageSignatures.sign("POST", URL, BODY, "agent-1", KEY, 1700000000L, "n-1");
  }

  private static SignedRequest requestFor(URI uri, String method, Map<String, String> signedHeaders) {
    return SignedRequest.of(method, uri, Map.of("content-digest", signedHeaders.get("Content-Digest")));
  }

  private static ParsedSignature parse(Map<String, String> h) throws SignatureException {
    return MessageSignatures.parse(h.get("Signature-Input"), h.get("Signature"));
  }

  private static void assertRefused(Reason reason, String signatureInput, String signature) {
    assertThatThrownBy(() -> MessageSignatures.parse(signatureInput, signature))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  private static String sigValue() {
    return signed().get("Signature");
  }

  // ---- round trips

  @Test
  void signWithoutBody_coversTheFourDerivedComponents_andVerifies() throws Exception {
    URI get = URI.create("http://127.0.0.1:19999/v1/approvals/abc");
    Map<String, String> h = MessageSignatures.signWithoutBody("GET", get, "agent-1", KEY, 1700000000L, "n-1");
    assertThat(h).containsOnlyKeys("Signature-Input", "Signature");
    assertThat(h.get("Signature-Input")).isEqualTo("sig1=(\"@method\" \"@authority\" \"@path\" \"@query\")" + PARAMS);
    ParsedSignature sig = parse(h);
    assertThat(sig.components()).isEqualTo(MessageSignatures.BODILESS_COMPONENTS);
    MessageSignatures.verify(sig, SignedRequest.of("GET", get, Map.of()), KEY);
    assertThatThrownBy(() -> MessageSignatures.verify(sig, SignedRequest.of("POST", get, Map.of()), KEY))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    assertThatThrownBy(() -> MessageSignatures.verify(sig,
        SignedRequest.of("GET", URI.create("http://127.0.0.1:19999/v1/approvals/abd"), Map.of()), KEY))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
  }

  @Test
  void parse_acceptsTheBodilessShapeInAnyOrder() throws Exception {
    ParsedSignature sig = MessageSignatures.parse("a=(\"@query\" \"@path\" \"@method\" \"@authority\")" + PARAMS,
        sigValue().replace("sig1=", "a="));
    assertThat(sig.components()).containsExactly("@query", "@path", "@method", "@authority");
  }

  @Test
  void sign_producesTheDocumentedHeaders() {
    Map<String, String> h = signed();
    assertThat(h).containsOnlyKeys("Signature-Input", "Signature", "Content-Digest");
    assertThat(h.get("Signature-Input")).isEqualTo("sig1=" + COMPONENTS + PARAMS);
    assertThat(h.get("Signature")).matches("sig1=:[A-Za-z0-9+/]{43}=:");
    assertThat(h.get("Content-Digest")).isEqualTo(ContentDigest.sha256(BODY));
  }

  @Test
  void signParseVerify_roundTrips() throws Exception {
    Map<String, String> h = signed();
    ParsedSignature sig = parse(h);
    assertThat(sig.label()).isEqualTo("sig1");
    assertThat(sig.components()).isEqualTo(MessageSignatures.REQUIRED_COMPONENTS);
    assertThat(sig.created()).isEqualTo(1700000000L);
    assertThat(sig.nonce()).isEqualTo("n-1");
    assertThat(sig.keyId()).isEqualTo("agent-1");
    assertThat(sig.alg()).isEqualTo("hmac-sha256");
    assertThat(sig.paramsText()).isEqualTo(COMPONENTS + PARAMS);
    MessageSignatures.verify(sig, requestFor(URL, "POST", h), KEY);
    assertThat(ContentDigest.matches(h.get("Content-Digest"), BODY)).isTrue();
  }

  @Test
  void signatureBase_hasTheDocumentedLayout() throws Exception {
    Map<String, String> h = signed();
    String base = new String(MessageSignatures.signatureBase(parse(h), requestFor(URL, "POST", h)), StandardCharsets.US_ASCII);
    assertThat(base).isEqualTo(String.join("\n",
        "\"@method\": POST",
        "\"@authority\": 127.0.0.1:19999",
        "\"@path\": /v1/actions/github.create_issue",
        "\"@query\": ?dry=1",
        "\"content-digest\": " + h.get("Content-Digest"),
        "\"@signature-params\": " + COMPONENTS + PARAMS));
  }

  @Property(tries = 300)
  void signParseVerify_roundTripsForAnyRequest(@ForAll("paths") String path, @ForAll("queries") String query,
      @ForAll @Size(max = 2000) byte[] body, @ForAll @Size(min = 32, max = 64) byte[] key,
      @ForAll("authorities") String authority) throws Exception {
    URI uri = URI.create("http://" + authority + path + (query == null ? "" : "?" + query));
    Map<String, String> h = MessageSignatures.sign("POST", uri, body, "agent-1", key, 1700000000L, "nonce");
    ParsedSignature sig = parse(h);
    SignedRequest request = requestFor(uri, "POST", h);
    MessageSignatures.verify(sig, request, key);
    assertThat(ContentDigest.matches(h.get("Content-Digest"), body)).isTrue();
    // Another path (not merely "" vs "/", which the RFC makes equal) is refused.
    SignedRequest moved = new SignedRequest("POST", request.authority(), "/other" + path, request.query(), request.headers());
    assertThatThrownBy(() -> MessageSignatures.verify(sig, moved, key)).isInstanceOf(SignatureException.class);
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> segment = Arbitraries.oneOf(
        Arbitraries.strings().withChars("abcXYZ019-._~!$&'()*+,;=:@").ofMaxLength(12),
        Arbitraries.strings().withChars("0123456789ABCDEF").ofLength(2).map(hex -> "%" + hex));
    return segment.list().ofMaxSize(5).map(list -> list.isEmpty() ? "" : "/" + String.join("/", list));
  }

  @Provide
  Arbitrary<String> queries() {
    Arbitrary<String> chunk = Arbitraries.oneOf(
        Arbitraries.strings().withChars("abcXYZ019-._~!$&'()*+,;=:@/?").ofMaxLength(10),
        Arbitraries.strings().withChars("0123456789abcdef").ofLength(2).map(hex -> "%" + hex));
    return chunk.list().ofMaxSize(4).map(list -> String.join("", list)).injectNull(0.3);
  }

  @Provide
  Arbitrary<String> authorities() {
    return Arbitraries.of("127.0.0.1:19999", "example.com", "Example.COM:8443", "[::1]:19999", "localhost");
  }

  @Test
  void parse_acceptsAnyLabelAndAnyOrder() throws Exception {
    String input = "agent=(\"content-digest\" \"@query\" \"@path\" \"@authority\" \"@method\")" + PARAMS;
    ParsedSignature sig = MessageSignatures.parse(input, sigValue().replace("sig1=", "agent="));
    assertThat(sig.label()).isEqualTo("agent");
    assertThat(sig.components()).containsExactly("content-digest", "@query", "@path", "@authority", "@method");
  }

  @Test
  void query_emptyAndAbsent_haveTheSameBase_asRfc9421Says() throws Exception {
    Map<String, String> h = MessageSignatures.sign("POST", URI.create("http://h/p?"), BODY, "k", KEY, 1, "n");
    ParsedSignature sig = parse(h);
    SignedRequest empty = new SignedRequest("POST", "h", "/p", "", Map.of("content-digest", h.get("Content-Digest")));
    SignedRequest absent = new SignedRequest("POST", "h", "/p", null, Map.of("content-digest", h.get("Content-Digest")));
    assertThat(MessageSignatures.signatureBase(sig, empty)).isEqualTo(MessageSignatures.signatureBase(sig, absent));
    assertThat(new String(MessageSignatures.signatureBase(sig, absent), StandardCharsets.US_ASCII)).contains("\"@query\": ?\n");
    MessageSignatures.verify(sig, absent, KEY);
    SignedRequest withQuery = new SignedRequest("POST", "h", "/p", "a", absent.headers());
    assertThatThrownBy(() -> MessageSignatures.verify(sig, withQuery, KEY))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
  }

  @Test
  void pathEmpty_isSignedAsSlash_andAuthorityDropsDefaultPorts() throws Exception {
    Map<String, String> h = MessageSignatures.sign("POST", URI.create("https://EXAMPLE.com:443"), BODY, "k", KEY, 1, "n");
    SignedRequest r = new SignedRequest("POST", "example.com", "/", null, Map.of("content-digest", h.get("Content-Digest")));
    MessageSignatures.verify(parse(h), r, KEY);
    assertThat(SignedRequest.authorityOf(URI.create("http://a:80/"))).isEqualTo("a");
    assertThat(SignedRequest.authorityOf(URI.create("http://a:443/"))).isEqualTo("a:443");
    assertThat(SignedRequest.authorityOf(URI.create("https://a:80/"))).isEqualTo("a:80");
  }

  // ---- refusals by parse

  @Test
  void parse_missingHeaders_areMissing() {
    assertRefused(Reason.MISSING, null, sigValue());
    assertRefused(Reason.MISSING, "", sigValue());
    assertRefused(Reason.MISSING, "  ", sigValue());
    assertRefused(Reason.MISSING, signed().get("Signature-Input"), null);
    assertRefused(Reason.MISSING, signed().get("Signature-Input"), "");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sig1=(",
      "sig1=(\"@method\"",
      "sig1=(\"@method\"\"@path\")",
      "sig1=(\"@method\" \"@path\")x",
      "SIG1=(\"@method\")",
      "sig1=(\"@method\"),",
      "sig1=(\"@method\") , ",
      "=(\"@method\")",
      "sig1=(\"@method\");created=-",
      "sig1=(\"@method\");created=1.2345",
      "sig1=(\"@method\");nonce=\"unterminated",
      "sig1=(\"@method\");nonce=\"bad\\escape\"",
      "sig1=(\"@méthod\")",
  })
  void parse_malformedSignatureInput_isMalformed(String input) {
    assertRefused(Reason.MALFORMED, input, sigValue());
  }

  @Test
  void parse_malformedValues_areMalformed() {
    String input = signed().get("Signature-Input");
    String b64 = sigValue().substring("sig1=:".length(), sigValue().length() - 1);
    assertRefused(Reason.MALFORMED, input, "sig1=:" + b64);                         // unterminated
    assertRefused(Reason.MALFORMED, input, "sig1=:" + b64.replace("=", "") + ":");  // unpadded
    assertRefused(Reason.MALFORMED, input, "sig1=:" + b64.replace("A", "!") + "!:");
    assertRefused(Reason.MALFORMED, input, "sig1=\"" + b64 + "\"");                 // a string
    assertRefused(Reason.MALFORMED, input, "sig1=(:" + b64 + ":)");                 // an inner list
    assertRefused(Reason.MALFORMED, input, "sig1=:" + b64 + ":;x=1");               // parameters
    assertRefused(Reason.MALFORMED, input, "sig1=:AAAA:");                           // not 32 bytes
    assertRefused(Reason.MALFORMED, input, "sig1");                                  // boolean
    assertRefused(Reason.MALFORMED, "sig1=\"@method\"" + PARAMS, sigValue());        // not an inner list
    assertRefused(Reason.MALFORMED, "sig1=(@method)" + PARAMS, sigValue());          // tokens
    assertRefused(Reason.MALFORMED, "sig1=(\"Content-Digest\")" + PARAMS, sigValue());
    assertRefused(Reason.MALFORMED, input + ", sig1=" + COMPONENTS + PARAMS, sigValue()); // duplicate key
  }

  @Test
  void parse_secondLabel_orLabelMismatch_isMalformed() {
    String input = signed().get("Signature-Input");
    assertRefused(Reason.MALFORMED, input + ", sig2=" + COMPONENTS + PARAMS, sigValue() + ", " + sigValue().replace("sig1", "sig2"));
    assertRefused(Reason.MALFORMED, input, sigValue() + ", " + sigValue().replace("sig1", "sig2"));
    assertRefused(Reason.MALFORMED, input, sigValue().replace("sig1", "sig2"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "(\"@method\" \"@authority\" \"@path\" \"content-digest\")",
      "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" \"@request-target\")",
      "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" \"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\")",
      "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" \"gatehouse-approval\" \"gatehouse-approval\")",
      "(\"@method\" \"@authority\" \"@path\")",
      "(\"@authority\" \"@path\" \"@query\" \"content-digest\")",
      "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" \"@path\")",
      "(\"@method\" \"@authority\" \"@path\" \"@path\" \"content-digest\")",
      "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\";sf)",
      "(\"@method\" \"@authority\" \"@target-uri\" \"@query\" \"content-digest\")",
      "()",
  })
  void parse_wrongComponents_areRefused(String components) {
    assertRefused(Reason.WRONG_COMPONENTS, "sig1=" + components + PARAMS, sigValue());
  }

  @Test
  void parse_moreHeaderFields_areAccepted_andCovered() throws Exception {
    ParsedSignature sig = MessageSignatures.parse("sig1=(\"@method\" \"@authority\" \"@path\" \"@query\" "
        + "\"content-digest\" \"gatehouse-approval\")" + PARAMS, sigValue());
    assertThat(sig.components()).endsWith("gatehouse-approval");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rsa-pss-sha512", "HMAC-SHA256", "hmac-sha512", "ed25519"})
  void parse_otherAlgorithms_areUnsupported(String alg) {
    assertRefused(Reason.UNSUPPORTED_ALG, "sig1=" + COMPONENTS + PARAMS.replace("hmac-sha256", alg), sigValue());
  }

  @Test
  void parse_algAsToken_isMalformed() {
    assertRefused(Reason.MALFORMED, "sig1=" + COMPONENTS + PARAMS.replace("\"hmac-sha256\"", "hmac-sha256"), sigValue());
  }

  @ParameterizedTest
  @ValueSource(strings = {";created=1700000000", ";nonce=\"n-1\"", ";keyid=\"agent-1\"", ";alg=\"hmac-sha256\""})
  void parse_missingParameter_isMissing(String param) {
    assertRefused(Reason.MISSING, "sig1=" + COMPONENTS + PARAMS.replace(param, ""), sigValue());
  }

  @ParameterizedTest
  @ValueSource(strings = {";expires=1700000300", ";tag=\"x\"", ";created2=1"})
  void parse_otherParameters_areMalformed(String extra) {
    assertRefused(Reason.MALFORMED, "sig1=" + COMPONENTS + PARAMS + extra, sigValue());
  }

  @ParameterizedTest
  @ValueSource(strings = {";created=-1", ";created=\"1700000000\"", ";created=1700000000.5", ";nonce=\"\"",
      ";nonce=1", ";keyid=agent"})
  void parse_badParameterValues_areMalformed(String replacement) {
    String param = replacement.substring(0, replacement.indexOf('=') + 1);
    String params = PARAMS.replaceFirst(";" + param.substring(1) + "[^;]*", replacement);
    assertRefused(Reason.MALFORMED, "sig1=" + COMPONENTS + params, sigValue());
  }

  // ---- refusals by verify

  @Test
  void verify_wrongKey_isBadSignature_andTheMessageLeaksNothing() throws Exception {
    Map<String, String> h = signed();
    ParsedSignature sig = parse(h);
    SignedRequest request = requestFor(URL, "POST", h);
    byte[] otherKey = bytes(32, 8);
    String base = new String(MessageSignatures.signatureBase(sig, request), StandardCharsets.US_ASCII);
    String expectedUnderOtherKey = MessageSignatures.sign("POST", URL, BODY, "agent-1", otherKey, 1700000000L, "n-1")
        .get("Signature");
    assertThatThrownBy(() -> MessageSignatures.verify(sig, request, otherKey))
        .isInstanceOfSatisfying(SignatureException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
          assertThat(e.getMessage()).doesNotContain(Base64.getEncoder().encodeToString(otherKey))
              .doesNotContain(Base64.getEncoder().encodeToString(KEY))
              .doesNotContain(expectedUnderOtherKey.substring(6, 40))
              .doesNotContain(base).doesNotContain("@signature-params");
        });
  }

  @Test
  void verify_anyChangedCoveredValue_isBadSignature() throws Exception {
    Map<String, String> h = signed();
    ParsedSignature sig = parse(h);
    SignedRequest r = requestFor(URL, "POST", h);
    Map<String, String> otherDigest = Map.of("content-digest", ContentDigest.sha256("{}".getBytes(StandardCharsets.UTF_8)));
    List<SignedRequest> changed = List.of(
        new SignedRequest("PUT", r.authority(), r.path(), r.query(), r.headers()),
        new SignedRequest("post", r.authority(), r.path(), r.query(), r.headers()),
        new SignedRequest("POST", "127.0.0.1:19998", r.path(), r.query(), r.headers()),
        new SignedRequest("POST", "localhost:19999", r.path(), r.query(), r.headers()),
        new SignedRequest("POST", r.authority(), "/v1/actions/github.delete_repo", r.query(), r.headers()),
        new SignedRequest("POST", r.authority(), r.path() + "/", r.query(), r.headers()),
        new SignedRequest("POST", r.authority(), r.path(), "dry=0", r.headers()),
        new SignedRequest("POST", r.authority(), r.path(), null, r.headers()),
        new SignedRequest("POST", r.authority(), r.path(), r.query(), otherDigest));
    for (SignedRequest c : changed) {
      assertThatThrownBy(() -> MessageSignatures.verify(sig, c, KEY)).as(c.toString())
          .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }
  }

  @Test
  void verify_missingContentDigestHeader_isMissing() throws Exception {
    ParsedSignature sig = parse(signed());
    SignedRequest r = new SignedRequest("POST", "127.0.0.1:19999", "/v1/actions/github.create_issue", "dry=1", Map.of());
    assertThatThrownBy(() -> MessageSignatures.verify(sig, r, KEY))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISSING));
  }

  @Test
  void signatureBase_refusesValuesThatCouldForgeLines() throws Exception {
    ParsedSignature sig = parse(signed());
    List<SignedRequest> bad = List.of(
        new SignedRequest("POST", "127.0.0.1:19999", "/a\n\"x\": y", null, Map.of("content-digest", "d")),
        new SignedRequest("POST", "127.0.0.1:19999", "/a b", null, Map.of("content-digest", "d")),
        new SignedRequest("POST", "127.0.0.1:19999", "/a", null, Map.of("content-digest", "d\r\n\"@path\": /b")),
        new SignedRequest("POST", "127.0.0.1:19999", "/é", null, Map.of("content-digest", "d")));
    for (SignedRequest r : bad) {
      assertThatThrownBy(() -> MessageSignatures.signatureBase(sig, r))
          .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
    }
  }

  // ---- values

  @Test
  void parsedSignature_toString_hidesTheSignature_andBytesAreCopied() throws Exception {
    Map<String, String> h = signed();
    ParsedSignature sig = parse(h);
    String b64 = h.get("Signature").substring("sig1=:".length(), h.get("Signature").length() - 1);
    assertThat(sig.toString()).doesNotContain(b64).doesNotContain(b64.substring(0, 12)).contains("redacted");
    byte[] out = sig.signature();
    out[0] ^= 1;
    assertThat(sig.signature()).isNotEqualTo(out);
    MessageSignatures.verify(sig, requestFor(URL, "POST", h), KEY);
  }

  @Test
  void parsedSignature_cannotDisagreeWithItsParamsText() {
    byte[] s = new byte[32];
    String text = COMPONENTS + PARAMS;
    List<String> comps = MessageSignatures.REQUIRED_COMPONENTS;
    assertThat(new ParsedSignature("sig1", comps, text, 1700000000L, "n-1", "agent-1", "hmac-sha256", s).keyId())
        .isEqualTo("agent-1");
    assertThatThrownBy(() -> new ParsedSignature("sig1", comps, text, 1700000001L, "n-1", "agent-1", "hmac-sha256", s))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ParsedSignature("sig1", comps.subList(0, 4), text, 1700000000L, "n-1", "agent-1",
        "hmac-sha256", s)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ParsedSignature("sig1", comps, text.replace(" ", "  "), 1700000000L, "n-1", "agent-1",
        "hmac-sha256", s)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ParsedSignature("sig1", comps, text, 1700000000L, "n-1", "agent-2", "hmac-sha256", s))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sign_refusesShortKeysAndUnserializableValues() {
    assertThatThrownBy(() -> MessageSignatures.sign("POST", URL, BODY, "k", new byte[16], 1, "n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageSignatures.sign("POST", URL, BODY, "k\n", KEY, 1, "n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageSignatures.sign("POST", URL, BODY, "k", KEY, 1, ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageSignatures.sign("POST", URL, BODY, "k", KEY, -1, "n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageSignatures.sign("PO ST", URL, BODY, "k", KEY, 1, "n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageSignatures.sign("POST", URI.create("ftp://h/"), BODY, "k", KEY, 1, "n"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sign_escapesQuotesInKeyIdAndNonce_andParseReadsThemBack() throws Exception {
    Map<String, String> h = MessageSignatures.sign("POST", URL, BODY, "a\"b\\c", KEY, 5, "n \"x\"");
    assertThat(h.get("Signature-Input")).contains(";nonce=\"n \\\"x\\\"\";keyid=\"a\\\"b\\\\c\"");
    ParsedSignature sig = parse(h);
    assertThat(sig.keyId()).isEqualTo("a\"b\\c");
    assertThat(sig.nonce()).isEqualTo("n \"x\"");
    MessageSignatures.verify(sig, requestFor(URL, "POST", h), KEY);
  }

  @Test
  void signedRequest_fromFieldLines_trimsAndJoinsLines() {
    Map<String, List<String>> lines = new HashMap<>();
    lines.put("X-Multi", List.of(" a ", "b\t"));
    SignedRequest r = SignedRequest.fromFieldLines("POST", "H", "/", null, lines);
    assertThat(r.headers()).containsEntry("x-multi", "a, b");
    assertThat(r.authority()).isEqualTo("h");
    assertThat(Arrays.asList(r.headers().keySet().toArray())).containsExactly("x-multi");
  }
}
