package dev.gatehouse.vault;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a random 96-bit nonce chosen here, never by the caller, and a 128-bit tag.
 * Output: {@code nonce || ciphertext || tag}.
 *
 * <p>Security guarantees: confidentiality and integrity of the plaintext, and integrity of
 * {@code associatedData}, which must be given again to decrypt. Random nonces bound one key
 * to well under 2^32 encryptions; the vault re-keys long before (each file holds one key's
 * entries).
 */
public final class AesGcm {
  public static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private AesGcm() {}

  public static byte[] encrypt(byte[] key, byte[] plaintext, byte[] associatedData, SecureRandom random) {
    checkKey(key);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData);
      byte[] out = new byte[NONCE_BYTES + c.getOutputSize(plaintext.length)];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      c.doFinal(plaintext, 0, plaintext.length, out, NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JDK", e);
    }
  }

  /** @throws AEADBadTagException when the key, the data or the associated data is not the one used */
  public static byte[] decrypt(byte[] key, byte[] sealed, byte[] associatedData) throws AEADBadTagException {
    checkKey(key);
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new AEADBadTagException("ciphertext too short");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(sealed, 0, NONCE_BYTES)));
      c.updateAAD(associatedData);
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  private static void checkKey(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key");
    }
  }
}
