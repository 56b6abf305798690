package dev.gatehouse.doctor;

import dev.gatehouse.config.Config;
import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.http.ListenRule;
import dev.gatehouse.http.ServerTls;
import dev.gatehouse.owner.OwnerAccounts;
import dev.gatehouse.owner.Role;
import dev.gatehouse.store.Home;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** The config and where the daemon listens: the rule is {@link ListenRule}'s, asked here, never restated. */
final class ServerChecks {
  private ServerChecks() {}

  /** config.invalid: gatehouse.yaml does not load; no command and no daemon starts. */
  static List<Finding> configInvalid(Inspection in) {
    try {
      Config.load(in.file(Home.CONFIG_FILE));
      return List.of();
    } catch (java.io.IOException | GatehouseException e) {
      return List.of(Finding.critical("config.invalid", e instanceof GatehouseException ? e.getMessage()
          : in.file(Home.CONFIG_FILE) + " cannot be read (" + e.getClass().getSimpleName() + ")",
          "correct " + in.file(Home.CONFIG_FILE) + " (README's configuration table lists every setting)"));
    }
  }

  static InetAddress bind(Inspection in) throws NotChecked {
    String bind = in.config().server().bind();
    try {
      return InetAddress.getByName(bind);
    } catch (UnknownHostException e) {
      throw new NotChecked("server.bind " + bind + " is not an address", "set server.bind to an IP address");
    }
  }

  static boolean beyondLoopback(Inspection in) throws NotChecked {
    return !bind(in).isLoopbackAddress();
  }

  /** bind.non_loopback_without_tls: serve would refuse this address (ListenRule), and it is no place for plain HTTP. */
  static List<Finding> nonLoopbackWithoutTls(Inspection in) throws NotChecked {
    boolean tls = in.config().server().tls().isPresent();
    try {
      ListenRule.check(bind(in), tls, true);
      return List.of();
    } catch (GatehouseException e) {
      return List.of(Finding.critical("bind.non_loopback_without_tls", "server.bind is " + in.config().server().bind()
          + " without server.tls: " + e.getMessage(), "configure server.tls (docs/tls.md), or set server.bind to "
          + "127.0.0.1"));
    }
  }

  /** bind.no_owner_account: beyond loopback with TLS but no owner account: serve refuses (ListenRule). */
  static List<Finding> noOwnerAccount(Inspection in) throws Exception {
    InetAddress bind = bind(in);
    if (bind.isLoopbackAddress() || in.config().server().tls().isEmpty()) {
      return List.of(); // loopback needs none; without TLS the finding above already says so
    }
    boolean owner = in.hasStateDb() && in.stateHome().ownerAccounts().hasOwner();
    try {
      ListenRule.check(bind, true, owner);
      return List.of();
    } catch (GatehouseException e) {
      return List.of(Finding.critical("bind.no_owner_account", e.getMessage(),
          "`gatehouse user add NAME --role owner`, or set server.bind to 127.0.0.1"));
    }
  }

  /** tls.invalid: server.tls as serve loads it (files, key modes, key match, validity now): serve refuses it. */
  static List<Finding> tlsInvalid(Inspection in) throws NotChecked {
    var tls = in.config().server().tls();
    if (tls.isEmpty()) {
      return List.of();
    }
    try {
      load(in, tls.get());
      return List.of();
    } catch (GatehouseException e) {
      return List.of(Finding.critical("tls.invalid", e.getMessage() + "; serve refuses to start with it",
          "see docs/tls.md"));
    }
  }

  /** tls.expiring: the certificate ends within {@link ServerTls#EXPIRY_WARNING}; clients then refuse the daemon. */
  static List<Finding> tlsExpiring(Inspection in) throws NotChecked {
    var tls = in.config().server().tls();
    if (tls.isEmpty()) {
      return List.of();
    }
    String warning;
    try {
      warning = load(in, tls.get()).expiryWarning(in.settings().clock().instant());
    } catch (GatehouseException e) {
      return List.of(); // tls.invalid says it
    }
    return warning == null ? List.of() : List.of(Finding.warn("tls.expiring", warning, "renew it (docs/tls.md)"));
  }

  private static ServerTls load(Inspection in, Config.Tls tls) {
    return ServerTls.load(in.home().resolve(tls.certificate()), in.home().resolve(tls.key()), in.settings().clock());
  }

  /**
   * owner.no_totp: the dashboard is reachable beyond loopback, and an owner-plane user has
   * no TOTP: that user's password alone opens it from the network.
   */
  static List<Finding> ownerWithoutTotp(Inspection in) throws Exception {
    if (!beyondLoopback(in) || !in.hasStateDb()) {
      return List.of(); // no state.db: no users (bind.no_owner_account says so)
    }
    List<OwnerAccounts.User> users = in.unsealed().ownerAccounts().list();
    List<String> without = users.stream().filter(u -> !u.totpActive()).map(u -> u.name() + " (" + u.role().name()
        .toLowerCase(java.util.Locale.ROOT) + ")").toList();
    if (without.isEmpty()) {
      return List.of();
    }
    boolean noOwnerWithTotp = users.stream().noneMatch(u -> u.role() == Role.OWNER && u.totpActive());
    return List.of(Finding.warn("owner.no_totp", "the dashboard listens on " + in.config().server().bind()
        + " and these users have no TOTP, so a password alone signs them in from the network: " + String.join(", ",
        without) + (noOwnerWithTotp ? "; no owner has TOTP at all" : ""),
        "`gatehouse user totp NAME` for each of them"));
  }
}
