package dev.gatehouse.audit;

import dev.gatehouse.Sha256;
import java.security.MessageDigest;

/** The RFC 6962 (§2.1) Merkle tree hasher over SHA-256, with its domain separation prefixes. */
public final class Rfc6962 {
  public static final byte LEAF_PREFIX = 0x00;
  public static final byte NODE_PREFIX = 0x01;
  public static final int HASH_BYTES = 32;

  private Rfc6962() {}


  public static byte[] leafHash(byte[] data) {
    MessageDigest sha = Sha256.digest();
    sha.update(LEAF_PREFIX);
    return sha.digest(data);
  }

  public static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest sha = Sha256.digest();
    sha.update(NODE_PREFIX);
    sha.update(left);
    return sha.digest(right);
  }

  /** MTH({}) = SHA-256 of nothing. */
  public static byte[] emptyRoot() {
    return Sha256.of();
  }
}
