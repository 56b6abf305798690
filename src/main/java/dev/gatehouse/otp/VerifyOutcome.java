package dev.gatehouse.otp;

import java.time.Instant;

/** The answer to one code. Malformed input is not an outcome: it is refused before any check. */
public sealed interface VerifyOutcome {
  enum Method { TOTP, RECOVERY_CODE }

  enum Reason { INVALID, REPLAYED }

  /** The code was right and is now spent. */
  record Accepted(Method method, int recoveryCodesLeft) implements VerifyOutcome {}

  /**
   * The code was wrong or already used; it counted as a failure.
   *
   * @param attemptsLeft failures still allowed before a lockout (0 when this one started it)
   * @param lockedUntil set when this failure started a lockout
   */
  record Rejected(Reason reason, int attemptsLeft, Instant lockedUntil) implements VerifyOutcome {}

  /** Locked out: the code was not even looked at. */
  record LockedOut(Instant until) implements VerifyOutcome {}
}
