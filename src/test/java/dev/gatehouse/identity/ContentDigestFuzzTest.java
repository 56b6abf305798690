package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.testing.FuzzInput;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the {@code Content-Digest} header an agent sends (RFC 9530). Contract of
 * {@link ContentDigest#matches}: true or false, never an exception, never a hang; and true only
 * when the header carries the body's real SHA-256 or SHA-512.
 */
class ContentDigestFuzzTest {
  /** Input: the header value, a line feed, the body. */
  @FuzzTest
  @Timeout(10)
  void matches_anyHeader_isTrueOnlyForTheRealDigest(byte[] data) throws Exception {
    String[] parts = FuzzInput.twoParts(data);
    byte[] body = parts[1].getBytes(StandardCharsets.UTF_8);
    if (ContentDigest.matches(parts[0], body)) {
      String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
      String sha512 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(body));
      assertThat(parts[0]).containsAnyOf(":" + sha256 + ":", ":" + sha512 + ":");
    }
  }
}
