package dev.gatehouse;

import dev.gatehouse.config.Config;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.PgConnector;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * The PostgreSQL database of {@code storage:} as this home reaches it (docs/storage.md): its
 * URL, and the driver's properties with the role's password read from this replica's own
 * {@code vault.gh} (which must be unsealed) at each connection. Every user of the database
 * connects through {@link #connector}, which reads the password anew for each connection it
 * opens, a reconnect included, and takes it out of the properties once the driver has it: a
 * running daemon's next connection uses the password {@code gatehouse storage password} put
 * in {@code vault.gh} meanwhile (the file vault sees another process's write at its next read).
 */
final class SharedDatabase {
  /** A Java exception's name where pgjdbc quotes one in its message ("...: java.security.cert.XException: ..."). */
  private static final java.util.regex.Pattern JAVA_EXCEPTION =
      java.util.regex.Pattern.compile("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_]*(?:Exception|Error): ");

  private final Config.Storage.Postgres db;
  private final Vault passwordVault;
  private final Supplier<char[]> replacing;
  private final String addHint;

  /**
   * @param replacing the password {@code vault.gh} is about to hold, while {@code gatehouse storage password}
   *     replaces it (then it is used instead of the entry); null otherwise
   * @param addHint the command that adds a missing password entry to {@code passwordVault}
   */
  SharedDatabase(Config.Storage.Postgres db, Vault passwordVault, Supplier<char[]> replacing, String addHint) {
    this.db = db;
    this.passwordVault = passwordVault;
    this.replacing = replacing;
    this.addHint = addHint;
  }

  /** How every holder of connections to this database connects: with the password read at each connection. */
  PgConnector connector() {
    return new PgConnector(db.jdbcUrl(), this::properties);
  }

  /**
   * Refuses, saying why and that nothing changed, unless {@code password} logs in to the
   * database as its role, over the configured TLS. Neither the password nor the driver's
   * exception (which is not ours to vouch for) reaches the refusal.
   */
  void check(char[] password) {
    Properties properties = db.connectionProperties(password);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), properties)) {
      // logged in: the server accepted the role's password, over TLS as storage.tls asks
    } catch (SQLException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName()
          : JAVA_EXCEPTION.matcher(e.getMessage()).replaceAll(""); // the TLS errors nest the JDK's text
      if (password.length > 0) {
        why = why.replace(new String(password), "(the new password)");
      }
      throw new RefusedException("the new password does not connect to " + db.jdbcUrl() + " as " + db.user() + " (TLS "
          + db.tls().sslmode() + "): " + why + "; nothing was changed");
    } finally {
      properties.remove("password");
    }
  }

  /**
   * What the PostgreSQL driver needs to connect, the password read from the vault now (or the
   * one being put there); the caller removes it once connected.
   */
  private Properties properties() throws IOException {
    char[] next = replacing.get();
    if (next != null) {
      return db.connectionProperties(next);
    }
    if (passwordVault.sealed()) {
      throw new RefusedException("the vault is sealed, and it holds the database password (" + db.passwordSecret()
          + "): unseal it first");
    }
    try (SecretValue value = passwordVault.reveal(db.passwordSecret(), SecretAccess.get()).orElseThrow(
        () -> new NotConfiguredException("storage.password_secret names the vault entry " + db.passwordSecret()
            + ", which does not exist in vault.gh: add it with " + addHint))) {
      byte[] bytes = value.bytes(SecretAccess.get());
      CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
      char[] password = new char[chars.remaining()];
      chars.get(password);
      Arrays.fill(chars.array(), '\0');
      Arrays.fill(bytes, (byte) 0);
      try {
        return db.connectionProperties(password);
      } finally {
        Arrays.fill(password, '\0');
      }
    }
  }
}
