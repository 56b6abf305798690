package dev.gatehouse.otp;

/**
 * How codes are made from a key (RFC 6238 §4): the HMAC, the number of digits, and the time
 * step. T0 is always the Unix epoch.
 */
public record TotpParameters(HashAlgorithm algorithm, int digits, int periodSeconds) {
  /** What every authenticator app supports: SHA-1, 6 digits, 30 seconds. */
  public static final TotpParameters DEFAULT = new TotpParameters(HashAlgorithm.SHA1, 6, 30);

  public TotpParameters {
    if (algorithm == null) {
      throw new IllegalArgumentException("algorithm is required");
    }
    if (digits < 6 || digits > 8) {
      throw new IllegalArgumentException("digits must be 6 to 8, not " + digits);
    }
    if (periodSeconds < 1) {
      throw new IllegalArgumentException("period must be at least 1 second, not " + periodSeconds);
    }
  }
}
