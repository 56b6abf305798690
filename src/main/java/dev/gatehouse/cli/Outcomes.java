package dev.gatehouse.cli;

import dev.gatehouse.otp.VerifyOutcome;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** How a code's outcome is told to the person who typed it. */
final class Outcomes {
  private Outcomes() {}

  static String describe(VerifyOutcome outcome) {
    return switch (outcome) {
      case VerifyOutcome.Accepted a -> a.method() == VerifyOutcome.Method.RECOVERY_CODE
          ? "recovery code accepted; " + a.recoveryCodesLeft() + " left"
          : "code accepted";
      case VerifyOutcome.Rejected r -> "gatehouse: code rejected: "
          + (r.reason() == VerifyOutcome.Reason.REPLAYED ? "it was already used" : "wrong code")
          + (r.lockedUntil() != null
              ? "; too many failures, every code is refused until " + time(r.lockedUntil())
              : "; " + r.attemptsLeft() + (r.attemptsLeft() == 1 ? " attempt" : " attempts") + " left before a lockout");
      case VerifyOutcome.LockedOut l -> "gatehouse: locked out after too many wrong codes; every code is refused until "
          + time(l.until());
    };
  }

  static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
