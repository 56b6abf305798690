package dev.gatehouse.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.PrometheusText;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class MicrometerMetricsTest {
  static final Set<String> CATALOG = Set.of("media.item", "media.files");
  static final Set<String> CAUSES = Set.of("path-refused", "replayed-nonce", "unknown-action", "upstream-error");
  static final Set<String> OUTCOMES = Arrays.stream(Metrics.Outcome.values()).map(o -> o.label)
      .collect(Collectors.toSet());

  static MicrometerMetrics metrics(double sealed) {
    return new MicrometerMetrics(CATALOG::contains, CAUSES, new MicrometerMetrics.Gauges(() -> sealed, () -> 2,
        () -> {
          throw new IllegalStateException("state.db is gone");
        }));
  }

  @Test
  void call_byActionAndOutcome_isCountedWithItsRefusalCause() {
    MicrometerMetrics m = metrics(0);
    m.call("media.item", Metrics.Outcome.ANSWERED, null, 2_000_000);
    m.call("media.item", Metrics.Outcome.ANSWERED, null, 40_000_000);
    m.call("media.files", Metrics.Outcome.REFUSED, "path-refused", 1_000_000);
    m.call("media.item", Metrics.Outcome.FAILED, "upstream-error", 1_000_000);

    PrometheusText t = PrometheusText.parse(m.scrape());
    assertThat(t.type("gatehouse_calls_seconds")).contains("histogram");
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "media.item", "outcome", "answered")).isEqualTo(2);
    assertThat(t.value("gatehouse_calls_seconds_sum", "action", "media.item", "outcome", "answered"))
        .isEqualTo(0.042, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(t.value("gatehouse_calls_seconds_bucket", "action", "media.item", "outcome", "answered", "le", "0.005"))
        .as("2 ms is under the 5 ms bucket, 40 ms is not").isEqualTo(1);
    assertThat(t.value("gatehouse_calls_seconds_bucket", "action", "media.item", "outcome", "answered", "le", "+Inf"))
        .isEqualTo(2);
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "media.files", "outcome", "refused")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", "path-refused")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", "upstream-error")).isEqualTo(1);
    assertThat(t.find("gatehouse_refusals_total", "cause", "replayed-nonce")).as("every cause is shown from the start")
        .singleElement().extracting(PrometheusText.Sample::value).isEqualTo(0.0);
  }

  @Test
  void call_ofANameOutsideTheCatalog_isCountedAsUnknown_andMintsNoLabelValue() {
    MicrometerMetrics m = metrics(0);
    m.call("evil.CANARY-action", Metrics.Outcome.REFUSED, "unknown-action", 1000);
    m.call("../../etc/passwd", Metrics.Outcome.REFUSED, "sk-CANARY-cause", 1000);
    m.call(null, Metrics.Outcome.REFUSED, null, 1000);

    String text = m.scrape();
    assertThat(text).doesNotContain("CANARY").doesNotContain("passwd");
    PrometheusText t = PrometheusText.parse(text);
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "unknown", "outcome", "refused")).isEqualTo(3);
    assertThat(t.value("gatehouse_refusals_total", "cause", "unknown-action")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", "other")).isEqualTo(1);
  }

  @Property(tries = 60)
  void anyActionAndCause_labelsStayInTheirClosedSets(@ForAll List<String> names, @ForAll List<String> causes) {
    MicrometerMetrics m = metrics(0);
    for (int i = 0; i < names.size(); i++) {
      m.call(names.get(i), Metrics.Outcome.values()[i % Metrics.Outcome.values().length],
          causes.isEmpty() ? null : causes.get(i % causes.size()), i);
    }
    for (PrometheusText.Sample s : PrometheusText.parse(m.scrape()).samples()) {
      assertLabelsClosed(s);
    }
  }

  static void assertLabelsClosed(PrometheusText.Sample s) {
    s.labels().forEach((k, v) -> {
      switch (k) {
        case "action" -> assertThat(v).isIn(union(CATALOG, Set.of(Metrics.UNKNOWN_ACTION)));
        case "outcome" -> assertThat(v).isIn(OUTCOMES);
        case "cause" -> assertThat(v).isIn(union(CAUSES, Set.of(MicrometerMetrics.OTHER_CAUSE)));
        case "le" -> assertThat(v).matches("[0-9.E+-]+|\\+Inf");
        default -> throw new AssertionError("unexpected label " + k + " on " + s);
      }
    });
  }

  static Set<String> union(Set<String> a, Set<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
  }

  @Test
  void auditAndLockouts_areCounted_andGaugesReadWhenScraped() {
    MicrometerMetrics m = metrics(1);
    m.auditAppend(300_000);
    m.auditAppend(700_000);
    m.auditBatch(2, 250_000);
    m.auditBatch(40, 900_000);
    m.lockout();

    PrometheusText t = PrometheusText.parse(m.scrape());
    assertThat(t.value("gatehouse_audit_append_seconds_count")).isEqualTo(2);
    assertThat(t.value("gatehouse_audit_append_seconds_bucket", "le", "5.0E-4")).isEqualTo(1);
    assertThat(t.value("gatehouse_audit_batch_write_seconds_count")).isEqualTo(2);
    assertThat(t.value("gatehouse_audit_batch_entries_count")).isEqualTo(2);
    assertThat(t.value("gatehouse_audit_batch_entries_sum")).isEqualTo(42);
    assertThat(t.value("gatehouse_audit_batch_entries_bucket", "le", "2.0")).isEqualTo(1);
    assertThat(t.value("gatehouse_totp_lockouts_total")).isEqualTo(1);
    assertThat(t.value("gatehouse_sealed")).isEqualTo(1);
    assertThat(t.value("gatehouse_approvals_pending")).isEqualTo(2);
    assertThat(t.value("gatehouse_totp_locked")).as("a gauge that cannot be read is NaN, not a failed scrape").isNaN();
  }
}
