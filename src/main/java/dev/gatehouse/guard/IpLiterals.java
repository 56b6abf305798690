package dev.gatehouse.guard;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict text forms of IP addresses. Exactly one spelling of each IPv4 address is accepted
 * (four decimal octets, no leading zeros), so no other parser (glibc, curl, a proxy) can read
 * the same text as a different address. Nothing here performs a DNS lookup.
 */
final class IpLiterals {
  private IpLiterals() {}

  /** True if {@code text} is a canonical dotted-quad IPv4 address. */
  static boolean isIpv4(String text) {
    try {
      parseIpv4(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The four bytes of a canonical dotted quad.
   *
   * @throws IllegalArgumentException naming what makes the text non-canonical
   */
  static byte[] parseIpv4(String text) {
    if (text.isEmpty()) {
      throw notIpv4("is empty");
    }
    if (text.startsWith("0x") || text.startsWith("0X") || text.contains(".0x") || text.contains(".0X")) {
      throw notIpv4("uses hexadecimal");
    }
    if (text.indexOf('.') < 0 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw notIpv4("is a single number (dword form)");
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw notIpv4("has " + parts.length + " parts instead of four (short form)");
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty()) {
        throw notIpv4("has an empty octet");
      }
      if (!p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw notIpv4("has a non-decimal octet \"" + p + "\"");
      }
      if (p.length() > 1 && p.charAt(0) == '0') {
        throw notIpv4("has a leading zero in \"" + p + "\" (octal to some parsers)");
      }
      if (p.length() > 3 || Integer.parseInt(p) > 255) {
        throw notIpv4("has an octet above 255 (\"" + p + "\")");
      }
      out[i] = (byte) Integer.parseInt(p);
    }
    return out;
  }

  private static IllegalArgumentException notIpv4(String what) {
    return new IllegalArgumentException("not a canonical IPv4 address: it " + what
        + "; write four decimal octets 0-255 without leading zeros, e.g. 127.0.0.1");
  }

  /**
   * The sixteen bytes of an IPv6 address in RFC 4291 text form (hex groups, at most one
   * "::", optionally a canonical dotted quad as the last 32 bits). Zone ids are refused.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static byte[] parseIpv6(String text) {
    if (text.isEmpty()) {
      throw notIpv6("is empty");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%') {
        throw notIpv6("has a zone id (%...), which is not allowed");
      }
      if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0 && c < 0x80)) {
        throw notIpv6("contains " + describe(c));
      }
    }
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      throw notIpv6("has more than one \"::\"");
    }
    int[] head = groups(gap < 0 ? text : text.substring(0, gap), gap < 0);
    int[] tail = gap < 0 ? new int[0] : groups(text.substring(gap + 2), true);
    int count = head.length + tail.length;
    if (gap < 0 && count != 8) {
      throw notIpv6("has " + count + " groups instead of eight");
    }
    if (gap >= 0 && count > 7) {
      throw notIpv6("has too many groups for \"::\"");
    }
    byte[] out = new byte[16];
    for (int i = 0; i < head.length; i++) {
      putGroup(out, i, head[i]);
    }
    for (int i = 0; i < tail.length; i++) {
      putGroup(out, 8 - tail.length + i, tail[i]);
    }
    return out;
  }

  private static void putGroup(byte[] out, int index, int value) {
    out[2 * index] = (byte) (value >>> 8);
    out[2 * index + 1] = (byte) value;
  }

  /** 16-bit groups of one side of "::"; a dotted quad is allowed only at the very end. */
  private static int[] groups(String part, boolean endsAddress) {
    if (part.isEmpty()) {
      return new int[0];
    }
    String[] fields = part.split(":", -1);
    int[] out = new int[fields.length + 1];
    int n = 0;
    for (int i = 0; i < fields.length; i++) {
      String f = fields[i];
      if (f.isEmpty()) {
        throw notIpv6("has an empty group");
      }
      if (f.indexOf('.') >= 0) {
        if (!endsAddress || i != fields.length - 1) {
          throw notIpv6("has a dotted quad that is not the last 32 bits");
        }
        byte[] v4;
        try {
          v4 = parseIpv4(f);
        } catch (IllegalArgumentException e) {
          throw notIpv6("embeds an IPv4 part that is " + e.getMessage());
        }
        out[n++] = (v4[0] & 0xff) << 8 | v4[1] & 0xff;
        out[n++] = (v4[2] & 0xff) << 8 | v4[3] & 0xff;
      } else if (f.length() > 4) {
        throw notIpv6("has a group longer than four hex digits (\"" + f + "\")");
      } else {
        out[n++] = Integer.parseInt(f, 16);
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  private static IllegalArgumentException notIpv6(String what) {
    return new IllegalArgumentException("not a valid IPv6 address: it " + what);
  }

  /** True for 16 bytes in ::ffff:0:0/96, the IPv4-mapped form of an IPv4 address (RFC 4291 §2.5.5.2). */
  static boolean isIpv4Mapped(byte[] a) {
    if (a.length != 16 || (a[10] & a[11] & 0xff) != 0xff) {
      return false;
    }
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The address for 4 or 16 bytes. As with the JDK, an IPv4-mapped IPv6 address
   * (::ffff:a.b.c.d) becomes an IPv4 address.
   */
  static InetAddress toAddress(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + bytes.length, e);
    }
  }

  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as "::"). */
  static String format(byte[] a) {
    if (a.length == 4) {
      return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }
    if (a.length != 16) {
      throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + a.length);
    }
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = (a[2 * i] & 0xff) << 8 | a[2 * i + 1] & 0xff;
    }
    int bestStart = -1;
    int bestLen = 1; // RFC 5952 4.2.2: a single zero group is not shortened
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  static String format(InetAddress address) {
    return format(address.getAddress());
  }

  /** A character as it can be shown in a message: printable ASCII quoted, anything else as U+XXXX. */
  static String describe(char c) {
    if (c > 0x20 && c < 0x7f) {
      return "'" + c + "'";
    }
    return String.format("U+%04X", (int) c);
  }

  /** Text made safe to echo in a message: printable ASCII kept, anything else as \\uXXXX, at most 200 chars. */
  static String quote(String text) {
    StringBuilder sb = new StringBuilder("\"");
    int limit = Math.min(text.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = text.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return sb.append(text.length() > limit ? "...\"" : "\"").toString();
  }
}
