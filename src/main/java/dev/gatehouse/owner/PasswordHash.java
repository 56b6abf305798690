package dev.gatehouse.owner;

import dev.gatehouse.vault.Argon2id;
import dev.gatehouse.vault.KdfParams;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Owner-plane passwords, hashed with Argon2id (the vault's function and parameters).
 *
 * <p>Stored form (frozen; the PHC string format): {@code $argon2id$v=19$m=M,t=T,p=P$SALT$HASH},
 * SALT 16 bytes and HASH 32 bytes in unpadded standard base64. Each hash carries its own
 * parameters, so raising them later still verifies every stored hash.
 *
 * <p>Guarantees: the password is UTF-8 encoded into an array that is zeroed after use (the
 * caller zeroes its {@code char[]}); the comparison is constant-time; a stored string that is
 * not in this form, or whose parameters are out of {@link KdfParams}' bounds, never verifies.
 * {@link #verifyNothing} costs one derivation with the current parameters, so an unknown user
 * takes as long to refuse as a wrong password.
 */
public final class PasswordHash {
  static final int SALT_BYTES = 16;
  static final int HASH_BYTES = 32;
  private static final Pattern FORM = Pattern.compile(
      "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{22})\\$([A-Za-z0-9+/]{43})");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

  private final KdfParams params;
  private final SecureRandom random;
  private final byte[] dummySalt = new byte[SALT_BYTES];

  /** @param params for new hashes (tests use the fastest {@link KdfParams} allows) */
  public PasswordHash(KdfParams params, SecureRandom random) {
    this.params = Objects.requireNonNull(params, "params");
    this.random = Objects.requireNonNull(random, "random");
    random.nextBytes(dummySalt);
  }

  public KdfParams params() {
    return params;
  }

  /** A new stored form for {@code password}, with a fresh salt. */
  public String hash(char[] password) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] pw = utf8(password);
    byte[] hash = Argon2id.derive(pw, salt, params, HASH_BYTES);
    try {
      return "$argon2id$v=19$m=" + params.memoryKiB() + ",t=" + params.iterations() + ",p=" + params.parallelism()
          + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    } finally {
      Arrays.fill(pw, (byte) 0);
      Arrays.fill(hash, (byte) 0);
    }
  }

  /** Whether {@code password} is the one {@code stored} was made from; false for a damaged {@code stored}. */
  public boolean verify(char[] password, String stored) {
    Matcher m = stored == null ? null : FORM.matcher(stored);
    if (m == null || !m.matches()) {
      verifyNothing(password);
      return false;
    }
    KdfParams p;
    try {
      p = new KdfParams(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    } catch (IllegalArgumentException e) {
      verifyNothing(password);
      return false;
    }
    byte[] salt = Base64.getDecoder().decode(m.group(4));
    byte[] expected = Base64.getDecoder().decode(m.group(5));
    byte[] pw = utf8(password);
    byte[] actual = Argon2id.derive(pw, salt, p, HASH_BYTES);
    try {
      return MessageDigest.isEqual(expected, actual);
    } finally {
      Arrays.fill(pw, (byte) 0);
      Arrays.fill(actual, (byte) 0);
      Arrays.fill(expected, (byte) 0);
    }
  }

  /** Spends what a verification with the current parameters costs, and answers nothing. */
  public void verifyNothing(char[] password) {
    byte[] pw = utf8(password == null ? new char[0] : password);
    byte[] out = Argon2id.derive(pw, dummySalt, params, HASH_BYTES);
    Arrays.fill(pw, (byte) 0);
    Arrays.fill(out, (byte) 0);
  }

  /** The UTF-8 bytes of {@code chars}; the caller zeroes them. */
  static byte[] utf8(char[] chars) {
    ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
    byte[] out = new byte[b.remaining()];
    b.get(out);
    Arrays.fill(b.array(), (byte) 0);
    return out;
  }
}
