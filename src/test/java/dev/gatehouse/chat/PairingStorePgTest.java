package dev.gatehouse.chat;

import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.PgDatabases;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** Every test of {@link PairingStoreTest}, on PostgreSQL ({@code PgStateDb}): the same SQL on the other engine. */
class PairingStorePgTest extends PairingStoreTest {
  final PgDatabases databases = new PgDatabases();

  @Override
  StateDb openDb(String name) throws Exception {
    return databases.open(name);
  }

  @Override
  @Test
  @Disabled("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL's planner chooses by table statistics, and the indexes are the same (V1__state.sql)")
  void thePerMessageQueries_searchAnIndex_neverScanATable() {}
}
