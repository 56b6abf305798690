package dev.gatehouse.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;

/**
 * {@link Metrics} on Micrometer's Prometheus registry, and the text {@code /metrics} answers
 * ({@link #scrape}). The only class that names Micrometer. Every meter is listed in
 * docs/metrics.md.
 *
 * <p>Labels are closed sets, enforced here as well as by the callers: an action the catalog
 * does not hold right now is counted as {@link Metrics#UNKNOWN_ACTION}, a cause outside the
 * given slugs as {@value #OTHER_CAUSE}. So the number of series is bounded by the catalog, and
 * no value an agent, an upstream or a secret holds can appear in a label.
 */
public final class MicrometerMetrics implements Metrics {
  /** The content type of {@link #scrape}: Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /** The cause label of a refusal whose slug is not in the closed set (never expected). */
  static final String OTHER_CAUSE = "other";
  private static final Duration[] CALL_BUCKETS = durations(0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
      5000, 10_000, 30_000);
  private static final Duration[] AUDIT_BUCKETS = durations(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250,
      1000);
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};

  /** What the gauges read when scraped; each may be slow-ish (a file stat, one SQLite query), never secret. */
  public record Gauges(DoubleSupplier sealed, DoubleSupplier pendingApprovals, DoubleSupplier totpLocked) {}

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Predicate<String> actions;
  private final Map<String, Counter> refusals;
  private final Counter otherRefusals;
  /** Per action, one timer per {@link Outcome}, made on the action's first call. */
  private final Map<String, Timer[]> calls = new ConcurrentHashMap<>();
  private final Timer auditAppend;
  private final Timer auditBatchWrite;
  private final DistributionSummary auditBatchEntries;
  private final Counter lockouts;

  /**
   * @param actions whether a name is an action of the catalog in force (reloads included)
   * @param causes every refusal cause there is (the problem kinds' slugs); each is shown from the start, at 0
   */
  public MicrometerMetrics(Predicate<String> actions, Set<String> causes, Gauges gauges) {
    this.actions = actions;
    Map<String, Counter> r = new ConcurrentHashMap<>();
    for (String cause : causes) {
      r.put(cause, refusalCounter(cause));
    }
    this.refusals = Map.copyOf(r);
    this.otherRefusals = refusalCounter(OTHER_CAUSE);
    this.auditAppend = Timer.builder("gatehouse.audit.append")
        .description("How long a caller waited for its audit entry to be durable")
        .serviceLevelObjectives(AUDIT_BUCKETS).register(registry);
    this.auditBatchWrite = Timer.builder("gatehouse.audit.batch.write")
        .description("How long the audit writer took to write (and force) one batch")
        .serviceLevelObjectives(AUDIT_BUCKETS).register(registry);
    this.auditBatchEntries = DistributionSummary.builder("gatehouse.audit.batch.entries")
        .description("Entries per audit batch (one write and at most one fdatasync each)")
        .serviceLevelObjectives(BATCH_BUCKETS).register(registry);
    this.lockouts = Counter.builder("gatehouse.totp.lockouts")
        .description("TOTP lockouts begun (too many wrong codes), wherever they started").register(registry);
    gauge("gatehouse.sealed", "1 while the vault is sealed", gauges.sealed());
    gauge("gatehouse.approvals.pending", "Action approvals waiting for the owner", gauges.pendingApprovals());
    gauge("gatehouse.totp.locked", "1 while a TOTP lockout is in force", gauges.totpLocked());
  }

  @Override
  public void call(String action, Outcome outcome, String cause, long nanos) {
    try {
      String a = action != null && actions.test(action) ? action : UNKNOWN_ACTION;
      Timer[] timers = calls.get(a);
      if (timers == null) {
        timers = calls.computeIfAbsent(a, this::callTimers);
      }
      timers[outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
      if (cause != null) {
        refusals.getOrDefault(cause, otherRefusals).increment();
      }
    } catch (RuntimeException e) {
      // counting never fails a call
    }
  }

  @Override
  public void auditAppend(long nanos) {
    auditAppend.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void auditBatch(int entries, long nanos) {
    auditBatchWrite.record(nanos, TimeUnit.NANOSECONDS);
    auditBatchEntries.record(entries);
  }

  @Override
  public void lockout() {
    lockouts.increment();
  }

  /** Every meter in Prometheus text format ({@link #CONTENT_TYPE}). */
  public String scrape() {
    return registry.scrape();
  }

  private Timer[] callTimers(String action) {
    Outcome[] outcomes = Outcome.values();
    Timer[] timers = new Timer[outcomes.length];
    for (Outcome o : outcomes) {
      timers[o.ordinal()] = Timer.builder("gatehouse.calls")
          .description("Broker calls (POST /v1/actions/...) by action and outcome, and how long each took")
          .tags("action", action, "outcome", o.label)
          .serviceLevelObjectives(CALL_BUCKETS).register(registry);
    }
    return timers;
  }

  private Counter refusalCounter(String cause) {
    return Counter.builder("gatehouse.refusals").description("Broker calls answered with a problem, by its kind")
        .tag("cause", cause).register(registry);
  }

  private void gauge(String name, String description, DoubleSupplier value) {
    Gauge.builder(name, () -> {
      try {
        return value.getAsDouble();
      } catch (RuntimeException e) {
        return Double.NaN; // unknown right now: shown as NaN, the scrape still answers
      }
    }).description(description).register(registry);
  }

  private static Duration[] durations(double... millis) {
    Duration[] d = new Duration[millis.length];
    for (int i = 0; i < millis.length; i++) {
      d[i] = Duration.ofNanos(Math.round(millis[i] * 1_000_000));
    }
    return d;
  }
}
