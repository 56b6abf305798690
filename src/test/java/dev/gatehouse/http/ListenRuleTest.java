package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gatehouse.error.BadInputException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DESIGN §2.1 and §11 "Beyond loopback": where the daemon may listen, and what it says when it may not. */
class ListenRuleTest {
  private static InetAddress ip(String text) throws UnknownHostException {
    return InetAddress.getByName(text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "::1"})
  void loopback_isAllowed_withOrWithoutTls_andWithoutOwners(String address) throws Exception {
    assertThatCode(() -> ListenRule.check(ip(address), false, false)).doesNotThrowAnyException();
    assertThatCode(() -> ListenRule.check(ip(address), true, false)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "2001:db8::1"})
  void beyondLoopback_withoutTls_isRefused_namingServerTls(String address) throws Exception {
    assertThatThrownBy(() -> ListenRule.check(ip(address), false, true)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("refusing to listen on " + ip(address).getHostAddress())
        .hasMessageContaining("server.tls").hasMessageNotContaining("--role owner");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "::", "192.168.1.20"})
  void beyondLoopback_withTlsButNoOwner_isRefused_namingTheCommand(String address) throws Exception {
    assertThatThrownBy(() -> ListenRule.check(ip(address), true, false)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("gatehouse user add NAME --role owner").hasMessageNotContaining("server.tls");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "::", "192.168.1.20"})
  void beyondLoopback_withNeither_namesBoth(String address) throws Exception {
    assertThatThrownBy(() -> ListenRule.check(ip(address), false, false)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("server.tls").hasMessageContaining("gatehouse user add NAME --role owner");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "::", "192.168.1.20"})
  void beyondLoopback_withTlsAndAnOwner_isAllowed(String address) throws Exception {
    assertThatCode(() -> ListenRule.check(ip(address), true, true)).doesNotThrowAnyException();
  }

  @Property(tries = 500)
  void anyAddress_isAllowed_exactlyWhenLoopbackOrTlsAndAnOwner(@ForAll @Size(4) byte[] v4, @ForAll boolean tls,
      @ForAll boolean owner) throws Exception {
    InetAddress address = InetAddress.getByAddress(v4);
    boolean allowed = address.isLoopbackAddress() || (tls && owner);

    Throwable refused = catchThrowable(() -> ListenRule.check(address, tls, owner));

    assertThat(refused == null).isEqualTo(allowed);
    if (refused != null) {
      assertThat(refused).isInstanceOf(BadInputException.class);
      assertThat(refused.getMessage().contains("server.tls")).isEqualTo(!tls);
      assertThat(refused.getMessage().contains("--role owner")).isEqualTo(!owner);
    }
  }
}
