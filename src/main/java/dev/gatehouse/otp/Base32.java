package dev.gatehouse.otp;

import dev.gatehouse.error.BadInputException;
import java.io.ByteArrayOutputStream;
import java.util.Locale;

/**
 * RFC 4648 base32, the encoding of TOTP keys in otpauth URIs and in authenticator apps.
 * Encoding never pads (Key URI format); decoding accepts either case, ignores spaces and
 * trailing '=' padding, and refuses everything else, including bits left over that are not
 * zero.
 */
public final class Base32 {
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  private Base32() {}

  public static String encode(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(ALPHABET.charAt((buffer >>> (bits - 5)) & 31));
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
    }
    return out.toString();
  }

  /** Decodes {@code text}; {@code field} names it in the error message (which never echoes it). */
  public static byte[] decode(String text, String field) {
    String s = text.replace(" ", "").toUpperCase(Locale.ROOT);
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '=') {
      end--;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(end * 5 / 8);
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < end; i++) {
      int v = ALPHABET.indexOf(s.charAt(i));
      if (v < 0) {
        throw new BadInputException(field + " is not base32 (letters A-Z and digits 2-7)");
      }
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out.write((buffer >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    if (bits >= 5 || (buffer & ((1 << bits) - 1)) != 0) {
      throw new BadInputException(field + " is not canonical base32 (its length or last character is wrong)");
    }
    return out.toByteArray();
  }
}
