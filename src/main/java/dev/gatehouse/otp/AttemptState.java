package dev.gatehouse.otp;

import java.time.Instant;

/**
 * What must survive a restart to stop replays and guessing.
 *
 * @param lastAcceptedStep the highest TOTP time step ever accepted; no step at or below it is
 *     accepted again ({@link Long#MIN_VALUE} when none)
 * @param failures consecutive failed attempts since the last success or lockout
 * @param lockedUntil while in the future, every attempt is refused; null when not locked
 */
public record AttemptState(long lastAcceptedStep, int failures, Instant lockedUntil) {
  public static final AttemptState INITIAL = new AttemptState(Long.MIN_VALUE, 0, null);

  public AttemptState {
    if (failures < 0) {
      throw new IllegalArgumentException("failures cannot be negative");
    }
  }

  public boolean lockedAt(Instant now) {
    return lockedUntil != null && now.isBefore(lockedUntil);
  }
}
