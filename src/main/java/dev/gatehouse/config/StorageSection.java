package dev.gatehouse.config;

import dev.gatehouse.config.Config.Storage;
import dev.gatehouse.config.Config.Storage.Postgres;
import dev.gatehouse.config.Config.Storage.TlsMode;
import dev.gatehouse.vault.Vault;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@code storage:} (docs/storage.md). The url names a server and a database and nothing
 * else: no user info and no query, since pgjdbc would take a password, an sslmode or a root
 * certificate from them over the keys that say so. No message repeats the url, which may hold
 * a password the owner pasted by mistake.
 */
final class StorageSection {
  private static final String[] POSTGRES_KEYS = {"url", "user", "password_secret", "tls"};
  private static final Pattern HOST_NAME = Pattern.compile(
      "(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  private static final Pattern IPV4 = Pattern.compile(
      "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
  private static final String URL_FORM = "postgresql://HOST[:PORT]/DATABASE (or jdbc:postgresql://HOST[:PORT]/DATABASE)";

  private StorageSection() {}

  static Storage read(Section root) {
    // "password" is known only so that it is refused with its own message below.
    Section s = root.section("storage", "backend", "url", "user", "password_secret", "password", "tls");
    if (s.has("password")) {
      throw s.problem("password", "is not a key: put the password in the vault (`gatehouse vault add NAME`) and name"
          + " it in password_secret");
    }
    String backend = s.string("backend", "embedded", v -> v.equals("embedded") || v.equals("postgres"),
        "embedded or postgres");
    if (backend.equals("embedded")) {
      for (String key : POSTGRES_KEYS) {
        if (s.has(key)) {
          throw s.problem(key, "is only with backend: postgres");
        }
      }
      return Storage.DEFAULT;
    }
    if (!s.has("url")) {
      throw s.problem("url", "is required with backend: postgres: " + URL_FORM);
    }
    Address address = address(s, s.required("url", v -> true, URL_FORM));
    String user = s.required("user", v -> Postgres.NAME.matcher(v).matches(),
        "the database user's name: 1-63 characters of A-Z a-z 0-9 _ . -");
    String passwordSecret = s.required("password_secret", v -> Vault.NAME.matcher(v).matches(),
        "the name of the vault entry holding the database password (`gatehouse vault add NAME`; a-z 0-9 . _ -),"
            + " never the password itself");
    if (passwordSecret.startsWith(Vault.OWN_PREFIX)) {
      throw s.problem("password_secret", "names '" + passwordSecret + "', but names starting with '" + Vault.OWN_PREFIX
          + "' are Gatehouse's own vault entries (`gatehouse vault add` refuses them); choose another, such as"
          + " postgres.password");
    }
    Section tls = s.section("tls", "mode", "root_cert");
    TlsMode defaultMode = address.loopback() ? TlsMode.DISABLE : TlsMode.VERIFY_FULL;
    TlsMode mode = TlsMode.parse(tls.string("mode", defaultMode.sslmode(), v -> TlsMode.parse(v).isPresent(),
        "disable, require, verify-ca or verify-full")).orElseThrow();
    String rootCert = tls.string("root_cert", null,
        v -> v.startsWith("/") && v.indexOf('\0') < 0 && !v.endsWith("/") && v.length() <= 4096,
        "the absolute path of a PEM file with the certificates the server's must chain to");
    if (rootCert != null && !mode.verifiesCertificate()) {
      throw tls.problem("root_cert", "is only used with mode: verify-ca or verify-full (the mode here is "
          + mode.sslmode() + (tls.has("mode") ? "" : ", the default for this url's host") + ")");
    }
    return Storage.postgres(new Postgres(address.host(), address.port(), address.database(), user, passwordSecret,
        mode, Optional.ofNullable(rootCert).map(p -> Path.of(p).normalize())));
  }

  /** @param host without brackets */
  private record Address(String host, int port, String database, boolean loopback) {}

  private static Address address(Section s, String url) {
    String rest;
    if (url.startsWith("postgresql://")) {
      rest = url.substring("postgresql://".length());
    } else if (url.startsWith("jdbc:postgresql://")) {
      rest = url.substring("jdbc:postgresql://".length());
    } else {
      throw s.problem("url", "must be " + URL_FORM);
    }
    int authorityEnd = firstOf(rest, "/?#");
    String authority = rest.substring(0, authorityEnd);
    if (authority.indexOf('@') >= 0) {
      throw s.problem("url", "must not hold a user or password (USER:PASSWORD@): give the user in user, put the password"
          + " in the vault and name it in password_secret");
    }
    if (rest.indexOf('?') >= 0) {
      throw s.problem("url", "must not have a query (?...): pgjdbc would take settings from it over these keys; give"
          + " the user in user, the password's vault entry in password_secret, sslmode in tls.mode and sslrootcert in"
          + " tls.root_cert");
    }
    if (rest.indexOf('#') >= 0) {
      throw s.problem("url", "must not have a fragment (#...): " + URL_FORM);
    }
    if (authority.indexOf(',') >= 0) {
      throw s.problem("url", "must name one host (several daemons share one database address; failover is the"
          + " database's own): " + URL_FORM);
    }
    String host;
    String portText = null;
    boolean loopback;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      host = close < 0 ? "" : authority.substring(1, close);
      String after = close < 0 ? "" : authority.substring(close + 1);
      if (close < 0 || !IPV6.matcher(host).matches() || host.indexOf(':') < 0
          || !(after.isEmpty() || after.startsWith(":"))) {
        throw s.problem("url", "must name its host as a DNS name, an IPv4 address or an IPv6 address in brackets: "
            + URL_FORM);
      }
      portText = after.isEmpty() ? null : after.substring(1);
      loopback = isLoopbackIpv6(s, host);
    } else {
      int colon = authority.indexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      portText = colon < 0 ? null : authority.substring(colon + 1);
      if (host.isEmpty()) {
        throw s.problem("url", "must name the database server's host: " + URL_FORM);
      }
      if (!HOST_NAME.matcher(host).matches()) {
        throw s.problem("url", "must name one host, as a DNS name, an IPv4 address or an IPv6 address in brackets: "
            + URL_FORM);
      }
      loopback = host.equalsIgnoreCase("localhost") || isLoopbackIpv4(host);
    }
    int port = Postgres.DEFAULT_PORT;
    if (portText != null) {
      if (!PORT.matcher(portText).matches() || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
        throw s.problem("url", "must have a port from 1 to 65535, or none for " + Postgres.DEFAULT_PORT + ": "
            + URL_FORM);
      }
      port = Integer.parseInt(portText);
    }
    String path = rest.substring(authorityEnd);
    if (path.length() <= 1) {
      throw s.problem("url", "must name the database after the host: " + URL_FORM);
    }
    String database = path.substring(1);
    if (!Postgres.NAME.matcher(database).matches()) {
      throw s.problem("url", "must end in the database's name, 1-63 characters of A-Z a-z 0-9 _ . -: " + URL_FORM);
    }
    return new Address(host, port, database, loopback);
  }

  private static int firstOf(String text, String chars) {
    for (int i = 0; i < text.length(); i++) {
      if (chars.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return text.length();
  }

  /** A dotted quad without leading zeros (which Java would hand to the resolver as a name) in 127.0.0.0/8. */
  private static boolean isLoopbackIpv4(String host) {
    java.util.regex.Matcher m = IPV4.matcher(host);
    if (!m.matches()) {
      return false;
    }
    for (int i = 1; i <= 4; i++) {
      if (Integer.parseInt(m.group(i)) > 255) {
        return false;
      }
    }
    return m.group(1).equals("127");
  }

  /**
   * {@code host} matches {@link #IPV6} and holds a ':': InetAddress reads it as a literal, or
   * refuses it, and asks no resolver.
   */
  private static boolean isLoopbackIpv6(Section s, String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw s.problem("url", "must name its host as a DNS name, an IPv4 address or an IPv6 address in brackets: "
          + URL_FORM);
    }
  }
}
