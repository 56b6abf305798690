package dev.gatehouse.otp;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Instant;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HOTP (RFC 4226 §5.3) and its time-based form TOTP (RFC 6238 §4). Pure functions: no state,
 * no clock. Codes are returned as strings so leading zeros are kept.
 */
public final class Hotp {
  private static final int[] POWERS = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000};

  private Hotp() {}

  /** HOTP(K, C): the {@code digits}-digit code for {@code counter} (8-byte big-endian). */
  public static String code(byte[] key, long counter, int digits, HashAlgorithm algorithm) {
    if (digits < 1 || digits > 8) {
      throw new IllegalArgumentException("digits must be 1 to 8");
    }
    byte[] mac = hmac(key, ByteBuffer.allocate(Long.BYTES).putLong(counter).array(), algorithm);
    // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte picks the offset.
    int offset = mac[mac.length - 1] & 0x0f;
    int binary = ((mac[offset] & 0x7f) << 24)
        | ((mac[offset + 1] & 0xff) << 16)
        | ((mac[offset + 2] & 0xff) << 8)
        | (mac[offset + 3] & 0xff);
    String digitsText = Integer.toString(binary % POWERS[digits]);
    return "0".repeat(digits - digitsText.length()) + digitsText;
  }

  /** The RFC 6238 time step T = floor(unix seconds / period) at {@code time}. */
  public static long timeStep(Instant time, int periodSeconds) {
    return Math.floorDiv(time.getEpochSecond(), periodSeconds);
  }

  /** TOTP(K, T) for the step that contains {@code time}. */
  public static String totp(byte[] key, Instant time, TotpParameters params) {
    return code(key, timeStep(time, params.periodSeconds()), params.digits(), params.algorithm());
  }

  private static byte[] hmac(byte[] key, byte[] message, HashAlgorithm algorithm) {
    try {
      Mac mac = Mac.getInstance(algorithm.jcaName());
      mac.init(new SecretKeySpec(key, algorithm.jcaName()));
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm.jcaName() + " is not available in this JDK", e);
    }
  }
}
