package dev.gatehouse.metrics;

/**
 * Where the capabilities report what {@code /metrics} counts: the one seam between them and
 * any metrics library (Micrometer stands behind it in {@link MicrometerMetrics}; {@link #NONE}
 * wherever nothing is scraped). Each method is called on a request's or a writer's path, so
 * an implementation must be cheap, never block and never throw.
 *
 * <p>Label values come from closed sets only: an action is a catalog action's full name or
 * {@link #UNKNOWN_ACTION}, an outcome one of {@link Outcome}, a cause a problem kind's slug.
 * A caller never passes text an agent or an upstream chose; an implementation maps anything
 * outside its sets to one fixed value, so no request can mint a label value.
 */
public interface Metrics {
  /** The action label of a call whose path names no action in the catalog. */
  String UNKNOWN_ACTION = "unknown";

  /** How a broker call ended. */
  enum Outcome {
    /** The upstream answered (whatever its status); the answer went back scrubbed. */
    ANSWERED("answered"),
    /** Refused by Gatehouse before any upstream request (the cause says why). */
    REFUSED("refused"),
    /** Allowed and recorded, but the upstream failed, timed out or was refused (the cause says which). */
    FAILED("failed"),
    /** Waiting for the owner's approval (202). */
    PENDING("pending"),
    /** Trust level 1: described, nothing ran. */
    DESCRIBED("described");

    public final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  /**
   * One broker call answered after {@code nanos}: {@code action} a catalog action's full name
   * or {@link #UNKNOWN_ACTION}; {@code cause} the problem kind's slug when Gatehouse answered
   * with a problem, else null.
   */
  void call(String action, Outcome outcome, String cause, long nanos);

  /** A durable audit append: the caller waited {@code nanos} for its entry to be on disk. */
  void auditAppend(long nanos);

  /** The audit writer wrote (and forced, if any caller waited) one batch of {@code entries} in {@code nanos}. */
  void auditBatch(int entries, long nanos);

  /** A TOTP lockout began (counted once per lockout, wherever it started). */
  void lockout();

  /** Records nothing. */
  Metrics NONE = new Metrics() {
    @Override
    public void call(String action, Outcome outcome, String cause, long nanos) {}

    @Override
    public void auditAppend(long nanos) {}

    @Override
    public void auditBatch(int entries, long nanos) {}

    @Override
    public void lockout() {}
  };
}
