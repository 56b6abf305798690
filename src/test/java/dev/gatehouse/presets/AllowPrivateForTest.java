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
  void allowPrivateFor_ipv4MappedLiteral_isTheIpv4Address_whichTheGuardThenAccepts() throws Exception {
    Presets.PrivateRange range = rangeFor("http://[::ffff:10.0.0.1]:8080");
    assertThat(range.allowPrivate()).containsExactly("10.0.0.1/32");
    EgressGuard.checkAllowed(java.net.InetAddress.getByName("::ffff:10.0.0.1"),
        java.util.List.of(dev.gatehouse.guard.Cidr.parse(range.allowPrivate().get(0))));
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
