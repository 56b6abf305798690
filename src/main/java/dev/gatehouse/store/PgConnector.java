package dev.gatehouse.store;

import dev.gatehouse.error.GatehouseException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;

/**
 * How this replica logs in to its PostgreSQL database: the URL, and where the driver's
 * properties (user, password, TLS) come from. Every holder of connections here (the state,
 * the pool, the audit log, the leader election, the shared vault) opens each connection
 * through one of these, and keeps no password of its own.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>The properties are asked for at each new connection, and only then: never per query
 *       or per transaction. So every connection opened from now on, a reconnect after a server
 *       restart, a dropped network or a failover included, logs in with the password the
 *       source holds at that moment (on a replica, its {@code vault.gh}, which
 *       {@code gatehouse storage password} replaces): a new role password needs no restart.
 *   <li>The password is removed from the properties as soon as the driver has it.
 *   <li>A source that cannot give the properties (a sealed vault, a missing entry, an
 *       unreadable file) fails the connection like a server that cannot be reached: the holder
 *       fails closed and tries again at its next connection. Its message is the source's, which
 *       names the entry and never holds the password.
 * </ul>
 */
public final class PgConnector {
  /** The driver's properties, the password among them, read when asked. */
  @FunctionalInterface
  public interface Credentials {
    Properties properties() throws IOException;
  }

  private final String url;
  private final Credentials credentials;

  public PgConnector(String url, Credentials credentials) {
    this.url = Objects.requireNonNull(url, "url");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  /** Always the same properties (a copy of {@code properties} made each time): for tests and one-shot tools. */
  public static PgConnector fixed(String url, Properties properties) {
    Properties kept = (Properties) properties.clone();
    return new PgConnector(url, () -> (Properties) kept.clone());
  }

  public String url() {
    return url;
  }

  /**
   * The properties as the source gives them now: for a caller that connects otherwise (Flyway's
   * data source), which must remove the password once it is done. A source's failure is thrown
   * as it is: at a home's first connection it is the clearest error there is.
   */
  public Properties properties() throws IOException {
    return credentials.properties();
  }

  /**
   * A new connection, logged in with the properties read now.
   *
   * @throws SQLException the driver's, or, state {@value PgPool#NO_CONNECTION}, the source's
   *     failure to give the properties
   */
  public Connection connect() throws SQLException {
    Properties p;
    try {
      p = credentials.properties();
    } catch (IOException | GatehouseException e) { // their messages are written for users: no secret in them
      throw new SQLException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(),
          PgPool.NO_CONNECTION, e);
    }
    try {
      return DriverManager.getConnection(url, p);
    } finally {
      p.remove("password");
    }
  }
}
