package dev.gatehouse.broker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Replaces every occurrence of a secret value in an upstream answer by {@value #MASK}, in
 * headers and body. The body is held whole (within the action's size limit), so a value
 * split across network chunks is still found.
 */
final class Scrubber {
  static final String MASK = dev.gatehouse.audit.Redactor.REDACTED;
  private final List<byte[]> secrets = new ArrayList<>();

  Scrubber(Collection<String> values) {
    values.stream().filter(v -> v.length() >= dev.gatehouse.audit.Redactor.MIN_SECRET_LENGTH).sorted(Comparator.comparingInt(String::length).reversed())
        .forEach(v -> secrets.add(v.getBytes(StandardCharsets.UTF_8)));
  }

  String text(String s) {
    return new String(bytes(s.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  byte[] bytes(byte[] in) {
    byte[] out = in;
    for (byte[] secret : secrets) {
      out = replace(out, secret);
    }
    return out;
  }

  private static byte[] replace(byte[] in, byte[] secret) {
    int at = indexOf(in, secret, 0);
    if (at < 0) {
      return in;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    int from = 0;
    while (at >= 0) {
      out.write(in, from, at - from);
      out.writeBytes(MASK.getBytes(StandardCharsets.US_ASCII));
      from = at + secret.length;
      at = indexOf(in, secret, from);
    }
    out.write(in, from, in.length - from);
    return out.toByteArray();
  }

  private static int indexOf(byte[] in, byte[] s, int from) {
    outer:
    for (int i = from; i <= in.length - s.length; i++) {
      for (int j = 0; j < s.length; j++) {
        if (in[i + j] != s[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
