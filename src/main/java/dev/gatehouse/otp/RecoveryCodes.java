package dev.gatehouse.otp;

import dev.gatehouse.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Single-use recovery codes: 16 random base32 characters (80 bits) each, shown once as
 * {@code abcd-efgh-ijkl-mnop}. Only a salted SHA-256 of each is stored: with 80 bits of
 * entropy per code, a fast hash with a per-code salt leaves no practical offline search.
 */
public final class RecoveryCodes {
  public static final int COUNT = 10;
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
  private static final HexFormat HEX = HexFormat.of();

  /** A stored recovery code: hex salt and hex SHA-256(salt || code). */
  public record Hashed(String salt, String hash) {}

  private RecoveryCodes() {}

  /** New codes in display form ({@code xxxx-xxxx-xxxx-xxxx}). */
  public static List<String> generate(SecureRandom random) {
    List<String> codes = new ArrayList<>(COUNT);
    for (int i = 0; i < COUNT; i++) {
      StringBuilder code = new StringBuilder();
      for (int j = 0; j < CodeInput.RECOVERY_LENGTH; j++) {
        if (j > 0 && j % 4 == 0) {
          code.append('-');
        }
        code.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
      codes.add(code.toString());
    }
    return codes;
  }

  public static Hashed hash(String displayed, SecureRandom random) {
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    String normalized = ((CodeInput.RecoveryCode) CodeInput.parse(displayed)).text();
    return new Hashed(HEX.formatHex(salt), HEX.formatHex(digest(salt, normalized)));
  }

  /** Constant-time check of a normalized code against one stored hash. */
  public static boolean matches(Hashed stored, CodeInput.RecoveryCode code) {
    byte[] expected = HEX.parseHex(stored.hash());
    return MessageDigest.isEqual(expected, digest(HEX.parseHex(stored.salt()), code.text()));
  }

  private static byte[] digest(byte[] salt, String normalized) {
    return Sha256.of(salt, normalized.getBytes(StandardCharsets.US_ASCII));
  }
}
