package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Vectors;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 4226 Appendix D and RFC 6238 Appendix B, read from resource files; failures collected by row. */
class HotpVectorsTest {
  private static final String SEED = "12345678901234567890";

  static byte[] seedFor(HashAlgorithm alg) {
    int length = switch (alg) {
      case SHA1 -> 20;
      case SHA256 -> 32;
      case SHA512 -> 64;
    };
    return SEED.repeat(4).substring(0, length).getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void hotp_matchesEveryRfc4226Vector() {
    List<String> failures = new ArrayList<>();
    List<String[]> rows = Vectors.csv("rfc4226-hotp.csv");
    for (String[] row : rows) {
      String got = Hotp.code(seedFor(HashAlgorithm.SHA1), Long.parseLong(row[0]), 6, HashAlgorithm.SHA1);
      if (!got.equals(row[3])) {
        failures.add("count " + row[0] + ": want " + row[3] + ", got " + got);
      }
    }
    assertThat(rows).hasSize(10);
    assertThat(failures).isEmpty();
  }

  @Test
  void totp_matchesEveryRfc6238Vector_eachHashWithItsOwnSeed() {
    List<String> failures = new ArrayList<>();
    List<String[]> rows = Vectors.csv("rfc6238-totp.csv");
    for (String[] row : rows) {
      HashAlgorithm alg = HashAlgorithm.valueOf(row[1]);
      String got = Hotp.totp(seedFor(alg), Instant.ofEpochSecond(Long.parseLong(row[0])),
          new TotpParameters(alg, 8, 30));
      if (!got.equals(row[2])) {
        failures.add(row[0] + " " + row[1] + ": want " + row[2] + ", got " + got);
      }
    }
    assertThat(rows).hasSize(18);
    assertThat(failures).isEmpty();
  }

  @Test
  void totp_sha256AndSha512_doNotUseTheTwentyByteSeed() {
    for (String[] row : Vectors.csv("rfc6238-wrong-seed.csv")) {
      HashAlgorithm alg = HashAlgorithm.valueOf(row[1]);
      TotpParameters params = new TotpParameters(alg, 8, 30);
      Instant t = Instant.ofEpochSecond(Long.parseLong(row[0]));
      // The vector really is what the 20-byte seed gives (so this test can fail) ...
      assertThat(Hotp.totp(seedFor(HashAlgorithm.SHA1), t, params)).isEqualTo(row[2]);
      // ... and the right seed gives something else.
      assertThat(Hotp.totp(seedFor(alg), t, params)).isNotEqualTo(row[2]);
    }
  }

  @Test
  void sixDigitCodes_areTheLastSixDigits_andKeepLeadingZeros() {
    TotpParameters six = new TotpParameters(HashAlgorithm.SHA1, 6, 30);
    assertThat(Hotp.totp(seedFor(HashAlgorithm.SHA1), Instant.ofEpochSecond(59), six)).isEqualTo("287082");
    assertThat(Hotp.totp(seedFor(HashAlgorithm.SHA1), Instant.ofEpochSecond(1111111109), six)).isEqualTo("081804");
  }

  @Test
  void timeStep_beyond2038_usesLongArithmetic() {
    assertThat(Hotp.timeStep(Instant.ofEpochSecond(20000000000L), 30)).isEqualTo(0x27BC86AAL);
  }
}
