package dev.gatehouse.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {
  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // trusted test constants only
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1/32|127.0.0.1/32",
      "192.168.1.0/24|192.168.1.0/24",
      "0.0.0.0/0|0.0.0.0/0",
      "fd00::/8|fd00::/8",
      "FD00:0:0::/8|fd00::/8",
      "::ffff:0:0:0/96|::ffff:0:0:0/96",
      "::fffe:0:0/95|::fffe:0:0/95",
      "2001:db8:0:0:1:0:0:1/128|2001:db8::1:0:0:1/128",
      "2001:0:0:1::/64|2001:0:0:1::/64",
      "::/0|::/0",
  })
  void parse_thenToString_isCanonical(String text, String canonical) {
    assertThat(Cidr.parse(text).toString()).isEqualTo(canonical);
    assertThat(Cidr.parse(canonical)).isEqualTo(Cidr.parse(text));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "192.168.1.1/24|host bits set beyond the prefix; did you mean 192.168.1.0/24?",
      "fd00::1/8|host bits set beyond the prefix; did you mean fd00::/8?",
      "127.0.0.1|write address/prefix",
      "127.0.0.1/32/1|write address/prefix",
      "127.1/32|short form",
      "127.000.000.001/32|leading zero",
      "0177.0.0.1/32|leading zero",
      "0x7f.0.0.1/32|hexadecimal",
      "2130706433/32|single number",
      "fe80::%eth0/64|zone id",
      "10.0.0.0/33|prefix length must be a decimal number 0 to 32",
      "::/129|prefix length must be a decimal number 0 to 128",
      "10.0.0.0/08|prefix length must be a decimal number 0 to 32",
      "10.0.0.0/|prefix length must be a decimal number 0 to 32",
      "10.0.0.0/+8|prefix length must be a decimal number 0 to 32",
      "1::2::3/64|more than one \"::\"",
      "12345::/16|longer than four hex digits",
      "' 10.0.0.0/8'|non-decimal octet",
      "::ffff:0:0/96|is an IPv4-mapped IPv6 block; write the IPv4 block 0.0.0.0/0 instead",
      "::ffff:10.0.0.0/104|write the IPv4 block 10.0.0.0/8 instead",
      "::ffff:7f00:1/128|write the IPv4 block 127.0.0.1/32 instead",
  })
  void parse_refusesNonCanonicalText_namingTheTextAndTheProblem(String text, String expected) {
    assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("CIDR \"" + text + "\": ").hasMessageContaining(expected);
  }

  @Test
  void contains_matchesTheBlockOnly() {
    Cidr lan = Cidr.parse("192.168.1.0/24");
    assertThat(lan.contains(ip("192.168.1.0"))).isTrue();
    assertThat(lan.contains(ip("192.168.1.255"))).isTrue();
    assertThat(lan.contains(ip("192.168.2.0"))).isFalse();
    assertThat(lan.contains(ip("192.168.0.255"))).isFalse();
    Cidr odd = Cidr.parse("172.16.0.0/12");
    assertThat(odd.contains(ip("172.31.255.255"))).isTrue();
    assertThat(odd.contains(ip("172.32.0.0"))).isFalse();
    assertThat(Cidr.parse("fc00::/7").contains(ip("fdff::1"))).isTrue();
    assertThat(Cidr.parse("fc00::/7").contains(ip("fe00::1"))).isFalse();
  }

  @Test
  void contains_neverCrossesAddressFamilies() {
    Cidr mapped = new Cidr(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0}, 96);
    assertThat(mapped.contains(ip("127.0.0.1"))).isFalse();
    assertThat(Cidr.parse("::/0").contains(ip("127.0.0.1"))).isFalse();
    assertThat(Cidr.parse("0.0.0.0/0").contains(ip("::1"))).isFalse();
  }

  @Test
  void network_isCopiedInAndOut() {
    byte[] bytes = {10, 0, 0, 0};
    Cidr cidr = new Cidr(bytes, 8);
    bytes[0] = 11;
    cidr.network()[0] = 12;
    assertThat(cidr.toString()).isEqualTo("10.0.0.0/8");
    assertThat(cidr).isEqualTo(Cidr.parse("10.0.0.0/8")).hasSameHashCodeAs(Cidr.parse("10.0.0.0/8"));
  }

  @Property
  void everyAddress_isInsideItsOwnBlock_andTheBlockRoundTrips(@ForAll byte[] raw, @ForAll @IntRange(max = 32) int prefix)
      throws Exception {
    byte[] address = java.util.Arrays.copyOf(raw, 4);
    int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
    int value = java.nio.ByteBuffer.wrap(address).getInt() & mask;
    Cidr block = new Cidr(java.nio.ByteBuffer.allocate(4).putInt(value).array(), prefix);
    assertThat(block.contains(InetAddress.getByAddress(address))).isTrue();
    assertThat(Cidr.parse(block.toString())).isEqualTo(block);
  }

  @Property(tries = 2000)
  void contains_agreesWithComparingTheTopPrefixBits(@ForAll byte[] rawAddress, @ForAll byte[] rawNetwork,
      @ForAll @IntRange(max = 128) int prefix, @ForAll boolean sameTop) throws Exception {
    byte[] address = java.util.Arrays.copyOf(rawAddress, 16);
    java.math.BigInteger a = new java.math.BigInteger(1, address);
    java.math.BigInteger n = new java.math.BigInteger(1, java.util.Arrays.copyOf(rawNetwork, 16));
    java.math.BigInteger top = (sameTop ? a : n).shiftRight(128 - prefix);
    byte[] network = java.util.Arrays.copyOfRange(top.shiftLeft(128 - prefix).setBit(128).toByteArray(), 1, 17);
    Cidr block = new Cidr(network, prefix);
    boolean expected = a.shiftRight(128 - prefix).equals(top);
    assertThat(block.contains(InetAddress.getByAddress(address))).as("%s in %s", a.toString(16), block).isEqualTo(expected);
  }
}
