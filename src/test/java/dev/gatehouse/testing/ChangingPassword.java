package dev.gatehouse.testing;

import dev.gatehouse.store.PgConnector;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A replica's source of the database password, as its {@code vault.gh} is: it gives the
 * password it holds now, which {@link #change} replaces after the role's own is changed (ALTER
 * ROLE), as {@code gatehouse storage password} replaces the vault entry. Every set of
 * properties it gave is kept, so a test can count the reads and see what was left in them.
 */
public final class ChangingPassword implements PgConnector.Credentials {
  private final TestPostgres.Database database;
  private volatile String password;
  private final List<Properties> given = new CopyOnWriteArrayList<>();

  /** A database with a role of its own ({@link TestPostgres#newDatabaseWithOwnRole}). */
  public ChangingPassword(TestPostgres.Database database) {
    this.database = database;
    this.password = database.password();
  }

  public PgConnector connector() {
    return new PgConnector(database.jdbcUrl(), this);
  }

  /** The role's password changed in PostgreSQL to {@code next}, then given from now on. */
  public void change(TestPostgres pg, String next) throws SQLException {
    pg.changePassword(database, next);
    password = next;
  }

  /** How many times the properties were asked for. */
  public int reads() {
    return given.size();
  }

  /** Every set of properties given, as the connector left them. */
  public List<Properties> given() {
    return List.copyOf(given);
  }

  @Override
  public Properties properties() {
    Properties p = database.properties();
    p.setProperty("password", password);
    given.add(p);
    return p;
  }
}
