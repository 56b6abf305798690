package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 9530 Content-Digest.
 *
 * <p>Known answers. RFC 9530 §2 and RFC 9421 Appendix B.2 use the 18-byte body
 * {@code {"hello": "world"}} with no trailing newline (Content-Length: 18); the sha-512 value in
 * VECTORS.md §4a ({@code WZDPaVn/...}) is of exactly those 18 bytes. With a trailing newline
 * (19 bytes) the digests are different ({@code RK/0qy18...} and {@code YMAam51J...}, the latter
 * in the npm http-message-signatures README). Reproduce with:
 * <pre>
 * printf '{"hello": "world"}'   | openssl dgst -sha256 -binary | base64   # X48E9qOo...
 * printf '{"hello": "world"}'   | openssl dgst -sha512 -binary | base64   # WZDPaVn/...
 * printf '{"hello": "world"}\n' | openssl dgst -sha256 -binary | base64   # RK/0qy18...
 * printf '{"hello": "world"}\n' | openssl dgst -sha512 -binary | base64   # YMAam51J...
 * </pre>
 */
class ContentDigestTest {
  private static final byte[] HELLO = "{\"hello\": \"world\"}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] HELLO_NL = "{\"hello\": \"world\"}\n".getBytes(StandardCharsets.UTF_8);
  private static final String SHA256 = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
  private static final String SHA512 =
      "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
  private static final String SHA256_NL = "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:";
  private static final String SHA512_NL =
      "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:";

  @Test
  void sha256_ofTheRfcExample() {
    assertThat(HELLO).hasSize(18);
    assertThat(ContentDigest.sha256(HELLO)).isEqualTo(SHA256);
    assertThat(ContentDigest.sha256(HELLO_NL)).isEqualTo(SHA256_NL);
    assertThat(ContentDigest.sha256(new byte[0])).isEqualTo("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
  }

  @Test
  void matches_theRfcExamples_forTheRightBytesOnly() {
    assertThat(ContentDigest.matches(SHA256, HELLO)).isTrue();
    assertThat(ContentDigest.matches(SHA512, HELLO)).isTrue();
    assertThat(ContentDigest.matches(SHA256 + ", " + SHA512, HELLO)).isTrue();
    assertThat(ContentDigest.matches(SHA512 + ",\t" + SHA256, HELLO)).isTrue();
    assertThat(ContentDigest.matches(SHA256_NL, HELLO_NL)).isTrue();
    assertThat(ContentDigest.matches(SHA512_NL, HELLO_NL)).isTrue();
    assertThat(ContentDigest.matches(SHA512, HELLO_NL)).isFalse();
    assertThat(ContentDigest.matches(SHA256_NL, HELLO)).isFalse();
  }

  @Test
  void matches_anyKnownMemberMismatching_isFalse() {
    assertThat(ContentDigest.matches(SHA256 + ", " + SHA512_NL, HELLO)).isFalse();
    assertThat(ContentDigest.matches(SHA256_NL + ", " + SHA512, HELLO)).isFalse();
  }

  @Test
  void matches_unknownAlgorithms_areIgnoredOnlyBesideAMatchingKnownOne() {
    assertThat(ContentDigest.matches("md5=:AAAAAAAAAAAAAAAAAAAAAA==:, " + SHA256, HELLO)).isTrue();
    assertThat(ContentDigest.matches("unixsum=42, " + SHA256, HELLO)).isTrue();
    assertThat(ContentDigest.matches("md5=:AAAAAAAAAAAAAAAAAAAAAA==:", HELLO)).isFalse();
    assertThat(ContentDigest.matches("sha-384=:AAAA:", HELLO)).isFalse();
    assertThat(ContentDigest.matches(SHA256.replace("sha-256", "sha256"), HELLO)).isFalse();
    assertThat(ContentDigest.matches(SHA256.replace("sha-256", "SHA-256"), HELLO)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      " ",
      "sha-256",
      "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPF=:",
      "sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"",
      "sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:)",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=: garbage",
      "sha-256=:AAAA:",
      "sha-256=::",
  })
  void matches_malformedOrWrong_isFalse(String header) {
    assertThat(ContentDigest.matches(header, HELLO)).isFalse();
  }

  @Test
  void matches_nulls_areFalse_neverThrows() {
    assertThat(ContentDigest.matches(null, HELLO)).isFalse();
    assertThat(ContentDigest.matches(SHA256, null)).isFalse();
  }

  @Test
  void matches_surroundingWhitespace_isAccepted() {
    assertThat(ContentDigest.matches("  " + SHA256 + " ", HELLO)).isTrue();
  }
}
