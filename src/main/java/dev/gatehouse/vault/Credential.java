package dev.gatehouse.vault;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** What opens the vault: the master password, or this machine (sealed mode) with its optional PIN. */
public sealed interface Credential extends AutoCloseable {
  /** The key-derivation input; the caller zeroes it. */
  byte[] secretBytes();

  @Override
  void close();

  private static byte[] utf8(char[] chars) {
    ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
    byte[] out = new byte[b.remaining()];
    b.get(out);
    Arrays.fill(b.array(), (byte) 0);
    return out;
  }

  /** The master password. Its chars are zeroed by {@link #close()}. */
  final class Password implements Credential {
    private final char[] chars;

    public Password(char[] chars) {
      if (chars.length == 0) {
        throw new IllegalArgumentException("the password is empty");
      }
      this.chars = chars.clone();
    }

    @Override
    public byte[] secretBytes() {
      return utf8(chars);
    }

    @Override
    public void close() {
      Arrays.fill(chars, '\0');
    }

    @Override
    public String toString() {
      return "Password[redacted]";
    }
  }

  /** This machine's identity plus an optional PIN (empty when none). */
  final class MachineSeal implements Credential {
    private final byte[] fingerprint;
    private final char[] pin;

    public MachineSeal(byte[] fingerprint, char[] pin) {
      this.fingerprint = fingerprint.clone();
      this.pin = pin.clone();
    }

    byte[] fingerprint() {
      return fingerprint.clone();
    }

    boolean hasPin() {
      return pin.length > 0;
    }

    @Override
    public byte[] secretBytes() {
      byte[] p = utf8(pin);
      byte[] out = new byte[fingerprint.length + 1 + p.length];
      System.arraycopy(fingerprint, 0, out, 0, fingerprint.length);
      System.arraycopy(p, 0, out, fingerprint.length + 1, p.length);
      Arrays.fill(p, (byte) 0);
      return out;
    }

    @Override
    public void close() {
      Arrays.fill(fingerprint, (byte) 0);
      Arrays.fill(pin, '\0');
    }

    @Override
    public String toString() {
      return "MachineSeal[redacted]";
    }
  }
}
