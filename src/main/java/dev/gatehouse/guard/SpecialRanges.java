package dev.gatehouse.guard;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * The address ranges that are not the public internet, as explicit data: OWASP SSRF
 * cheat sheet deny-list plus the IANA IPv4 and IPv6 special-purpose registries (see
 * docs/egress.md). Deliberately not the JDK's {@code isLoopbackAddress()}-style flags,
 * which miss unique-local, CGNAT, NAT64 and IPv4-compatible addresses.
 */
final class SpecialRanges {
  private SpecialRanges() {}

  /** Where a range carries an IPv4 address inside an IPv6 one. */
  enum Embedding {
    NONE, LAST_32_BITS, SIX_TO_FOUR, TEREDO_CLIENT;

    /** The embedded IPv4 address of a 16-byte address inside a range with this embedding. */
    Inet4Address extract(byte[] a) {
      byte[] v4 = switch (this) {
        case LAST_32_BITS -> new byte[] {a[12], a[13], a[14], a[15]};
        case SIX_TO_FOUR -> new byte[] {a[2], a[3], a[4], a[5]};
        case TEREDO_CLIENT -> new byte[] {(byte) ~a[12], (byte) ~a[13], (byte) ~a[14], (byte) ~a[15]};
        case NONE -> throw new IllegalStateException("no embedded IPv4 address");
      };
      return (Inet4Address) IpLiterals.toAddress(v4);
    }
  }

  /**
   * A named range. {@code lockedShut} ranges are refused even when the service declares them
   * in allow_private: they reach the gateway host itself, every host, or cloud credentials.
   */
  record Range(String name, Cidr cidr, boolean lockedShut, Embedding embedding) {
    @Override
    public String toString() {
      return name + " (" + cidr + ")";
    }
  }

  private static Range open(String name, String cidr) {
    return new Range(name, Cidr.parse(cidr), false, Embedding.NONE);
  }

  private static Range shut(String name, String cidr) {
    return new Range(name, Cidr.parse(cidr), true, Embedding.NONE);
  }

  private static Range embedding(String name, String cidr, Embedding how) {
    return new Range(name, Cidr.parse(cidr), false, how);
  }

  static final List<Range> IPV4 = List.of(
      shut("this network", "0.0.0.0/8"),
      open("private", "10.0.0.0/8"),
      open("shared address space (CGNAT)", "100.64.0.0/10"),
      shut("cloud metadata", "100.100.100.200/32"), // Alibaba Cloud
      open("loopback", "127.0.0.0/8"),
      open("link-local", "169.254.0.0/16"),
      shut("cloud metadata", "169.254.169.254/32"), // AWS, GCP, Azure, OCI, DigitalOcean
      open("private", "172.16.0.0/12"),
      open("IETF protocol assignments", "192.0.0.0/24"),
      open("documentation (TEST-NET-1)", "192.0.2.0/24"),
      open("6to4 relay anycast", "192.88.99.0/24"),
      open("private", "192.168.0.0/16"),
      open("benchmarking", "198.18.0.0/15"),
      open("documentation (TEST-NET-2)", "198.51.100.0/24"),
      open("documentation (TEST-NET-3)", "203.0.113.0/24"),
      shut("multicast", "224.0.0.0/4"),
      open("reserved", "240.0.0.0/4"),
      shut("limited broadcast", "255.255.255.255/32"));

  static final List<Range> IPV6 = List.of(
      embedding("IPv4-compatible", "::/96", Embedding.LAST_32_BITS),
      shut("unspecified", "::/128"),
      open("loopback", "::1/128"),
      embedding("IPv4-mapped", "::ffff:0:0/96", Embedding.LAST_32_BITS),
      embedding("NAT64", "64:ff9b::/96", Embedding.LAST_32_BITS),
      open("local-use NAT64", "64:ff9b:1::/48"),
      open("discard-only", "100::/64"),
      embedding("Teredo", "2001::/32", Embedding.TEREDO_CLIENT),
      open("benchmarking", "2001:2::/48"),
      open("documentation", "2001:db8::/32"),
      embedding("6to4", "2002::/16", Embedding.SIX_TO_FOUR),
      open("documentation", "3fff::/20"),
      open("unique local", "fc00::/7"),
      shut("cloud metadata", "fd00:ec2::254/128"), // AWS IPv6 instance metadata
      open("link-local", "fe80::/10"),
      open("site-local (deprecated)", "fec0::/10"),
      shut("multicast", "ff00::/8"));

  /** The most specific range holding the address, if any. */
  static Optional<Range> of(InetAddress address) {
    List<Range> ranges = address.getAddress().length == 4 ? IPV4 : IPV6;
    Range best = null;
    for (Range r : ranges) {
      if (r.cidr().contains(address) && (best == null || r.cidr().prefixLength() > best.cidr().prefixLength())) {
        best = r;
      }
    }
    return Optional.ofNullable(best);
  }
}
