package dev.gatehouse.owner;

import dev.gatehouse.broker.Problem;

/**
 * A refusal of an owner-plane request, as the client will see it: the owner gate answers it
 * as {@code application/problem+json}. The detail is written for the client and never holds a
 * secret.
 */
public final class OwnerProblem extends RuntimeException {
  private final transient Problem problem;

  public OwnerProblem(Problem.Kind kind, String detail) {
    super(kind.slug, null, false, false); // an expected outcome: no stack trace is kept
    this.problem = new Problem(kind, detail);
  }

  public Problem problem() {
    return problem;
  }

  /** The signed-in user's role is below {@code needed}. */
  public static OwnerProblem role(Role needed) {
    return new OwnerProblem(Problem.Kind.ROLE_INSUFFICIENT, "this needs the " + needed.id() + " role");
  }

  /** A sensitive operation without a code proved in the last 5 minutes. */
  public static OwnerProblem reauth() {
    return new OwnerProblem(Problem.Kind.REAUTH_REQUIRED, "re-authenticate with a fresh code from your authenticator"
        + " app (POST /v1/owner/reauth {\"code\"}, or the dashboard's re-authenticate form), then repeat this request");
  }

  public static OwnerProblem badRequest(String detail) {
    return new OwnerProblem(Problem.Kind.BAD_REQUEST, detail);
  }

  public static OwnerProblem noSuch(String detail) {
    return new OwnerProblem(Problem.Kind.NO_SUCH_ITEM, detail);
  }
}
