package dev.gatehouse.guard;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The one gate every outbound connection of the secret broker passes.
 *
 * <p>Security guarantees:
 * <ul>
 *   <li>Only hosts named by a validated {@link ServiceUrl} are resolved; their text is a DNS
 *       name or a canonical IP literal, so no other parser can read it as another address.
 *   <li>A name is resolved once per call, and the address returned is the one that was
 *       checked: callers connect to it and never resolve again, so DNS rebinding between the
 *       check and the connection is impossible.
 *   <li>Every address a name resolves to is checked against explicit lists of non-public
 *       ranges (IPv4 embedded in IPv6 included); one blocked address refuses the whole name.
 *   <li>A non-public address is reachable only if the service declares it in allow_private;
 *       "this network", unspecified, multicast, broadcast and cloud instance services
 *       (metadata and the like, public addresses such as Azure's WireServer included) never are.
 *   <li>No IPv6 address, public or declared, reaches a cloud instance service through a
 *       translator: the IPv4 address at every embedding position is checked.
 * </ul>
 */
public final class EgressGuard {
  private final HostResolver resolver;

  public EgressGuard(HostResolver resolver) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
  }

  /**
   * Validates an owner-supplied service base URL: http or https; a DNS name or canonical IP
   * literal as host (IPv6 in brackets); no userinfo, query, fragment, zone id, trailing dot,
   * whitespace, non-ASCII, numeric shorthand (dword, octal, hex, short, leading zeros),
   * IPv4-mapped IPv6 literal (the IPv4 address is its one spelling) or blocked name
   * (localhost, *.localhost, cloud metadata names).
   *
   * @throws IllegalArgumentException whose message names the URL and says what is wrong
   */
  public static ServiceUrl parseBaseUrl(String url) {
    Objects.requireNonNull(url, "url");
    String where = "service base URL " + IpLiterals.quote(url) + ": ";
    for (int i = 0; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(where + "contains whitespace or a control character ("
            + IpLiterals.describe(c) + ")");
      }
      if (c >= 0x80) {
        throw new IllegalArgumentException(where + "contains the non-ASCII character " + IpLiterals.describe(c)
            + "; write internationalized names in punycode (xn--...)");
      }
      if (c == '\\') {
        throw new IllegalArgumentException(where + "contains a backslash, which URL parsers read differently");
      }
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(where + "is not a valid URI (" + e.getReason() + " at index " + e.getIndex() + ")");
    }
    if (uri.getScheme() == null) {
      throw new IllegalArgumentException(where + "has no scheme; start it with https:// or http://");
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(where + "scheme must be http or https, not " + IpLiterals.quote(uri.getScheme()));
    }
    if (uri.isOpaque()) {
      throw new IllegalArgumentException(where + "has no authority; write " + scheme + "://host/path");
    }
    if (url.indexOf('#') >= 0) {
      throw new IllegalArgumentException(where + "must not contain a fragment (#...)");
    }
    if (url.indexOf('?') >= 0) {
      throw new IllegalArgumentException(where + "must not contain a query (?...)");
    }
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw new IllegalArgumentException(where + "has no host");
    }
    if (authority.indexOf('@') >= 0 || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(where + "must not contain userinfo (user@host); "
          + "the host would be what follows the '@'");
    }
    String hostText = authority;
    String portText = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(where + "has an unclosed '['");
      }
      hostText = authority.substring(0, close + 1);
      String rest = authority.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new IllegalArgumentException(where + "has characters after ']' that are not a port");
        }
        portText = rest.substring(1);
      }
    } else if (authority.indexOf(':') >= 0) {
      hostText = authority.substring(0, authority.lastIndexOf(':'));
      portText = authority.substring(authority.lastIndexOf(':') + 1);
    }
    HostSyntax.Checked host;
    try {
      host = HostSyntax.check(hostText);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage());
    }
    int port = scheme.equals("https") ? 443 : 80;
    if (portText != null) {
      if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')
          || portText.charAt(0) == '0' || Integer.parseInt(portText) > 65535) {
        throw new IllegalArgumentException(where + "port must be a decimal number 1 to 65535 without leading zeros");
      }
      port = Integer.parseInt(portText);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(where + "the authority is registry-based, not a host and port");
    }
    if (!uri.getHost().equalsIgnoreCase(hostText) || uri.getPort() != (portText == null ? -1 : port)) {
      throw new IllegalArgumentException(where + "the authority reads differently to java.net.URI");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    try {
      return new ServiceUrl(scheme, host.text(), port, path);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage());
    }
  }

  /**
   * Resolves {@code host} once and returns the address to connect to. IP literals are not sent
   * to the resolver. Every address of a name is checked; if any is not public and not inside
   * {@code allowPrivate}, or is in a range that can never be allowed, the whole name is refused.
   *
   * @param host a host as in {@link ServiceUrl#host()} (an IPv6 literal may be in brackets)
   * @param allowPrivate the non-public ranges this service declares
   * @return the first address the name resolved to, every one having been allowed
   * @throws EgressDeniedException naming the host and the reason
   */
  public InetAddress resolve(String host, List<Cidr> allowPrivate) throws EgressDeniedException {
    Objects.requireNonNull(host, "host");
    List<Cidr> allowed = List.copyOf(allowPrivate);
    HostSyntax.Checked checked;
    try {
      checked = HostSyntax.check(host);
    } catch (IllegalArgumentException e) {
      throw new EgressDeniedException(e.getMessage());
    }
    if (checked.literal() != null) {
      checkAllowed(checked.literal(), allowed);
      return checked.literal();
    }
    String name = checked.text();
    List<InetAddress> answer;
    try {
      answer = resolver.resolve(name);
    } catch (UnknownHostException e) {
      throw new EgressDeniedException(name + " does not resolve");
    }
    if (answer == null || answer.isEmpty()) {
      throw new EgressDeniedException(name + " does not resolve to any address");
    }
    List<InetAddress> checkedAddresses = new ArrayList<>(answer.size());
    for (InetAddress raw : answer) {
      if (raw == null) {
        throw new EgressDeniedException(name + " resolved to an empty entry");
      }
      // A fresh address from the bytes alone: no scope id, and IPv4-mapped becomes IPv4.
      InetAddress a = addressNamed(name, raw.getAddress());
      Optional<String> denial = denial(a, allowed);
      if (denial.isPresent()) {
        throw new EgressDeniedException(name + " resolves to " + IpLiterals.format(a) + ", which is " + denial.get()
            + (answer.size() > 1 ? "; every address a name resolves to must be allowed" : ""));
      }
      checkedAddresses.add(a);
    }
    return checkedAddresses.get(0);
  }

  /**
   * Checks one address, without any lookup, exactly as {@link #resolve} checks an IP literal:
   * a public address passes; a non-public one only if every range it falls in (the embedded
   * IPv4 address included) is inside {@code allowPrivate} and none is locked shut.
   *
   * @param allowPrivate the non-public ranges a service declares
   * @throws EgressDeniedException naming the address and the reason, as {@link #resolve} does
   */
  public static void checkAllowed(InetAddress address, List<Cidr> allowPrivate) throws EgressDeniedException {
    Objects.requireNonNull(address, "address");
    Optional<String> denial = denial(address, List.copyOf(allowPrivate));
    if (denial.isPresent()) {
      throw new EgressDeniedException(IpLiterals.format(address) + " is " + denial.get());
    }
  }

  /**
   * Why an address is not public: the range's name and CIDR, e.g. "loopback (127.0.0.0/8)";
   * for IPv6 that embeds IPv4 (mapped, compatible, translated, NAT64, 6to4, Teredo) also the
   * embedded address's range, and for any IPv6 address a cloud instance service it carries
   * where a NAT64 translator would read it (RFC 6052). Empty if the address is public.
   */
  public static Optional<String> blockedReason(InetAddress address) {
    List<Finding> findings = findings(address);
    return findings.isEmpty() ? Optional.empty() : Optional.of(describe(findings));
  }

  /**
   * A non-public range an address, or an IPv4 address embedded in it, falls in. {@code form}
   * is null for the address itself, "" for the IPv4 address its own range embeds, and names
   * the RFC 6052 position for one a NAT64 translator with an unknown prefix would read.
   */
  private record Finding(InetAddress address, SpecialRanges.Range range, String form) {}

  /**
   * Every reason the address is not public, its own range first. Invariant: an IPv6 address
   * carrying a cloud instance service at any embedding position has a locked-shut finding,
   * whatever range (or none) the address itself is in.
   */
  private static List<Finding> findings(InetAddress address) {
    byte[] bytes = address.getAddress();
    List<Finding> out = new ArrayList<>(2);
    Optional<SpecialRanges.Range> range = SpecialRanges.of(address);
    range.ifPresent(r -> out.add(new Finding(address, r, null)));
    SpecialRanges.Embedding embedding = range.map(SpecialRanges.Range::embedding).orElse(SpecialRanges.Embedding.NONE);
    if (embedding != SpecialRanges.Embedding.NONE) {
      InetAddress embedded = embedding.extract(bytes);
      SpecialRanges.of(embedded).ifPresent(r -> out.add(new Finding(embedded, r, "")));
    }
    if (bytes.length == 16) {
      for (SpecialRanges.Embedding nat64 : SpecialRanges.Embedding.ANY_NAT64_PREFIX) {
        byte[] carried = nat64.extractBytes(bytes);
        Optional<SpecialRanges.Range> service = SpecialRanges.of(carried)
            .filter(r -> r.access() == SpecialRanges.Access.INSTANCE_SERVICE);
        if (service.isPresent() && out.stream().noneMatch(f -> Arrays.equals(f.address().getAddress(), carried))) {
          out.add(new Finding(IpLiterals.toAddress(carried), service.get(),
              " (RFC 6052 " + nat64.rfc6052Length() + " position)"));
        }
      }
    }
    return out;
  }

  private static String describe(List<Finding> findings) {
    StringBuilder text = new StringBuilder();
    for (Finding f : findings) {
      if (f.form() == null) {
        text.append(f.range());
      } else {
        if (text.isEmpty()) {
          text.append("a public address");
        }
        text.append(" embedding ").append(IpLiterals.format(f.address())).append(f.form())
            .append(" which is ").append(f.range());
      }
    }
    return text.toString();
  }

  /** Why the address may not be reached under {@code allowPrivate}; empty if it may. */
  private static Optional<String> denial(InetAddress address, List<Cidr> allowPrivate) {
    List<Finding> findings = findings(address);
    if (findings.isEmpty()) {
      return Optional.empty();
    }
    String and = findings.stream().anyMatch(f -> f.form() != null) ? ", and " : " and ";
    if (findings.stream().anyMatch(f -> f.range().lockedShut())) {
      return Optional.of(describe(findings) + and + "can never be allowed, even if declared in allow_private");
    }
    boolean declared = findings.stream()
        .allMatch(f -> allowPrivate.stream().anyMatch(c -> c.contains(f.address())));
    return declared ? Optional.empty() : Optional.of(describe(findings) + and + "the service does not allow it");
  }

  private static InetAddress addressNamed(String name, byte[] bytes) throws EgressDeniedException {
    try {
      return InetAddress.getByAddress(name, bytes);
    } catch (UnknownHostException e) {
      throw new EgressDeniedException(name + " resolved to an address of " + bytes.length + " bytes");
    }
  }
}
