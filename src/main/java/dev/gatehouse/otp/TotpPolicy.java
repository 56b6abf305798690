package dev.gatehouse.otp;

import java.time.Duration;

/**
 * The owner's TOTP settings.
 *
 * @param issuer the name the authenticator app shows
 * @param newKeys parameters for a key enrolled from now on (an enrolled key keeps its own)
 * @param skewSteps time steps accepted either side of the current one: 0 or 1, never wider
 * @param maxFailures consecutive failures that start a lockout
 * @param lockout how long a lockout refuses every attempt, even a valid code
 */
public record TotpPolicy(String issuer, TotpParameters newKeys, int skewSteps, int maxFailures, Duration lockout) {
  public static final TotpPolicy DEFAULT =
      new TotpPolicy("Gatehouse", TotpParameters.DEFAULT, 1, 3, Duration.ofMinutes(15));

  public TotpPolicy {
    if (skewSteps < 0 || skewSteps > 1) {
      throw new IllegalArgumentException("skew must be 0 or 1 steps");
    }
    if (maxFailures < 1) {
      throw new IllegalArgumentException("max failures must be at least 1");
    }
    if (lockout.isNegative() || lockout.isZero()) {
      throw new IllegalArgumentException("a lockout lasts a positive time");
    }
  }
}
