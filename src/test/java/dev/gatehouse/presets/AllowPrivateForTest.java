package dev.gatehouse.presets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.guard.EgressGuard;
import org.junit.jupiter.api.Test;

/** {@link Presets#allowPrivateFor} proposes only an allow_private the egress guard then accepts. */
class AllowPrivateForTest {

  private static Presets.PrivateRange rangeFor(String url) {
    return Presets.allowPrivateFor(EgressGuard.parseBaseUrl(url));
  }

  @Test
  void allowPrivateFor_privateLiteral_isExactlyThatAddress() {
    assertThat(rangeFor("http://127.0.0.1:8989").allowPrivate()).containsExactly("127.0.0.1/32");
    assertThat(rangeFor("http://192.168.1.20:8989").allowPrivate()).containsExactly("192.168.1.20/32");
    assertThat(rangeFor("http://[fd00::20]:8989").allowPrivate()).containsExactly("fd00::20/128");
    assertThat(rangeFor("http://192.168.1.20:8989").note()).hasValueSatisfying(n -> assertThat(n)
        .startsWith("192.168.1.20 is private (192.168.0.0/16)").contains("that one address"));
  }

  @Test
  void allowPrivateFor_ipv4MappedBaseUrl_isRefused_namingTheIpv4AddressToWrite() {
    assertThatThrownBy(() -> rangeFor("http://[::ffff:10.0.0.1]:8080"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service base URL \"http://[::ffff:10.0.0.1]:8080\": host \"[::ffff:10.0.0.1]\" is an IPv4-mapped"
            + " IPv6 address; write the IPv4 address 10.0.0.1 instead");
    assertThat(rangeFor("http://10.0.0.1:8080").allowPrivate()).containsExactly("10.0.0.1/32");
  }

  @Test
  void allowPrivateFor_publicAddressCarryingAnInstanceService_isRefusedSayingWhy() {
    assertThatThrownBy(() -> rangeFor("http://168.63.129.16"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("168.63.129.16 is Azure WireServer (168.63.129.16/32)"
            + " and can never be allowed, even if declared in allow_private");
    assertThatThrownBy(() -> rangeFor("http://[2a01:4f8::a9fe:a9fe]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("2a01:4f8::a9fe:a9fe is a public address embedding 169.254.169.254 (RFC 6052 /96 position)"
            + " which is cloud metadata (169.254.169.254/32), and can never be allowed, even if declared in allow_private");
  }

  @Test
  void allowPrivateFor_publicLiteral_isEmpty_withoutNote() {
    assertThat(rangeFor("https://140.82.112.6").allowPrivate()).isEmpty();
    assertThat(rangeFor("https://140.82.112.6").note()).isEmpty();
  }

  @Test
  void allowPrivateFor_dnsName_isEmpty_withANoteToAddItByHand() {
    Presets.PrivateRange range = rangeFor("http://media.home.arpa:8096");
    assertThat(range.allowPrivate()).isEmpty();
    assertThat(range.note()).hasValueSatisfying(n -> assertThat(n).contains("allow_private by hand"));
  }

  @Test
  void allowPrivateFor_addressThatOneEntryCannotUnlock_isRefusedSayingWhy() {
    assertThatThrownBy(() -> rangeFor("http://169.254.169.254"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("169.254.169.254 is cloud metadata (169.254.169.254/32)"
            + " and can never be allowed, even if declared in allow_private");
    assertThatThrownBy(() -> rangeFor("http://[64:ff9b::a00:1]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("embedding 10.0.0.1 which is private (10.0.0.0/8), and the service does not allow it");
  }
}
