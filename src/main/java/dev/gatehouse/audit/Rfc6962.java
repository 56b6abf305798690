package dev.gatehouse.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The RFC 6962 (§2.1) Merkle tree hasher over SHA-256, with its domain separation prefixes. */
public final class Rfc6962 {
  public static final byte LEAF_PREFIX = 0x00;
  public static final byte NODE_PREFIX = 0x01;
  public static final int HASH_BYTES = 32;

  private Rfc6962() {}

  /** One digest per thread: looking one up costs about as much as hashing an entry. */
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Rfc6962::sha256);

  /** This thread's SHA-256 digest, reset. */
  static MessageDigest threadDigest() {
    MessageDigest sha = DIGEST.get();
    sha.reset();
    return sha;
  }

  public static byte[] leafHash(byte[] data) {
    MessageDigest sha = DIGEST.get();
    sha.update(LEAF_PREFIX);
    return sha.digest(data);
  }

  public static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest sha = DIGEST.get();
    sha.update(NODE_PREFIX);
    sha.update(left);
    return sha.digest(right);
  }

  /** MTH({}) = SHA-256 of nothing. */
  public static byte[] emptyRoot() {
    return sha256().digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
