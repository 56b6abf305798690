package dev.gatehouse.guard;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address block such as {@code 127.0.0.1/32}, {@code 192.168.1.0/24} or
 * {@code fd00::/8}. Immutable; the network bytes are copied in and out.
 *
 * <p>Guarantees: a block has no host bits set beyond its prefix; an IPv4 address is never
 * inside an IPv6 block and an IPv6 address never inside an IPv4 block (IPv4 embedded in IPv6
 * is decoded by {@link EgressGuard}, not here).
 */
public record Cidr(byte[] network, int prefixLength) {

  public Cidr {
    Objects.requireNonNull(network, "network");
    if (network.length != 4 && network.length != 16) {
      throw new IllegalArgumentException("a CIDR network has 4 or 16 bytes, not " + network.length);
    }
    int bits = network.length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("a prefix length is 0 to " + bits + ", not " + prefixLength);
    }
    network = network.clone();
    if (!hostBitsClear(network, prefixLength)) {
      throw new IllegalArgumentException(IpLiterals.format(network) + "/" + prefixLength
          + " has host bits set beyond the prefix; did you mean "
          + IpLiterals.format(masked(network, prefixLength)) + "/" + prefixLength + "?");
    }
  }

  /**
   * Parses {@code address/prefix}. The IPv4 address must be a canonical dotted quad, the
   * prefix a decimal number without leading zeros, and no host bit may be set beyond it. A
   * block inside ::ffff:0:0/96 is refused: the IPv4 block is its one spelling.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Cidr parse(String text) {
    Objects.requireNonNull(text, "text");
    String where = "CIDR " + IpLiterals.quote(text) + ": ";
    int slash = text.indexOf('/');
    if (slash < 0 || slash != text.lastIndexOf('/')) {
      throw new IllegalArgumentException(where + "write address/prefix, e.g. 192.168.1.0/24 or fd00::/8");
    }
    String addressText = text.substring(0, slash);
    String prefixText = text.substring(slash + 1);
    byte[] network;
    try {
      network = addressText.indexOf(':') >= 0 ? IpLiterals.parseIpv6(addressText) : IpLiterals.parseIpv4(addressText);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "the address is " + e.getMessage());
    }
    int bits = network.length * 8;
    if (prefixText.isEmpty() || prefixText.length() > 3 || !prefixText.chars().allMatch(c -> c >= '0' && c <= '9')
        || prefixText.length() > 1 && prefixText.charAt(0) == '0' || Integer.parseInt(prefixText) > bits) {
      throw new IllegalArgumentException(where + "the prefix length must be a decimal number 0 to " + bits);
    }
    int prefix = Integer.parseInt(prefixText);
    Cidr block;
    try {
      block = new Cidr(network, prefix);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage());
    }
    if (prefix >= 96 && IpLiterals.isIpv4Mapped(network)) {
      // Addresses are checked as IPv4 (an IPv4-mapped address is one), so this block would match nothing.
      throw new IllegalArgumentException(where + "is an IPv4-mapped IPv6 block; write the IPv4 block "
          + IpLiterals.format(Arrays.copyOfRange(network, 12, 16)) + "/" + (prefix - 96) + " instead");
    }
    return block;
  }

  /** True if the address is inside this block; false whenever the address family differs. */
  public boolean contains(InetAddress address) {
    return contains(address.getAddress());
  }

  /** True if the 4 or 16 address bytes are inside this block; false whenever the length differs. */
  boolean contains(byte[] a) {
    if (a.length != network.length) {
      return false;
    }
    int whole = prefixLength / 8;
    for (int i = 0; i < whole; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    return rest == 0 || ((a[whole] ^ network[whole]) & 0xff00 >>> rest & 0xff) == 0;
  }

  @Override
  public byte[] network() {
    return network.clone();
  }

  /** True for a 4-byte (IPv4) block. */
  boolean isIpv4() {
    return network.length == 4;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixLength;
  }

  /** Canonical text: dotted quad or RFC 5952 IPv6, then "/" and the prefix length. */
  @Override
  public String toString() {
    return IpLiterals.format(network) + "/" + prefixLength;
  }

  private static byte[] masked(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - 8 * i));
      out[i] &= (byte) (0xff00 >>> keep);
    }
    return out;
  }

  private static boolean hostBitsClear(byte[] address, int prefix) {
    return Arrays.equals(masked(address, prefix), address);
  }
}
