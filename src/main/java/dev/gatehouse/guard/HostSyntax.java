package dev.gatehouse.guard;

import java.net.InetAddress;
import java.util.Locale;

/**
 * The one definition of an acceptable host: a lowercase DNS name or a canonical IP literal.
 * Anything another parser could read differently (numeric shorthands, trailing dots, zone
 * ids, non-ASCII) or that spells an address a second way (IPv4-mapped IPv6) is refused
 * rather than normalized, and blocked names are refused here so they never reach a resolver.
 */
final class HostSyntax {
  private HostSyntax() {}

  /** A checked host: {@code text} is its canonical spelling, {@code literal} the address of an IP literal or null. */
  record Checked(String text, InetAddress literal) {}

  /**
   * Checks a host as it appears in a URL authority (IPv6 in brackets) or bare (IPv6 without brackets).
   *
   * @throws IllegalArgumentException whose message starts with the quoted host and says what is wrong
   */
  static Checked check(String host) {
    String q = "host " + IpLiterals.quote(host);
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host is empty");
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(q + " contains whitespace or a control character (" + IpLiterals.describe(c) + ")");
      }
      if (c >= 0x80) {
        throw new IllegalArgumentException(q + " contains the non-ASCII character " + IpLiterals.describe(c)
            + "; write internationalized names in punycode (xn--...)");
      }
    }
    if (host.indexOf('%') >= 0) {
      throw new IllegalArgumentException(q + " contains '%': zone ids and percent-encoding are not allowed");
    }
    String bare = host;
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || host.length() < 3) {
        throw new IllegalArgumentException(q + " has an unclosed '['");
      }
      bare = host.substring(1, host.length() - 1);
      if (bare.indexOf(':') < 0) {
        throw new IllegalArgumentException(q + ": brackets hold IPv6 addresses only");
      }
    }
    if (bare.indexOf(':') >= 0) {
      byte[] v6;
      try {
        v6 = IpLiterals.parseIpv6(bare);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(q + " is " + e.getMessage());
      }
      if (IpLiterals.isIpv4Mapped(v6)) {
        throw new IllegalArgumentException(q + " is an IPv4-mapped IPv6 address; write the IPv4 address "
            + IpLiterals.format(IpLiterals.toAddress(v6)) + " instead");
      }
      return new Checked(IpLiterals.format(v6), IpLiterals.toAddress(v6));
    }
    if (bare.endsWith(".")) {
      throw new IllegalArgumentException(q + " ends with a dot; write it without the trailing dot");
    }
    String[] labels = bare.split("\\.", -1);
    String last = labels[labels.length - 1];
    if (!last.isEmpty() && (last.chars().allMatch(c -> c >= '0' && c <= '9') || last.startsWith("0x") || last.startsWith("0X"))) {
      // Ends in a number: resolvers read it as an IPv4 address, so only the canonical form is accepted.
      try {
        byte[] v4 = IpLiterals.parseIpv4(bare);
        return new Checked(bare, IpLiterals.toAddress(v4));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(q + " is " + e.getMessage());
      }
    }
    String name = bare.toLowerCase(Locale.ROOT);
    if (name.length() > 253) {
      throw new IllegalArgumentException(q + " is longer than 253 characters");
    }
    for (String label : labels) {
      if (label.isEmpty() || label.length() > 63) {
        throw new IllegalArgumentException(q + " has an empty label or one longer than 63 characters");
      }
      if (!label.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
        throw new IllegalArgumentException(q + " is not a DNS name: labels hold only letters, digits and '-'");
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        throw new IllegalArgumentException(q + " is not a DNS name: a label starts or ends with '-'");
      }
    }
    if (name.equals("localhost") || name.endsWith(".localhost")) {
      throw new IllegalArgumentException(q + " is a blocked name (it is the gateway host itself); "
          + "use the address, e.g. 127.0.0.1, and declare it in allow_private");
    }
    if (name.equals("metadata.google.internal") || name.equals("metadata.amazonaws.com")) {
      throw new IllegalArgumentException(q + " is a blocked name (cloud metadata service, which is never reachable)");
    }
    return new Checked(name, null);
  }
}
