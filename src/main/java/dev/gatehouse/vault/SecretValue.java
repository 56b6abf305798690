package dev.gatehouse.vault;

import java.util.Arrays;

/**
 * A secret's bytes, out of the vault. Never printed ({@link #toString()} redacts); read them
 * with {@link #bytes(SecretAccess)}; {@link #close()} zeroes them.
 */
public final class SecretValue implements AutoCloseable {
  private final byte[] value;

  SecretValue(byte[] value) {
    this.value = value;
  }

  /** A copy of the bytes; the caller zeroes it. */
  public byte[] bytes(SecretAccess access) {
    if (access == null) {
      throw new IllegalArgumentException("reading a secret needs SecretAccess");
    }
    return value.clone();
  }

  public int length() {
    return value.length;
  }

  @Override
  public void close() {
    Arrays.fill(value, (byte) 0);
  }

  @Override
  public String toString() {
    return "SecretValue[redacted, " + value.length + " bytes]";
  }
}
