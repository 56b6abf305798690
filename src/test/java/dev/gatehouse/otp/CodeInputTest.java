package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CodeInputTest {
  @ParameterizedTest
  @ValueSource(strings = {"", " ", "abcdef", "12345", "123456789", "١٢٣٤٥٦", "１２３４５６", "12345x", "123.456",
      "+123456", "123456\u0000", "abcd-efgh-ijkl-mno1", "abcd-efgh-ijkl-mnopq"})
  void parse_refusesMalformedCodes_asBadInput(String raw) {
    assertThatThrownBy(() -> CodeInput.parse(raw)).isInstanceOf(BadInputException.class)
        .hasMessageNotContaining(raw.isBlank() ? "\u0001" : raw);
  }

  @ParameterizedTest
  @ValueSource(strings = {"123456", "123 456", "123-456", " 12-34 56\t", "1234567", "12345678"})
  void parse_acceptsDigitsAfterRemovingSpacesAndDashes(String raw) {
    assertThat(CodeInput.parse(raw)).isInstanceOf(CodeInput.TotpCode.class);
  }

  @Property
  void normalization_isApplied_beforeAnythingElse(
      @ForAll @IntRange(min = 0, max = 99_999_999) int n, @ForAll @IntRange(min = 6, max = 8) int digits,
      @ForAll @StringLength(max = 4) String noise) {
    String code = String.format("%0" + digits + "d", n % (int) Math.pow(10, digits));
    String spaced = code.substring(0, 3) + noise.replaceAll("[^ -]", "-") + code.substring(3);
    assertThat(CodeInput.parse(spaced)).isEqualTo(new CodeInput.TotpCode(code));
  }

  @ParameterizedTest
  @ValueSource(strings = {"abcd-efgh-ijkl-mnop", "ABCDEFGHIJKLMNOP", "abcd efgh ijkl 2345"})
  void parse_recognizesRecoveryCodes_caseInsensitively(String raw) {
    CodeInput c = CodeInput.parse(raw);
    assertThat(c).isInstanceOf(CodeInput.RecoveryCode.class);
    assertThat(((CodeInput.RecoveryCode) c).text()).isEqualTo(raw.replaceAll("[- ]", "").toLowerCase());
  }

  @ParameterizedTest
  @ValueSource(strings = {"123456", "abcd-efgh-ijkl-mnop"})
  void toString_neverShowsTheCode(String raw) {
    assertThat(CodeInput.parse(raw).toString()).doesNotContain(raw.replace("-", "")).doesNotContain("abcd");
  }
}
