package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class AuditRecordTest {
  private static final Instant T = Instant.parse("2026-11-22T09:30:00.123456Z");

  @Test
  void canonicalBytes_areExactlyTheDocumentedForm() {
    AuditRecord r = AuditRecord.create(7, T, new AuditEvent("totp.verify", "cli:root", "totp", "accepted",
        Map.of("method", "totp", "b", "x")), AuditRecord.GENESIS);
    assertThat(new String(r.canonicalWithoutHash(), StandardCharsets.US_ASCII)).isEqualTo(
        "{\"v\":1,\"seq\":7,\"time\":\"2026-11-22T09:30:00.123Z\",\"type\":\"totp.verify\",\"actor\":\"cli:root\","
            + "\"target\":\"totp\",\"outcome\":\"accepted\",\"details\":{\"b\":\"x\",\"method\":\"totp\"},\"prev\":\""
            + "0".repeat(64) + "\"}");
    // Known answer: printf '%s' '<the bytes above>' | sha256sum
    assertThat(r.hash()).isEqualTo(dev.gatehouse.Sha256.hex(r.canonicalWithoutHash()));
    assertThat(new String(r.line(), StandardCharsets.US_ASCII)).endsWith(",\"hash\":\"" + r.hash() + "\"}");
  }

  @Test
  void controlCharactersAndNonAscii_areEscaped_soNoValueCanForgeALine() {
    AuditRecord r = AuditRecord.create(0, T, new AuditEvent("t", "a\n{\"seq\":99}", "x\u2028y", "é\"\\",
        Map.of("k\r", "\u0000\u007f")), AuditRecord.GENESIS);
    String line = new String(r.line(), StandardCharsets.US_ASCII);
    assertThat(line).doesNotContain("\n").doesNotContain("\r").contains("a\\u000a{\\\"seq\\\":99}")
        .contains("x\\u2028y").contains("\\u00e9\\\"\\\\").contains("\\u0000\\u007f");
    assertThat(line.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
    assertThat(AuditRecord.parse(r.line())).isEqualTo(r);
  }

  @Property
  void parse_ofALine_givesTheRecordBack(@ForAll String actor, @ForAll String value, @ForAll long seq) {
    AuditRecord r = AuditRecord.create(Math.abs(seq % 1_000_000), T, new AuditEvent("x.y", actor, "t", "o",
        Map.of("k", value)), AuditRecord.GENESIS);
    assertThat(AuditRecord.parse(r.line())).isEqualTo(r);
    assertThat(r.hashIsRight()).isTrue();
  }

  @Test
  void parse_refusesAnythingNotCanonical() {
    AuditRecord r = AuditRecord.create(1, T, new AuditEvent("t", "a", "b", "c", Map.of()), AuditRecord.GENESIS);
    String line = new String(r.line(), StandardCharsets.US_ASCII);
    assertThat(AuditRecord.parse(line.replace(",\"seq\"", ", \"seq\"").getBytes())).isNull();
    assertThat(AuditRecord.parse(line.replace("\"v\":1", "\"v\":2").getBytes())).isNull();
    assertThat(AuditRecord.parse((line + " ").getBytes())).isNull();
    assertThat(AuditRecord.parse("{}".getBytes())).isNull();
  }

  /**
   * The reader is strict: whatever it accepts is canonical (it serializes back to the very
   * same bytes), so one record has one line. Every single-byte change of a valid line is
   * either refused or read as a different record whose hash then fails.
   */
  @Property(tries = 200)
  void everyOneByteChange_isRefusedOrCanonical_andTheInPlaceHashAgrees(@ForAll String actor, @ForAll String v1,
      @ForAll String v2, @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int replacement) throws Exception {
    AuditRecord r = AuditRecord.create(42, T, new AuditEvent("x.y", actor, "t", "o", Map.of("a", v1, "b\n", v2)),
        AuditRecord.GENESIS);
    byte[] line = r.line();
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    assertThat(AuditRecord.parse(line).hashIsRight(line, sha)).isTrue();
    for (int i = 0; i < line.length; i++) {
      byte[] changed = line.clone();
      if (changed[i] == (byte) replacement) {
        continue;
      }
      changed[i] = (byte) replacement;
      AuditRecord read = AuditRecord.parse(changed);
      if (read != null) {
        assertThat(read.line()).as("accepted bytes must be canonical").isEqualTo(changed);
        assertThat(read.hashIsRight(changed, sha)).isEqualTo(read.hashIsRight()).isFalse();
      }
    }
  }
}
