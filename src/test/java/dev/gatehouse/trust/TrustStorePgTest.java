package dev.gatehouse.trust;

import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.PgDatabases;

/** Every test of {@link TrustStoreTest}, on PostgreSQL ({@code PgStateDb}): the same SQL on the other engine. */
class TrustStorePgTest extends TrustStoreTest {
  final PgDatabases databases = new PgDatabases();

  @Override
  StateDb openDb(String name) throws Exception {
    return databases.open(name);
  }
}
