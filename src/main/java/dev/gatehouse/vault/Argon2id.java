package dev.gatehouse.vault;

import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/** Argon2id (RFC 9106, version 0x13) through Bouncy Castle. */
public final class Argon2id {
  private Argon2id() {}

  /**
   * Derives {@code length} bytes from {@code password} and {@code salt}. {@code secret} and
   * {@code associatedData} are RFC 9106's K and X (usually empty). The caller owns and zeroes
   * the result.
   */
  public static byte[] derive(byte[] password, byte[] salt, byte[] secret, byte[] associatedData,
      KdfParams params, int length) {
    Argon2Parameters.Builder b = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(params.memoryKiB())
        .withIterations(params.iterations())
        .withParallelism(params.parallelism())
        .withSalt(salt);
    if (secret.length > 0) {
      b.withSecret(secret);
    }
    if (associatedData.length > 0) {
      b.withAdditional(associatedData);
    }
    Argon2BytesGenerator gen = new Argon2BytesGenerator();
    gen.init(b.build());
    byte[] out = new byte[length];
    gen.generateBytes(password, out);
    return out;
  }

  public static byte[] derive(byte[] password, byte[] salt, KdfParams params, int length) {
    return derive(password, salt, new byte[0], new byte[0], params, length);
  }

  static void zero(byte[]... arrays) {
    for (byte[] a : arrays) {
      if (a != null) {
        Arrays.fill(a, (byte) 0);
      }
    }
  }
}
