package dev.gatehouse.guard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a DNS name into the addresses it stands for. {@link EgressGuard} calls it once per
 * request and checks every address it returns; a resolver never needs to filter.
 */
public interface HostResolver {

  /**
   * All addresses of a validated DNS name (never an IP literal).
   *
   * @throws UnknownHostException if the name does not resolve
   */
  List<InetAddress> resolve(String host) throws UnknownHostException;

  /** The operating system's resolver ({@link InetAddress#getAllByName}). */
  static HostResolver system() {
    return host -> Arrays.asList(InetAddress.getAllByName(host));
  }
}
