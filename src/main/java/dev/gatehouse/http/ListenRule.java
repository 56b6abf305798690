package dev.gatehouse.http;

import dev.gatehouse.error.BadInputException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the daemon may listen (DESIGN §2.1, §11 "Beyond loopback"), the one place that
 * decides it: a loopback address always; any other address (a LAN address, {@code 0.0.0.0},
 * {@code ::}) only with TLS ({@code server.tls}) and at least one owner account, since
 * beyond this machine every byte crosses a network and the owner plane is the only way in.
 */
public final class ListenRule {
  private ListenRule() {}

  /**
   * Refuses {@code bind} unless the rule holds, saying everything that is missing.
   *
   * @param tls whether the daemon would serve TLS 1.3
   * @param ownerAccount whether at least one account with the owner role exists
   * @throws BadInputException naming {@code server.tls} and/or {@code gatehouse user add NAME --role owner}
   */
  public static void check(InetAddress bind, boolean tls, boolean ownerAccount) {
    if (bind.isLoopbackAddress()) {
      return;
    }
    List<String> missing = new ArrayList<>();
    if (!tls) {
      missing.add("TLS 1.3: set server.tls {certificate: FILE, key: FILE} in gatehouse.yaml (docs/tls.md)");
    }
    if (!ownerAccount) {
      missing.add("an owner account: create one with `gatehouse user add NAME --role owner`");
    }
    if (!missing.isEmpty()) {
      throw new BadInputException("refusing to listen on " + bind.getHostAddress() + ": an address other than loopback"
          + " needs " + String.join(", and ", missing) + "; or listen on 127.0.0.1");
    }
  }
}
