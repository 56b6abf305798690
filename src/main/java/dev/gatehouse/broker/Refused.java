package dev.gatehouse.broker;

/**
 * A refusal carried out of a stage of a signed endpoint. It names no actor: the endpoint
 * audits it with the caller as far as the request got, so no stage can attribute a refusal
 * wrongly or not at all.
 */
public final class Refused extends Exception {
  private final Problem problem;
  private final long retryAfterSeconds;

  public Refused(Problem.Kind kind, String detail) {
    this(kind, detail, -1);
  }

  /** A refusal the client may retry after {@code retryAfterSeconds} (429). */
  public Refused(Problem.Kind kind, String detail, long retryAfterSeconds) {
    super(kind.slug, null, false, false);
    this.problem = new Problem(kind, detail);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Problem problem() {
    return problem;
  }

  /** Seconds for {@code Retry-After}, or -1. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
