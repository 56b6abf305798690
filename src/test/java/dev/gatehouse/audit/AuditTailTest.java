package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditTailTest {
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

  @TempDir
  Path dir;

  @Test
  void read_findsTheDetailOfEveryEntrySince_acrossSegmentsAndLinesLongerThanItsBuffers() throws Exception {
    MutableClock clock = new MutableClock(T0);
    AuditTesting t = new AuditTesting();
    List<String> expected = new ArrayList<>();
    try (FileAuditLog log = t.open(dir, clock, new FileAuditLog.Settings(200_000, Duration.ofDays(1), 1000,
        Duration.ofMinutes(5)))) {
      for (int i = 0; i < 30; i++) {
        String pad = "p".repeat(i % 3 == 0 ? 100_000 : 10); // longer than both read buffers
        log.record(new AuditEvent("t", "a", "x", "ok", Map.of("pad", pad, "wanted", "v" + i)));
        if (clock.instant().compareTo(T0.plusSeconds(10)) >= 0) {
          expected.add((clock.instant().toEpochMilli()) + "=v" + i);
        }
        log.record(new AuditEvent("t", "a", "x", "ok", Map.of("other", "w" + i))); // no such detail
        clock.advance(Duration.ofSeconds(1));
      }
    }
    assertThat(FileAuditLog.segments(dir)).hasSizeGreaterThan(3);

    List<String> seen = new ArrayList<>();
    long read = AuditTail.read(dir, T0.plusSeconds(10), "wanted", (time, value) -> seen.add(time + "=" + value));

    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(read).as("older segments are not read").isLessThan(60);
  }

  @Test
  void aValueWithAnEscape_isSkipped_notCutShort() throws Exception {
    AuditTesting t = new AuditTesting();
    try (FileAuditLog log = t.open(dir, new MutableClock(T0), FileAuditLog.Settings.DEFAULT)) {
      log.record(new AuditEvent("t", "a", "x", "ok", Map.of("wanted", "a\"b")));
      log.record(new AuditEvent("t", "a", "x", "ok", Map.of("wanted", "plain")));
    }
    List<String> seen = new ArrayList<>();

    AuditTail.read(dir, T0, "wanted", (time, value) -> seen.add(value));

    assertThat(seen).containsExactly("plain");
  }

  @net.jqwik.api.Property(tries = 2000)
  void canonicalTime_readsWhatTheWriterWrites(@net.jqwik.api.ForAll @net.jqwik.api.constraints.LongRange(
      min = 0, max = 253_402_300_799_999L) long millis) {
    String text = java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(Instant.ofEpochMilli(millis));
    byte[] b = ("x" + text).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    assertThat(AuditTail.canonicalTime(b, 1)).as(text).isEqualTo(millis);
  }

  @Test
  void canonicalTime_refusesWhatIsNotOne() {
    for (String bad : List.of("2026-12-06 10:00:00.000Z", "2026-13-06T10:00:00.000Z", "2026-02-30T10:00:00.000Z",
        "2026-12-06T24:00:00.000Z", "2026-12-06T10:60:00.000Z", "2026-12-06T10:00:0x.000Z", "2026-12-06T10:00:00.000+",
        "-026-12-06T10:00:00.000Z")) {
      assertThat(AuditTail.canonicalTime(bad.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0)).as(bad)
          .isEqualTo(Long.MIN_VALUE);
    }
  }
}
