package dev.gatehouse.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Vectors;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class EgressGuardTest {
  /** A resolver that fails the test if asked: literals and refused names must never reach DNS. */
  private static final HostResolver NO_DNS = host -> {
    throw new AssertionError("resolver asked for " + host);
  };

  private static final EgressGuard LITERALS_ONLY = new EgressGuard(NO_DNS);

  private static EgressGuard guardWith(Map<String, List<InetAddress>> dns) {
    return new EgressGuard(host -> {
      List<InetAddress> answer = dns.get(host);
      if (answer == null) {
        throw new UnknownHostException(host);
      }
      return answer;
    });
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // trusted test constants only
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** A 16-byte address kept as Inet6Address (the JDK would turn ::ffff:a.b.c.d into IPv4 otherwise). */
  private static Inet6Address v6(byte[] bytes) {
    try {
      return Inet6Address.getByAddress(null, bytes, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  // ---- VECTORS.md §9, from src/test/resources/vectors/ssrf.csv

  static Stream<Arguments> ssrfVectors() {
    return Vectors.csv("ssrf.csv").stream().map(row -> Arguments.of(row[0], row[1]));
  }

  @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
  @MethodSource("ssrfVectors")
  void ssrfVector_isRejectedOrBlocked_neverAskingDns(String input, String expected) {
    String inUrl = input.indexOf(':') >= 0 && !input.startsWith("[") ? "[" + input + "]" : input;
    String url = "http://" + inUrl + "/";
    if (expected.equals("reject")) {
      assertThatThrownBy(() -> EgressGuard.parseBaseUrl(url)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("service base URL ");
      assertThatThrownBy(() -> LITERALS_ONLY.resolve(input, List.of())).isInstanceOf(EgressDeniedException.class);
    } else {
      assertThat(expected).startsWith("block:");
      String reason = expected.substring("block:".length());
      ServiceUrl parsed = EgressGuard.parseBaseUrl(url);
      assertThat(parsed.hostIsLiteral()).isTrue();
      assertThatThrownBy(() -> LITERALS_ONLY.resolve(input, List.of())).isInstanceOf(EgressDeniedException.class)
          .hasMessageContaining(reason);
      assertThatThrownBy(() -> LITERALS_ONLY.resolve(parsed.host(), List.of()))
          .isInstanceOf(EgressDeniedException.class).hasMessageContaining(reason);
    }
  }

  @Test
  void ssrfVectors_coverEverySection9Input() {
    List<String> inputs = Vectors.csv("ssrf.csv").stream().map(r -> r[0]).toList();
    assertThat(inputs).contains("127.0.0.1", "2130706433", "127.1", "127.0.1", "127.000.000.001", "0177.0.0.1",
        "0x7f.0.0.1", "0x7f000001", "017700000001", "0", "0.0.0.0", "169.254.169.254", "2852039166", "::1", "[::1]",
        "::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:a9fe:a9fe", "::ffff:169.254.169.254", "::127.0.0.1",
        "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "fd00::1", "fe80::1", "::", "100.64.0.1", "1.2.3.4 ",
        "127.0.0.1.", "fe80::1%lo");
  }

  // ---- parseBaseUrl

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "http://127.0.0.1@evil.example/|must not contain userinfo",
      "http://evil.example#@127.0.0.1/|must not contain a fragment",
      "http://0x7f.1/|uses hexadecimal",
      "http://①②⑦.0.0.1/|non-ASCII character U+2460",
      "http://127.0.0.1:80\\@evil.example/|contains a backslash",
      "http://127.1/|has 2 parts instead of four",
      "http://0177.0.0.1/|leading zero in \"0177\"",
      "http://2130706433/|single number (dword form)",
      "http://127.0.0.1./|ends with a dot",
      "http://api.example.com./|ends with a dot",
      "http://localhost:8080/|use the address, e.g. 127.0.0.1, and declare it in allow_private",
      "http://Admin.LocalHost/|use the address, e.g. 127.0.0.1, and declare it in allow_private",
      "http://metadata.google.internal/|cloud metadata",
      "http://metadata.amazonaws.com/|cloud metadata",
      "http://[fe80::1%25eth0]/|zone ids",
      "http://a_b.example/|labels hold only letters, digits and '-'",
      "ftp://files.example/|scheme must be http or https, not \"ftp\"",
      "file:///etc/passwd|scheme must be http or https",
      "api.example.com/v1|has no scheme",
      "mailto:a@b.example|scheme must be http or https",
      "http:api.example.com|has no authority",
      "https://api.example.com/v1?key=1|must not contain a query",
      "https://api.example.com/v1?|must not contain a query",
      "https://api.example.com/#|must not contain a fragment",
      "https://user:pw@api.example.com/|must not contain userinfo",
      "https://api.example.com:/|port must be a decimal number 1 to 65535",
      "https://api.example.com:0/|port must be a decimal number 1 to 65535",
      "https://api.example.com:0443/|port must be a decimal number 1 to 65535",
      "https://api.example.com:65536/|port must be a decimal number 1 to 65535",
      "https://api.example.com/v1//x|empty, \".\" or \"..\" segment",
      "https://api.example.com/v1/../admin|empty, \".\" or \"..\" segment",
      "https://api.example.com/v1/%2e%2e/admin|empty, \".\" or \"..\" segment",
      "https://api.example.com//|not end with '/'",
      "https:///v1|has no host",
      "https://[127.0.0.1]/|not a valid URI",
      "https://[::1/|not a valid URI",
      "https://-bad.example/|starts or ends with '-'",
      "http://[::ffff:127.0.0.1]/|host \"[::ffff:127.0.0.1]\" is an IPv4-mapped IPv6 address; write the IPv4 address 127.0.0.1 instead",
      "http://[::ffff:a9fe:a9fe]:8080/|write the IPv4 address 169.254.169.254 instead",
      "http://[0:0:0:0:0:FFFF:5db8:d822]/|write the IPv4 address 93.184.216.34 instead",
  })
  void parseBaseUrl_refusesAmbiguousOrUnsafeUrls_sayingWhy(String url, String expected) {
    assertThatThrownBy(() -> EgressGuard.parseBaseUrl(url)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("service base URL \"").hasMessageContaining(expected);
  }

  @Test
  void parseBaseUrl_refusesWhitespaceAnywhere() {
    for (String url : List.of("http://1.2.3.4 /", " http://api.example.com/", "http://api.example.com/\n",
        "http://api.example.com/a b", "http://api.example.com\t/")) {
      assertThatThrownBy(() -> EgressGuard.parseBaseUrl(url)).as(url).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("contains whitespace or a control character");
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "https://api.example.com|https|api.example.com|443|",
      "https://api.example.com/|https|api.example.com|443|",
      "https://api.example.com/v1/|https|api.example.com|443|/v1",
      "HTTP://API.Example.COM:8080/V1/Items|http|api.example.com|8080|/V1/Items",
      "http://93.184.216.34|http|93.184.216.34|80|",
      "https://[2606:4700:0:0::1111]:8443/x|https|2606:4700::1111|8443|/x",
      "https://xn--bcher-kva.example/a%20b|https|xn--bcher-kva.example|443|/a%20b",
  })
  void parseBaseUrl_returnsCanonicalParts(String url, String scheme, String host, int port, String basePath) {
    assertThat(EgressGuard.parseBaseUrl(url))
        .isEqualTo(new ServiceUrl(scheme, host, port, basePath == null ? "" : basePath));
  }

  @Test
  void serviceUrl_hostIsLiteral_onlyForAddresses() {
    assertThat(EgressGuard.parseBaseUrl("https://api.example.com").hostIsLiteral()).isFalse();
    assertThat(EgressGuard.parseBaseUrl("https://93.184.216.34").hostIsLiteral()).isTrue();
    assertThat(EgressGuard.parseBaseUrl("https://[2606:4700::1111]").hostIsLiteral()).isTrue();
  }

  @Test
  void serviceUrl_refusesHostsThatParseBaseUrlWouldRefuse() {
    assertThatThrownBy(() -> new ServiceUrl("http", "localhost", 80, "")).hasMessageContaining("blocked name");
    assertThatThrownBy(() -> new ServiceUrl("http", "127.1", 80, "")).hasMessageContaining("short form");
    assertThatThrownBy(() -> new ServiceUrl("http", "API.example", 80, "")).hasMessageContaining("canonical form");
    assertThatThrownBy(() -> new ServiceUrl("http", "[::1]", 80, "")).hasMessageContaining("canonical form");
    assertThatThrownBy(() -> new ServiceUrl("http", "a.example", 80, "/v1/")).hasMessageContaining("not end with '/'");
    assertThatThrownBy(() -> new ServiceUrl("gopher", "a.example", 80, "")).hasMessageContaining("http or https");
  }

  // ---- resolve: literals and names

  @Test
  void resolve_publicLiterals_areAllowedWithoutDns() throws Exception {
    assertThat(LITERALS_ONLY.resolve("93.184.216.34", List.of())).isEqualTo(ip("93.184.216.34"));
    assertThat(LITERALS_ONLY.resolve("2606:4700::1111", List.of())).isEqualTo(ip("2606:4700::1111"));
    assertThat(LITERALS_ONLY.resolve("[2606:4700::1111]", List.of())).isEqualTo(ip("2606:4700::1111"));
  }

  @Test
  void resolve_loopbackLiteral_namesTheHostAndTheRange() {
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("127.0.0.1", List.of())).isInstanceOf(EgressDeniedException.class)
        .hasMessage("127.0.0.1 is loopback (127.0.0.0/8) and the service does not allow it");
  }

  @Test
  void resolve_nameResolvingToMetadata_isDenied() {
    EgressGuard guard = guardWith(Map.of("evil.example", List.of(ip("169.254.169.254"))));
    assertThatThrownBy(() -> guard.resolve("evil.example", List.of())).isInstanceOf(EgressDeniedException.class)
        .hasMessage("evil.example resolves to 169.254.169.254, which is cloud metadata (169.254.169.254/32)"
            + " and can never be allowed, even if declared in allow_private");
  }

  @Test
  void resolve_namesResolvingToBlockedAddresses_areDenied() {
    EgressGuard guard = guardWith(Map.of(
        "internal.example", List.of(ip("10.0.0.5")),
        "loop6.example", List.of(ip("::1")),
        "ula.example", List.of(ip("fd12:3456::1")),
        "mapped.example", List.of(v6(ip4Mapped(127, 0, 0, 1))),
        "nat64.example", List.of(ip("64:ff9b::a00:5"))));
    assertThatThrownBy(() -> guard.resolve("internal.example", List.of()))
        .hasMessage("internal.example resolves to 10.0.0.5, which is private (10.0.0.0/8) and the service does not allow it");
    assertThatThrownBy(() -> guard.resolve("loop6.example", List.of())).hasMessageContaining("loopback (::1/128)");
    assertThatThrownBy(() -> guard.resolve("ula.example", List.of())).hasMessageContaining("unique local (fc00::/7)");
    assertThatThrownBy(() -> guard.resolve("mapped.example", List.of()))
        .hasMessage("mapped.example resolves to 127.0.0.1, which is loopback (127.0.0.0/8) and the service does not allow it");
    assertThatThrownBy(() -> guard.resolve("nat64.example", List.of()))
        .hasMessageContaining("NAT64 (64:ff9b::/96) embedding 10.0.0.5 which is private (10.0.0.0/8)");
  }

  @Test
  void resolve_nameWithOnePublicAndOnePrivateAddress_isDenied() {
    EgressGuard guard = guardWith(Map.of("mixed.example", List.of(ip("93.184.216.34"), ip("192.168.1.10"))));
    assertThatThrownBy(() -> guard.resolve("mixed.example", List.of())).isInstanceOf(EgressDeniedException.class)
        .hasMessageStartingWith("mixed.example resolves to 192.168.1.10, which is private (192.168.0.0/16)")
        .hasMessageContaining("every address a name resolves to must be allowed");
  }

  @Test
  void resolve_publicName_returnsTheFirstAddress_namedAndWithoutScope() throws Exception {
    InetAddress scoped = Inet6Address.getByAddress(null, ip("2606:4700::1111").getAddress(), 7);
    EgressGuard guard = guardWith(Map.of("api.example.com", List.of(scoped, ip("93.184.216.34"))));
    InetAddress got = guard.resolve("api.example.com", List.of());
    assertThat(got.getAddress()).isEqualTo(ip("2606:4700::1111").getAddress());
    assertThat(((Inet6Address) got).getScopeId()).isZero();
    assertThat(got.getHostName()).isEqualTo("api.example.com");
  }

  @Test
  void resolve_asksTheResolverOnce_andReturnsTheCheckedAddress() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    // A rebinding DNS server: public the first time, loopback after.
    EgressGuard guard = new EgressGuard(host -> calls.getAndIncrement() == 0
        ? List.of(ip("93.184.216.34")) : List.of(ip("127.0.0.1")));
    assertThat(guard.resolve("rebind.example", List.of()).getAddress()).isEqualTo(ip("93.184.216.34").getAddress());
    assertThat(calls).hasValue(1);
  }

  @Test
  void resolve_unresolvableOrEmptyAnswer_isDenied() {
    EgressGuard guard = guardWith(Map.of("empty.example", List.of()));
    assertThatThrownBy(() -> guard.resolve("nx.example", List.of())).isInstanceOf(EgressDeniedException.class)
        .hasMessage("nx.example does not resolve");
    assertThatThrownBy(() -> guard.resolve("empty.example", List.of())).isInstanceOf(EgressDeniedException.class)
        .hasMessage("empty.example does not resolve to any address");
  }

  @Test
  void resolve_refusedNames_neverReachTheResolver() {
    for (String host : List.of("localhost", "db.localhost", "metadata.google.internal", "0x7f.1", "127.1",
        "2130706433", "example.com.", "exa mple.com", "ex%61mple.com", "")) {
      assertThatThrownBy(() -> LITERALS_ONLY.resolve(host, List.of())).as(host)
          .isInstanceOf(EgressDeniedException.class);
    }
  }

  // ---- allow_private

  @Test
  void resolve_allowPrivateHost_allowsExactlyThatAddress() throws Exception {
    List<Cidr> allow = List.of(Cidr.parse("127.0.0.1/32"));
    assertThat(LITERALS_ONLY.resolve("127.0.0.1", allow)).isEqualTo(ip("127.0.0.1"));
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("127.0.0.2", allow))
        .hasMessage("127.0.0.2 is loopback (127.0.0.0/8) and the service does not allow it");
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("127.0.0.2", List.of()))
        .isInstanceOf(EgressDeniedException.class);
  }

  @Test
  void resolve_allowPrivateRange_allowsNamesInsideIt() throws Exception {
    EgressGuard guard = guardWith(Map.of("db.corp.example", List.of(ip("10.1.2.3"), ip("10.1.2.4")),
        "half.corp.example", List.of(ip("10.1.2.3"), ip("10.9.9.9"))));
    List<Cidr> allow = List.of(Cidr.parse("10.1.2.0/24"));
    assertThat(guard.resolve("db.corp.example", allow).getAddress()).isEqualTo(ip("10.1.2.3").getAddress());
    assertThatThrownBy(() -> guard.resolve("half.corp.example", allow)).hasMessageContaining("10.9.9.9");
  }

  @Test
  void resolve_allowPrivate_neverUnlocksMetadataThisNetworkMulticastOrBroadcast() {
    List<Cidr> everything = List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"));
    for (String host : List.of("169.254.169.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "::",
        "ff02::1", "fd00:ec2::254", "64:ff9b::a9fe:a9fe", "::ffff:0:a9fe:a9fe", "168.63.129.16", "100.100.100.200",
        "64:ff9b:1::a9fe:a9fe", "2002:a83f:8110::", "2a01:4f8::a9fe:a9fe")) {
      assertThatThrownBy(() -> LITERALS_ONLY.resolve(host, everything)).as(host)
          .isInstanceOf(EgressDeniedException.class)
          .hasMessageContaining("can never be allowed, even if declared in allow_private");
    }
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("169.254.169.254", List.of(Cidr.parse("169.254.169.254/32"))))
        .hasMessage("169.254.169.254 is cloud metadata (169.254.169.254/32)"
            + " and can never be allowed, even if declared in allow_private");
  }

  @Test
  void resolve_allowPrivateIpv4_doesNotUnlockTheSameAddressBehindNat64() throws Exception {
    List<Cidr> v4Only = List.of(Cidr.parse("127.0.0.1/32"));
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("64:ff9b::7f00:1", v4Only))
        .hasMessageContaining("NAT64 (64:ff9b::/96)");
    List<Cidr> both = List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse("64:ff9b::/96"));
    assertThat(LITERALS_ONLY.resolve("64:ff9b::7f00:1", both)).isEqualTo(ip("64:ff9b::7f00:1"));
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("64:ff9b::a00:1", List.of(Cidr.parse("64:ff9b::/96"))))
        .hasMessageContaining("embedding 10.0.0.1 which is private (10.0.0.0/8)");
  }

  @Test
  void resolve_ipv4MappedLiteral_isRefusedBeforeAnyCheck_namingTheIpv4Address() {
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("::ffff:10.0.0.1", List.of(Cidr.parse("10.0.0.1/32"))))
        .isInstanceOf(EgressDeniedException.class)
        .hasMessage("host \"::ffff:10.0.0.1\" is an IPv4-mapped IPv6 address; write the IPv4 address 10.0.0.1 instead");
  }

  @Test
  void resolve_ipv4Translated_isJudgedLikeNat64() throws Exception {
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("::ffff:0:7f00:1", List.of()))
        .hasMessage("::ffff:0:7f00:1 is IPv4-translated (::ffff:0:0:0/96) embedding 127.0.0.1 which is loopback"
            + " (127.0.0.0/8), and the service does not allow it");
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("::ffff:0:7f00:1", List.of(Cidr.parse("127.0.0.1/32"))))
        .hasMessageContaining("the service does not allow it");
    List<Cidr> both = List.of(Cidr.parse("::ffff:0:0:0/96"), Cidr.parse("127.0.0.1/32"));
    assertThat(LITERALS_ONLY.resolve("::ffff:0:7f00:1", both).getAddress()).isEqualTo(ip("::ffff:0:7f00:1").getAddress());
  }

  @Test
  void resolve_localUseNat64_declared_stillNeverReachesAnInstanceService() throws Exception {
    List<Cidr> nat64 = List.of(Cidr.parse("64:ff9b:1::/48"));
    assertThat(LITERALS_ONLY.resolve("64:ff9b:1::5db8:d822", nat64)).isEqualTo(ip("64:ff9b:1::5db8:d822"));
    assertThatThrownBy(() -> LITERALS_ONLY.resolve("64:ff9b:1::a9fe:a9fe", nat64))
        .hasMessage("64:ff9b:1::a9fe:a9fe is local-use NAT64 (64:ff9b:1::/48) embedding 169.254.169.254"
            + " (RFC 6052 /96 position) which is cloud metadata (169.254.169.254/32),"
            + " and can never be allowed, even if declared in allow_private");
  }

  @Test
  void resolve_publicIpv6CarryingAnInstanceService_isDenied_throughDnsToo() {
    // 2a01:4f8::/32 used as a network-specific NAT64 prefix (RFC 6052 /96): nothing to declare.
    EgressGuard guard = guardWith(Map.of("nsp.example", List.of(ip("2a01:4f8::1"), ip("2a01:4f8::a83f:8110"))));
    assertThatThrownBy(() -> guard.resolve("nsp.example", List.of(Cidr.parse("::/0"))))
        .hasMessage("nsp.example resolves to 2a01:4f8::a83f:8110, which is a public address embedding 168.63.129.16"
            + " (RFC 6052 /96 position) which is Azure WireServer (168.63.129.16/32), and can never be allowed,"
            + " even if declared in allow_private; every address a name resolves to must be allowed");
  }

  @Test
  void resolve_instanceServiceMappedInADnsAnswer_isReadAsIpv4AndDenied() {
    EgressGuard guard = guardWith(Map.of("wire.example", List.of(v6(ip4Mapped(168, 63, 129, 16)))));
    assertThatThrownBy(() -> guard.resolve("wire.example", List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"))))
        .hasMessage("wire.example resolves to 168.63.129.16, which is Azure WireServer (168.63.129.16/32)"
            + " and can never be allowed, even if declared in allow_private");
  }

  // ---- checkAllowed

  @Test
  void checkAllowed_judgesAnAddressAsResolveJudgesTheLiteral() throws Exception {
    List<Cidr> loopbackHost = List.of(Cidr.parse("127.0.0.1/32"));
    EgressGuard.checkAllowed(ip("93.184.216.34"), List.of());
    EgressGuard.checkAllowed(ip("127.0.0.1"), loopbackHost);
    assertThatThrownBy(() -> EgressGuard.checkAllowed(ip("127.0.0.2"), loopbackHost))
        .isInstanceOf(EgressDeniedException.class)
        .hasMessage("127.0.0.2 is loopback (127.0.0.0/8) and the service does not allow it");
    assertThatThrownBy(() -> EgressGuard.checkAllowed(ip("169.254.169.254"), List.of(Cidr.parse("169.254.169.254/32"))))
        .hasMessage("169.254.169.254 is cloud metadata (169.254.169.254/32)"
            + " and can never be allowed, even if declared in allow_private");
    // The embedded IPv4 address must be declared too, not only the IPv6 address carrying it.
    assertThatThrownBy(() -> EgressGuard.checkAllowed(ip("64:ff9b::a00:1"), List.of(Cidr.parse("64:ff9b::a00:1/128"))))
        .hasMessage("64:ff9b::a00:1 is NAT64 (64:ff9b::/96) embedding 10.0.0.1 which is private (10.0.0.0/8),"
            + " and the service does not allow it");
    EgressGuard.checkAllowed(ip("64:ff9b::a00:1"), List.of(Cidr.parse("64:ff9b::a00:1/128"), Cidr.parse("10.0.0.1/32")));
  }

  // ---- blockedReason

  @Test
  void blockedReason_isEmptyForPublicAddresses() {
    for (String a : List.of("93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::1",
        "172.32.0.1", "100.128.0.1", "11.0.0.1", "223.255.255.255", "168.63.129.15", "168.63.129.17",
        "2001:4860:4860::8888", "2a01:4f8::a9fe:a9fc", "3fff:ffff::1", "2000::1")) {
      assertThat(EgressGuard.blockedReason(ip(a))).as(a).isEmpty();
    }
  }

  @Test
  void blockedReason_decodesEveryEmbedding() {
    assertThat(EgressGuard.blockedReason(v6(ip4Mapped(10, 0, 0, 1))))
        .hasValue("IPv4-mapped (::ffff:0:0/96) embedding 10.0.0.1 which is private (10.0.0.0/8)");
    assertThat(EgressGuard.blockedReason(ip("::a00:1")))
        .hasValue("IPv4-compatible (::/96) embedding 10.0.0.1 which is private (10.0.0.0/8)");
    assertThat(EgressGuard.blockedReason(ip("2002:a00:1::")))
        .hasValue("6to4 (2002::/16) embedding 10.0.0.1 which is private (10.0.0.0/8)");
    // Teredo client 10.0.0.1 is stored as its complement f5ff:fffe.
    assertThat(EgressGuard.blockedReason(ip("2001:0:4136:e378:8000:63bf:f5ff:fffe")))
        .hasValue("Teredo (2001::/32) embedding 10.0.0.1 which is private (10.0.0.0/8)");
    assertThat(EgressGuard.blockedReason(ip("64:ff9b::808:808"))).hasValue("NAT64 (64:ff9b::/96)");
    assertThat(EgressGuard.blockedReason(ip("::ffff:0:a00:1")))
        .hasValue("IPv4-translated (::ffff:0:0:0/96) embedding 10.0.0.1 which is private (10.0.0.0/8)");
    assertThat(EgressGuard.blockedReason(ip("64:ff9b:1::a00:1"))).hasValue("local-use NAT64 (64:ff9b:1::/48)");
    assertThat(EgressGuard.blockedReason(ip("4000::1"))).hasValue("reserved (4000::/2)");
  }

  // ---- properties

  /** The IPv4 block list written independently as inclusive [start, end] ranges. */
  private static final long[][] REFERENCE_V4 = {
      {v4(0, 0, 0, 0), v4(0, 255, 255, 255)},
      {v4(10, 0, 0, 0), v4(10, 255, 255, 255)},
      {v4(100, 64, 0, 0), v4(100, 127, 255, 255)},
      {v4(127, 0, 0, 0), v4(127, 255, 255, 255)},
      {v4(169, 254, 0, 0), v4(169, 254, 255, 255)},
      {v4(172, 16, 0, 0), v4(172, 31, 255, 255)},
      {v4(192, 0, 0, 0), v4(192, 0, 0, 255)},
      {v4(192, 0, 2, 0), v4(192, 0, 2, 255)},
      {v4(192, 88, 99, 0), v4(192, 88, 99, 255)},
      {v4(192, 168, 0, 0), v4(192, 168, 255, 255)},
      {v4(198, 18, 0, 0), v4(198, 19, 255, 255)},
      {v4(198, 51, 100, 0), v4(198, 51, 100, 255)},
      {v4(203, 0, 113, 0), v4(203, 0, 113, 255)},
      {v4(224, 0, 0, 0), v4(255, 255, 255, 255)},
      {v4(168, 63, 129, 16), v4(168, 63, 129, 16)}, // Azure WireServer, a public address
  };

  /**
   * The cloud instance services, written independently of SpecialRanges (sources in
   * docs/egress.md): refused always, and inside every IPv6 form that can carry them.
   */
  private static final List<String> INSTANCE_SERVICES_V4 = List.of("100.100.100.200", "168.63.129.16", "169.254.0.23",
      "169.254.42.42", "169.254.169.123", "169.254.169.250", "169.254.169.251", "169.254.169.253", "169.254.169.254",
      "169.254.170.2", "169.254.170.23", "192.0.0.192");
  private static final List<String> INSTANCE_SERVICES_V6 = List.of("fd00:ec2::23", "fd00:ec2::123", "fd00:ec2::253",
      "fd00:ec2::254", "fd00:42::42", "fd20:ce::254", "fe80::a9fe:a9fe");

  private static long v4(int a, int b, int c, int d) {
    return (long) a << 24 | (long) b << 16 | (long) c << 8 | d;
  }

  private static boolean referenceBlocks(long address) {
    return Arrays.stream(REFERENCE_V4).anyMatch(r -> address >= r[0] && address <= r[1]);
  }

  private static String dotted(long a) {
    return (a >>> 24 & 0xff) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
  }

  private static byte[] bytes(long a) {
    return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
  }

  private static byte[] ip4Mapped(int a, int b, int c, int d) {
    byte[] out = new byte[16];
    out[10] = (byte) 0xff;
    out[11] = (byte) 0xff;
    System.arraycopy(bytes(v4(a, b, c, d)), 0, out, 12, 4);
    return out;
  }

  @Provide
  Arbitrary<Long> ipv4() {
    Arbitrary<Long> uniform = Arbitraries.longs().between(0, 0xffffffffL);
    List<Long> edges = new ArrayList<>();
    for (long[] r : REFERENCE_V4) {
      for (long e : new long[] {r[0] - 1, r[0], r[1], r[1] + 1}) {
        if (e >= 0 && e <= 0xffffffffL) {
          edges.add(e);
        }
      }
    }
    return Arbitraries.frequencyOf(Tuple.of(3, uniform), Tuple.of(1, Arbitraries.of(edges)));
  }

  @Property(tries = 2000)
  void everyIpv4Address_isClassifiedLikeTheReference(@ForAll("ipv4") long address) throws Exception {
    boolean blocked = referenceBlocks(address);
    InetAddress a = InetAddress.getByAddress(bytes(address));
    assertThat(EgressGuard.blockedReason(a).isPresent()).as(dotted(address)).isEqualTo(blocked);
    if (blocked) {
      assertThatThrownBy(() -> LITERALS_ONLY.resolve(dotted(address), List.of()))
          .isInstanceOf(EgressDeniedException.class).hasMessageStartingWith(dotted(address) + " is ");
    } else {
      assertThat(LITERALS_ONLY.resolve(dotted(address), List.of())).isEqualTo(a);
    }
  }

  @Provide
  Arbitrary<Long> blockedIpv4() {
    return Arbitraries.of(REFERENCE_V4).flatMap(r -> Arbitraries.longs().between(r[0], r[1]));
  }

  @Property(tries = 1000)
  void everyBlockedIpv4Address_isBlockedInsideIpv6(@ForAll("blockedIpv4") long address) throws Exception {
    byte[] v4 = bytes(address);
    String v4Reason = EgressGuard.blockedReason(InetAddress.getByAddress(v4)).orElseThrow();
    byte[] mapped = ip4Mapped(v4[0] & 0xff, v4[1] & 0xff, v4[2] & 0xff, v4[3] & 0xff);
    byte[] nat64 = new byte[16];
    nat64[1] = 0x64;
    nat64[2] = (byte) 0xff;
    nat64[3] = (byte) 0x9b;
    System.arraycopy(v4, 0, nat64, 12, 4);
    byte[] sixToFour = new byte[16];
    sixToFour[0] = 0x20;
    sixToFour[1] = 0x02;
    System.arraycopy(v4, 0, sixToFour, 2, 4);
    sixToFour[15] = 1;
    for (byte[] form : List.of(mapped, nat64, sixToFour)) {
      Inet6Address inside = v6(form);
      assertThat(EgressGuard.blockedReason(inside)).as(inside.getHostAddress())
          .hasValueSatisfying(r -> assertThat(r).endsWith(" embedding " + dotted(address) + " which is " + v4Reason));
      EgressGuard guard = guardWith(Map.of("embedded.example", List.of(inside)));
      assertThatThrownBy(() -> guard.resolve("embedded.example", List.of()))
          .isInstanceOf(EgressDeniedException.class).hasMessageContaining(v4Reason);
    }
    assertThat(inet4(mapped)).isEqualTo(InetAddress.getByAddress(v4));
  }

  /** An IPv6 form that carries an IPv4 address, given 16 random bytes for everything else. */
  private record Form(String name, java.util.function.BiFunction<byte[], byte[], byte[]> embed) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** RFC 6052 §2.2: the byte positions of the IPv4 address under a prefix of each length (bits 64-71 stay zero). */
  private static final Map<Integer, int[]> RFC6052 = Map.of(32, new int[] {4, 5, 6, 7}, 40, new int[] {5, 6, 7, 9},
      48, new int[] {6, 7, 9, 10}, 56, new int[] {7, 9, 10, 11}, 64, new int[] {9, 10, 11, 12},
      96, new int[] {12, 13, 14, 15});

  private static Form nat64(String name, byte[] prefix, int length) {
    return new Form(name + " /" + length, (v4, random) -> {
      byte[] out = random.clone();
      for (int i = 0; i < 16; i++) {
        int keep = Math.max(0, Math.min(8, length - 8 * i));
        out[i] = (byte) (prefix[i] & (0xff00 >>> keep) | out[i] & (0xff >>> keep));
      }
      if (length < 96) {
        out[8] = 0;
      }
      int[] at = RFC6052.get(length);
      for (int i = 0; i < 4; i++) {
        out[at[i]] = v4[i];
      }
      return out;
    });
  }

  private static Form fixed(String name, String prefixText, int from, boolean inverted) {
    byte[] prefix = IpLiterals.parseIpv6(prefixText);
    return new Form(name, (v4, random) -> {
      byte[] out = prefix.clone();
      for (int i = 0; i < 4; i++) {
        out[from + i] = (byte) (inverted ? ~v4[i] : v4[i]);
      }
      return out;
    });
  }

  @Provide
  Arbitrary<Form> embeddingForms() {
    List<Form> forms = new ArrayList<>(List.of(
        fixed("IPv4-compatible", "::", 12, false),
        fixed("IPv4-translated", "::ffff:0:0:0", 12, false),
        fixed("NAT64 well-known", "64:ff9b::", 12, false),
        fixed("6to4", "2002::", 2, false),
        new Form("Teredo", (v4, random) -> {
          byte[] out = random.clone();
          out[0] = 0x20;
          out[1] = 0x01;
          out[2] = 0;
          out[3] = 0;
          for (int i = 0; i < 4; i++) {
            out[12 + i] = (byte) ~v4[i];
          }
          return out;
        })));
    for (int length : List.of(48, 56, 64, 96)) {
      forms.add(nat64("local-use NAT64", IpLiterals.parseIpv6("64:ff9b:1::"), length));
    }
    for (int length : RFC6052.keySet()) {
      forms.add(nat64("NAT64 under any prefix", new byte[16], length)); // the prefix bits come from the random bytes
    }
    return Arbitraries.of(forms);
  }

  @Provide
  Arbitrary<List<Cidr>> anyAllowPrivate() {
    return Arbitraries.subsetOf(Stream.of("0.0.0.0/0", "::/0", "169.254.0.0/16", "100.64.0.0/10", "192.0.0.0/24",
        "fc00::/7", "fe80::/10", "::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32",
        "2000::/3", "::/3").map(Cidr::parse).toList()).map(List::copyOf);
  }

  @Property(tries = 2000)
  void everyInstanceService_inEveryEmbeddingForm_isRefused_whateverAllowPrivateDeclares(
      @ForAll("instanceServiceV4") String service, @ForAll("embeddingForms") Form form, @ForAll byte[] entropy,
      @ForAll("anyAllowPrivate") List<Cidr> declared) throws Exception {
    byte[] v4 = IpLiterals.parseIpv4(service);
    byte[] bytes = form.embed().apply(v4, Arrays.copyOf(entropy, 16));
    Inet6Address carrier = v6(bytes);
    List<Cidr> allow = new ArrayList<>(declared);
    allow.add(Cidr.parse(IpLiterals.format(bytes) + "/128"));
    allow.add(Cidr.parse(service + "/32"));
    assertThatThrownBy(() -> EgressGuard.checkAllowed(carrier, allow)).as("%s via %s", carrier, form)
        .isInstanceOf(EgressDeniedException.class)
        .hasMessageContaining(" embedding " + service)
        .hasMessageEndingWith("can never be allowed, even if declared in allow_private");
    EgressGuard guard = guardWith(Map.of("carrier.example", List.of(carrier)));
    assertThatThrownBy(() -> guard.resolve("carrier.example", allow)).as("%s via %s", carrier, form)
        .isInstanceOf(EgressDeniedException.class).hasMessageContaining("can never be allowed");
  }

  @Provide
  Arbitrary<String> instanceServiceV4() {
    return Arbitraries.of(INSTANCE_SERVICES_V4);
  }

  @Provide
  Arbitrary<String> instanceService() {
    return Arbitraries.of(Stream.concat(INSTANCE_SERVICES_V4.stream(), INSTANCE_SERVICES_V6.stream()).toList());
  }

  @Property(tries = 300)
  void everyInstanceService_isRefusedAsItself_andMappedInDns_whateverAllowPrivateDeclares(
      @ForAll("instanceService") String service, @ForAll("anyAllowPrivate") List<Cidr> declared) throws Exception {
    InetAddress address = ip(service);
    List<Cidr> allow = new ArrayList<>(declared);
    allow.add(Cidr.parse(IpLiterals.format(address) + (address instanceof Inet4Address ? "/32" : "/128")));
    assertThatThrownBy(() -> LITERALS_ONLY.resolve(service, allow)).as(service)
        .isInstanceOf(EgressDeniedException.class)
        .hasMessageEndingWith("can never be allowed, even if declared in allow_private");
    if (address instanceof Inet4Address) {
      byte[] v4 = address.getAddress();
      EgressGuard guard = guardWith(Map.of("mapped.example",
          List.of(v6(ip4Mapped(v4[0] & 0xff, v4[1] & 0xff, v4[2] & 0xff, v4[3] & 0xff)))));
      assertThatThrownBy(() -> guard.resolve("mapped.example", allow)).as(service)
          .hasMessageStartingWith("mapped.example resolves to " + service + ", which is ")
          .hasMessageContaining("can never be allowed");
    }
  }

  @Test
  void instanceServices_inTheCode_areExactlyTheIndependentList() {
    List<String> inCode = Stream.concat(SpecialRanges.IPV4.stream(), SpecialRanges.IPV6.stream())
        .filter(r -> r.access() == SpecialRanges.Access.INSTANCE_SERVICE)
        .map(r -> IpLiterals.format(r.cidr().network())).toList();
    assertThat(inCode).containsExactlyInAnyOrderElementsOf(
        Stream.concat(INSTANCE_SERVICES_V4.stream(), INSTANCE_SERVICES_V6.stream()).toList());
  }

  @Test
  void docsEgressMd_listsEveryInstanceService_withASource() throws Exception {
    List<String> rows = java.nio.file.Files.readAllLines(java.nio.file.Path.of("docs/egress.md"));
    for (String service : Stream.concat(INSTANCE_SERVICES_V4.stream(), INSTANCE_SERVICES_V6.stream()).toList()) {
      assertThat(rows.stream().anyMatch(row -> row.startsWith("| `" + service + "`") && row.contains("https://")))
          .as("docs/egress.md has a table row for %s with a source", service).isTrue();
    }
  }

  @Provide
  Arbitrary<byte[]> outsideGlobalUnicast() {
    return Arbitraries.bytes().array(byte[].class).ofSize(16)
        .filter(b -> (b[0] & 0xe0) != 0x20); // 2000::/3 is the only global unicast space
  }

  @Property(tries = 2000)
  void everyIpv6AddressOutsideGlobalUnicast_isNotPublic(@ForAll("outsideGlobalUnicast") byte[] bytes) {
    assertThat(EgressGuard.blockedReason(v6(bytes))).as(IpLiterals.format(bytes)).isPresent();
  }

  private static InetAddress inet4(byte[] mapped) throws UnknownHostException {
    InetAddress a = InetAddress.getByAddress(mapped);
    assertThat(a).isInstanceOf(Inet4Address.class);
    return a;
  }
}
