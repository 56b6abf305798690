package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OtpAuthUriTest {
  private static final byte[] KEY = "12345678901234567890".getBytes();

  @Test
  void format_isTheKeyUriFormat() {
    assertThat(new OtpAuthUri("Gatehouse", "root@my host", KEY, TotpParameters.DEFAULT).format()).isEqualTo(
        "otpauth://totp/Gatehouse:root%40my%20host?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30");
  }

  @Property
  void formatThenParse_isTheIdentity(
      @ForAll("names") String issuer, @ForAll("names") String account, @ForAll @Size(min = 10, max = 64) byte[] key,
      @ForAll HashAlgorithm alg, @ForAll @IntRange(min = 6, max = 8) int digits,
      @ForAll @IntRange(min = 1, max = 300) int period) {
    OtpAuthUri uri = new OtpAuthUri(issuer, account, key, new TotpParameters(alg, digits, period));
    assertThat(OtpAuthUri.parse(uri.format())).isEqualTo(uri);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange(' ', '~').withChars("éü€").ofMinLength(1).ofMaxLength(30)
        .filter(s -> !s.isBlank() && !s.contains(":") && s.strip().equals(s));
  }

  @Test
  void parse_appliesTheFormatDefaults() {
    OtpAuthUri uri = OtpAuthUri.parse("otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assertThat(uri.issuer()).isEqualTo("ACME");
    assertThat(uri.params()).isEqualTo(TotpParameters.DEFAULT);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "otpauth://hotp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ|must start with",
      "otpauth://totp/A:b|secret=",
      "otpauth://totp/A:b?issuer=A|secret is missing",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ|secret is not base32",
      "otpauth://totp/A:b?secret=GEZDGNBV|shorter than 80 bits",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=9|digits must be 6 to 8",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=x|digits must be a number",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=MD5|algorithm must be",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=B|issuer in the label",
      "otpauth://totp/b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ|issuer is missing",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ|appears twice",
      "otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=0|period must be at least",
      "otpauth://totp/A%ZZ:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ|bad %-escape",
      "otpauth://totp/A:b?GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ|name=value",
  })
  void parse_refusesMalformedUris_namingTheField_neverEchoingTheKey(String uri, String expected) {
    assertThatThrownBy(() -> OtpAuthUri.parse(uri)).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("otpauth URI: ").hasMessageContaining(expected)
        .hasMessageNotContaining("GEZDGNBV");
  }

  @Test
  void toString_redactsTheKey() {
    assertThat(new OtpAuthUri("G", "a", KEY, TotpParameters.DEFAULT).toString())
        .doesNotContain("GEZDGNBV").contains("redacted");
  }
}
