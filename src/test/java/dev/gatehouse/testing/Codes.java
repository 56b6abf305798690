package dev.gatehouse.testing;

import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import java.time.Instant;

/** TOTP codes for tests: the right one at an instant, and ones no step of the window accepts. */
public final class Codes {
  private Codes() {}

  /** The {@code n}-th code (from 0) that no step within one of {@code at} accepts: a wrong code, for sure. */
  public static String wrong(byte[] key, Instant at, TotpParameters params, int n) {
    for (int c = 0, found = 0; ; c++) {
      String code = String.format("%0" + params.digits() + "d", c);
      boolean valid = false;
      for (int k = -1; k <= 1; k++) {
        valid |= code.equals(Hotp.totp(key, at.plusSeconds((long) params.periodSeconds() * k), params));
      }
      if (!valid && found++ == n) {
        return code;
      }
    }
  }

  /** The first wrong code at {@code at} with the default parameters. */
  public static String wrong(byte[] key, Instant at) {
    return wrong(key, at, TotpParameters.DEFAULT, 0);
  }
}
