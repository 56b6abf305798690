package dev.gatehouse;

import dev.gatehouse.config.Config;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;

/**
 * The PostgreSQL database of {@code storage:} as this home reaches it (docs/storage.md): its
 * URL, and the driver's properties with the role's password read from this replica's own
 * {@code vault.gh} (which must be unsealed) at each connect. Every user of the database
 * connects through {@link #connect}, which takes the password out of the properties again
 * once the driver or pool has them.
 */
final class SharedDatabase {
  /** Something that connects (or keeps the properties to connect later) to {@code url}. */
  interface Opener<T> {
    T open(String url, Properties properties) throws IOException;
  }

  private final Config.Storage.Postgres db;
  private final Vault passwordVault;

  SharedDatabase(Config.Storage.Postgres db, Vault passwordVault) {
    this.db = db;
    this.passwordVault = passwordVault;
  }

  String url() {
    return db.jdbcUrl();
  }

  /** {@code opener} given the URL and the properties; the password is removed from them afterwards. */
  <T> T connect(Opener<T> opener) throws IOException {
    Properties properties = properties();
    try {
      return opener.open(db.jdbcUrl(), properties);
    } finally {
      properties.remove("password");
    }
  }

  /** What the PostgreSQL driver needs to connect, the password read from the vault. */
  Properties properties() throws IOException {
    if (passwordVault.sealed()) {
      throw new RefusedException("the vault is sealed, and it holds the database password (" + db.passwordSecret()
          + "): unseal it first");
    }
    try (SecretValue value = passwordVault.reveal(db.passwordSecret(), SecretAccess.get()).orElseThrow(
        () -> new NotConfiguredException("storage.password_secret names the vault entry " + db.passwordSecret()
            + ", which does not exist: add it with `gatehouse vault add " + db.passwordSecret() + "`"))) {
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
