package dev.gatehouse.trust;

import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.PgDatabases;

/** Every test of {@link ActionApprovalsStoreTest}, on PostgreSQL ({@code PgStateDb}): the same SQL on the other engine. */
class ActionApprovalsStorePgTest extends ActionApprovalsStoreTest {
  final PgDatabases databases = new PgDatabases();

  @Override
  StateDb openDb() throws Exception {
    return databases.open("state");
  }
}
