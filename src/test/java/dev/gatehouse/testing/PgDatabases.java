package dev.gatehouse.testing;

import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import java.util.HashMap;
import java.util.Map;

/**
 * For running a store's tests on PostgreSQL: where the embedded test opens the file
 * {@code name}, {@link #open} connects to a database of that name's own on the test cluster,
 * new for each instance (JUnit makes one per test method), with a fresh connection each call,
 * as another replica has.
 */
public final class PgDatabases {
  private final Map<String, TestPostgres.Database> databases = new HashMap<>();

  public synchronized StateDb open(String name) throws Exception {
    TestPostgres.Database d = databases.get(name);
    if (d == null) {
      d = TestPostgres.shared().newDatabase();
      databases.put(name, d);
    }
    return PgStateDb.open(d.jdbcUrl(), d.properties());
  }
}
