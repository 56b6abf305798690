package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.testing.FuzzInput;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for {@code otpauth://} URIs ({@link OtpAuthUri#parse}). Contract: a URI whose
 * {@link OtpAuthUri#format} reads back to an equal value, or a {@link BadInputException}; never
 * another exception, never a hang.
 */
class OtpAuthUriFuzzTest {
  @FuzzTest
  @Timeout(10)
  void parse_anyText_isUriOrBadInput(byte[] data) {
    OtpAuthUri uri;
    try {
      uri = OtpAuthUri.parse(FuzzInput.text(data));
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("otpauth URI: ");
      return;
    }
    assertThat(OtpAuthUri.parse(uri.format())).isEqualTo(uri);
  }
}
