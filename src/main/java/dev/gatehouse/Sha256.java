package dev.gatehouse;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256, the one place that looks it up: a digest per thread (looking one up costs about as
 * much as hashing a short input), and the whole-input forms every caller needs.
 */
public final class Sha256 {
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JDK", e);
    }
  });

  private Sha256() {}

  /**
   * This thread's digest, reset. Finish with {@code digest()} in the same method: it is shared
   * by everything on the thread.
   */
  public static MessageDigest digest() {
    MessageDigest sha = DIGEST.get();
    sha.reset();
    return sha;
  }

  /** SHA-256 of the parts, one after the other. */
  public static byte[] of(byte[]... parts) {
    MessageDigest sha = digest();
    for (byte[] p : parts) {
      sha.update(p);
    }
    return sha.digest();
  }

  /** {@link #of}, in lower-case hex. */
  public static String hex(byte[]... parts) {
    return HexFormat.of().formatHex(of(parts));
  }
}
