package dev.gatehouse.testing;

import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.Gatehouse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * For running a store's tests on PostgreSQL: where the embedded test opens the file
 * {@code name}, {@link #open} connects to a database of that name's own on the test cluster,
 * new for each instance (JUnit makes one per test method), with a fresh connection each call,
 * as another replica has.
 */
public final class PgDatabases {
  public static final String PASSWORD_ENTRY = "postgres.password";
  private final Map<String, TestPostgres.Database> databases = new HashMap<>();

  /**
   * Points the home {@code dir} at a new database of the test cluster, as an owner would:
   * the password in the vault entry {@code postgres.password}, {@code storage:} in
   * {@code gatehouse.yaml}. Returns the database.
   */
  public static TestPostgres.Database usePostgres(Path dir) throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    usePostgres(dir, d);
    return d;
  }

  /** {@link #usePostgres(Path)} with the database {@code d}, which other homes may share. */
  public static void usePostgres(Path dir, TestPostgres.Database d) throws Exception {
    try (Gatehouse g = TestHome.open(dir, Clock.systemUTC())) {
      g.vaultService().add(PASSWORD_ENTRY, d.password().getBytes(StandardCharsets.UTF_8), false, "cli:test");
    }
    Files.writeString(dir.resolve("gatehouse.yaml"), """

        storage:
          backend: postgres
          url: postgresql://127.0.0.1:%d/%s
          user: %s
          password_secret: %s
        """.formatted(d.port(), d.name(), d.user(), PASSWORD_ENTRY), StandardOpenOption.APPEND);
  }

  public synchronized StateDb open(String name) throws Exception {
    TestPostgres.Database d = databases.get(name);
    if (d == null) {
      d = TestPostgres.shared().newDatabase();
      databases.put(name, d);
    }
    return PgStateDb.open(d.jdbcUrl(), d.properties());
  }
}
