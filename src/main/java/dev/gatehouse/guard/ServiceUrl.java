package dev.gatehouse.guard;

import java.util.Objects;

/**
 * A validated service base URL, as built by {@link EgressGuard#parseBaseUrl}.
 *
 * <p>Guarantees: {@code scheme} is "http" or "https"; {@code host} is a lowercase DNS name
 * that is not a blocked name, a canonical dotted-quad IPv4 address, or an RFC 5952 IPv6
 * address without brackets; {@code port} is 1 to 65535 (80 or 443 when the URL named none);
 * {@code basePath} is "" or starts with "/", does not end with "/" and has no empty, "." or
 * ".." segment.
 */
public record ServiceUrl(String scheme, String host, int port, String basePath) {

  public ServiceUrl {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(basePath, "basePath");
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("scheme must be http or https, not " + IpLiterals.quote(scheme));
    }
    if (!HostSyntax.check(host).text().equals(host)) {
      throw new IllegalArgumentException("host " + IpLiterals.quote(host) + " is not in canonical form");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1 to 65535, not " + port);
    }
    if (!basePath.isEmpty()) {
      if (!basePath.startsWith("/") || basePath.endsWith("/")) {
        throw new IllegalArgumentException("base path must be empty or start with '/' and not end with '/'");
      }
      for (String segment : basePath.substring(1).split("/", -1)) {
        String decoded = segment.replace("%2e", ".").replace("%2E", ".");
        if (segment.isEmpty() || decoded.equals(".") || decoded.equals("..")) {
          throw new IllegalArgumentException("base path " + IpLiterals.quote(basePath)
              + " has an empty, \".\" or \"..\" segment");
        }
      }
      for (int i = 0; i < basePath.length(); i++) {
        char c = basePath.charAt(i);
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\') {
          throw new IllegalArgumentException("base path " + IpLiterals.quote(basePath) + " contains "
              + IpLiterals.describe(c));
        }
      }
    }
  }

  /** True if the host is an IP address literal rather than a DNS name. */
  public boolean hostIsLiteral() {
    return HostSyntax.check(host).literal() != null;
  }
}
