package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.testing.FuzzInput;
import java.util.Map;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for what an agent sends in {@code Signature-Input} and {@code Signature} (RFC 9421
 * over RFC 8941 structured fields). Contract: a {@link ParsedSignature} or a
 * {@link SignatureException}, never another exception, never a hang. Seeds in
 * {@code src/test/resources/dev/gatehouse/identity/SignatureFuzzTestInputs/}; see
 * docs/development.md (Fuzzing).
 */
class SignatureFuzzTest {
  private static final byte[] KEY = new byte[32];
  private static final SignedRequest REQUEST = new SignedRequest("POST", "127.0.0.1:19999", "/v1/actions/a.b",
      "x=1", Map.of("content-digest", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"));

  /** Input: the Signature-Input value, a line feed, the Signature value. */
  @FuzzTest
  @Timeout(10)
  void parse_anyHeaders_isSignatureOrRefusal(byte[] data) {
    String[] headers = FuzzInput.twoParts(data);
    ParsedSignature sig;
    try {
      sig = MessageSignatures.parse(headers[0], headers[1]);
    } catch (SignatureException e) {
      assertThat(e.reason()).isNotNull();
      return;
    }
    // Accepted: the Gatehouse shape (the components of a body, or of a GET without one, each
    // once, plus at most 8 header fields), and its canonical text reads back to the same value.
    java.util.Set<String> core = new java.util.HashSet<>(sig.components());
    core.removeIf(c -> !c.startsWith("@") && !c.equals("content-digest"));
    assertThat(core).as("the components of a body, or of a GET without one")
        .isIn(java.util.Set.copyOf(MessageSignatures.REQUIRED_COMPONENTS),
            java.util.Set.copyOf(MessageSignatures.BODILESS_COMPONENTS));
    assertThat(sig.components()).doesNotHaveDuplicates()
        .hasSizeLessThanOrEqualTo(core.size() + MessageSignatures.MAX_EXTRA_COMPONENTS);
    assertThat(sig.alg()).isEqualTo(MessageSignatures.ALG);
    assertThat(sig.nonce()).isNotEmpty();
    assertThat(sig.keyId()).isNotEmpty();
    ParsedSignature again;
    try {
      again = MessageSignatures.parse(sig.label() + "=" + sig.paramsText(), headers[1]);
    } catch (SignatureException e) {
      throw new AssertionError("the canonical text of an accepted signature is refused: " + e.getMessage());
    }
    assertThat(again).isEqualTo(sig);
    try {
      MessageSignatures.verify(sig, REQUEST, KEY);
      fail("a fuzzed signature verified under the all-zero key");
    } catch (SignatureException e) {
      assertThat(e.reason()).isNotNull();
    }
  }

  /** Input: a structured-field dictionary (the grammar both headers and Content-Digest use). */
  @FuzzTest
  @Timeout(10)
  void parseDictionary_anyText_isDictionaryOrParseException(byte[] data) {
    String text = FuzzInput.text(data);
    try {
      Map<String, StructuredFields.Member> dict = StructuredFields.parseDictionary(text);
      for (String key : dict.keySet()) {
        assertThat(StructuredFields.isKey(key)).as("key %s", key).isTrue();
      }
    } catch (StructuredFields.ParseException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      StructuredFields.parseInnerList(text);
    } catch (StructuredFields.ParseException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
