package dev.gatehouse.guard;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * The address ranges that are not the public internet, as explicit data: OWASP SSRF
 * cheat sheet deny-list plus the IANA IPv4 and IPv6 special-purpose registries, and the
 * cloud instance services at fixed addresses (see docs/egress.md, which gives the source of
 * each). Deliberately not the JDK's {@code isLoopbackAddress()}-style flags, which miss
 * unique-local, CGNAT, NAT64 and IPv4-compatible addresses.
 */
final class SpecialRanges {
  private SpecialRanges() {}

  /**
   * Where an IPv6 address carries an IPv4 address. The IPv4 address is read from four byte
   * positions of the sixteen; Teredo stores it inverted (RFC 4380 §4).
   */
  enum Embedding {
    NONE(false),
    /** IPv4-mapped, IPv4-compatible, IPv4-translated, and NAT64 with a /96 prefix (RFC 6052 §2.2). */
    LAST_32_BITS(false, 12, 13, 14, 15),
    /** 6to4, 2002:V4ADDR::/48 (RFC 3056 §2). */
    SIX_TO_FOUR(false, 2, 3, 4, 5),
    /** Teredo client address, the last 32 bits inverted (RFC 4380 §4). */
    TEREDO_CLIENT(true, 12, 13, 14, 15),
    /** NAT64 with a /32, /40, /48, /56 or /64 prefix: RFC 6052 §2.2 skips bits 64-71. */
    NAT64_32(false, 4, 5, 6, 7),
    NAT64_40(false, 5, 6, 7, 9),
    NAT64_48(false, 6, 7, 9, 10),
    NAT64_56(false, 7, 9, 10, 11),
    NAT64_64(false, 9, 10, 11, 12);

    /**
     * Every place a NAT64 translator may take the IPv4 address from, one per RFC 6052 prefix
     * length. A network-specific prefix can be any IPv6 block, public or declared, so every
     * IPv6 address is read at each of them for a cloud instance service.
     */
    static final List<Embedding> ANY_NAT64_PREFIX = List.of(NAT64_32, NAT64_40, NAT64_48, NAT64_56, NAT64_64, LAST_32_BITS);

    private final boolean inverted;
    private final int[] positions;

    Embedding(boolean inverted, int... positions) {
      this.inverted = inverted;
      this.positions = positions;
    }

    /** The embedded IPv4 address of a 16-byte address inside a range with this embedding. */
    Inet4Address extract(byte[] a) {
      return (Inet4Address) IpLiterals.toAddress(extractBytes(a));
    }

    /** The four bytes of {@link #extract}. */
    byte[] extractBytes(byte[] a) {
      if (this == NONE) {
        throw new IllegalStateException("no embedded IPv4 address");
      }
      byte[] v4 = new byte[4];
      for (int i = 0; i < 4; i++) {
        v4[i] = (byte) (inverted ? ~a[positions[i]] : a[positions[i]]);
      }
      return v4;
    }

    /** The prefix length this NAT64 form belongs to, as in "RFC 6052 /48 position". */
    String rfc6052Length() {
      return switch (this) {
        case NAT64_32 -> "/32";
        case NAT64_40 -> "/40";
        case NAT64_48 -> "/48";
        case NAT64_56 -> "/56";
        case NAT64_64 -> "/64";
        case LAST_32_BITS -> "/96";
        default -> throw new IllegalStateException(this + " is not an RFC 6052 form");
      };
    }
  }

  /** Who may reach a range. */
  enum Access {
    /** Reachable when the service declares it in allow_private. */
    DECLARABLE,
    /** Never reachable: the gateway host itself, every host, or no host at all. */
    NEVER,
    /**
     * A cloud instance service (metadata, credentials, DNS, time, platform agent). Never
     * reachable, and also refused when an IPv6 address of any range, public or declared,
     * carries it where an IPv4 address can be embedded.
     */
    INSTANCE_SERVICE
  }

  /** A named range. Only {@link Access#DECLARABLE} ranges can be unlocked by allow_private. */
  record Range(String name, Cidr cidr, Access access, Embedding embedding) {
    boolean lockedShut() {
      return access != Access.DECLARABLE;
    }

    @Override
    public String toString() {
      return name + " (" + cidr + ")";
    }
  }

  private static Range open(String name, String cidr) {
    return new Range(name, Cidr.parse(cidr), Access.DECLARABLE, Embedding.NONE);
  }

  private static Range shut(String name, String cidr) {
    return new Range(name, Cidr.parse(cidr), Access.NEVER, Embedding.NONE);
  }

  private static Range service(String name, String address) {
    return new Range(name, Cidr.parse(address + (address.indexOf(':') >= 0 ? "/128" : "/32")),
        Access.INSTANCE_SERVICE, Embedding.NONE);
  }

  private static Range embedding(String name, Cidr cidr, Embedding how) {
    return new Range(name, cidr, Access.DECLARABLE, how);
  }

  private static Range embedding(String name, String cidr, Embedding how) {
    return embedding(name, Cidr.parse(cidr), how);
  }

  /** ::ffff:0:0/96 by its bytes: {@link Cidr#parse} refuses IPv4-mapped text, by design. */
  private static final Cidr IPV4_MAPPED =
      new Cidr(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0}, 96);

  // Cloud instance services: refused always, like 169.254.169.254. Sources in docs/egress.md.
  static final List<Range> IPV4 = List.of(
      shut("this network", "0.0.0.0/8"),
      open("private", "10.0.0.0/8"),
      open("shared address space (CGNAT)", "100.64.0.0/10"),
      service("cloud metadata", "100.100.100.200"), // Alibaba Cloud ECS
      open("loopback", "127.0.0.0/8"),
      service("Azure WireServer", "168.63.129.16"), // public address, owned by Microsoft
      open("link-local", "169.254.0.0/16"),
      service("cloud metadata", "169.254.0.23"), // Tencent Cloud (metadata.tencentyun.com)
      service("cloud metadata", "169.254.42.42"), // Scaleway
      service("AWS Time Sync", "169.254.169.123"),
      service("AWS Windows activation", "169.254.169.250"),
      service("AWS Windows activation", "169.254.169.251"),
      service("AWS DNS resolver", "169.254.169.253"),
      service("cloud metadata", "169.254.169.254"), // AWS, GCP, Azure, OCI, DigitalOcean, Hetzner, OpenStack
      service("Amazon ECS task metadata", "169.254.170.2"),
      service("Amazon EKS Pod Identity", "169.254.170.23"),
      open("private", "172.16.0.0/12"),
      open("IETF protocol assignments", "192.0.0.0/24"),
      service("cloud metadata", "192.0.0.192"), // Oracle Cloud (Classic, Cloud at Customer)
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
      // Outside 2000::/3 nothing is global unicast (IANA IPv6 address space); the special
      // blocks inside it are listed after and, being more specific, are what is reported.
      open("reserved", "::/3"),
      open("reserved", "4000::/2"),
      open("reserved", "8000::/2"),
      open("reserved", "c000::/3"),
      open("reserved", "e000::/4"),
      open("reserved", "f000::/5"),
      open("reserved", "f800::/6"),
      open("reserved", "fe00::/9"),
      embedding("IPv4-compatible", "::/96", Embedding.LAST_32_BITS),
      shut("unspecified", "::/128"),
      open("loopback", "::1/128"),
      embedding("IPv4-mapped", IPV4_MAPPED, Embedding.LAST_32_BITS),
      embedding("IPv4-translated", "::ffff:0:0:0/96", Embedding.LAST_32_BITS), // RFC 2765 §2.1
      embedding("NAT64", "64:ff9b::/96", Embedding.LAST_32_BITS),
      // RFC 8215: any RFC 6052 prefix length inside it, read like any IPv6 address.
      open("local-use NAT64", "64:ff9b:1::/48"),
      open("discard-only", "100::/64"),
      embedding("Teredo", "2001::/32", Embedding.TEREDO_CLIENT),
      open("benchmarking", "2001:2::/48"),
      open("documentation", "2001:db8::/32"),
      embedding("6to4", "2002::/16", Embedding.SIX_TO_FOUR),
      open("documentation", "3fff::/20"),
      open("unique local", "fc00::/7"),
      service("Amazon EKS Pod Identity", "fd00:ec2::23"),
      service("AWS Time Sync", "fd00:ec2::123"),
      service("AWS DNS resolver", "fd00:ec2::253"),
      service("cloud metadata", "fd00:ec2::254"), // AWS
      service("cloud metadata", "fd00:42::42"), // Scaleway
      service("cloud metadata", "fd20:ce::254"), // Google Cloud
      open("link-local", "fe80::/10"),
      service("cloud metadata", "fe80::a9fe:a9fe"), // OpenStack
      open("site-local (deprecated)", "fec0::/10"),
      shut("multicast", "ff00::/8"));

  /** The most specific range holding the address, if any. */
  static Optional<Range> of(InetAddress address) {
    return of(address.getAddress());
  }

  /** The most specific range holding the 4 or 16 address bytes, if any. */
  static Optional<Range> of(byte[] address) {
    List<Range> ranges = address.length == 4 ? IPV4 : IPV6;
    Range best = null;
    for (Range r : ranges) {
      if (r.cidr().contains(address) && (best == null || r.cidr().prefixLength() > best.cidr().prefixLength())) {
        best = r;
      }
    }
    return Optional.ofNullable(best);
  }
}
