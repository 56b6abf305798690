package dev.gatehouse.broker;

import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.PgDatabases;

/** Every test of {@link AgentUsageTest}, on PostgreSQL ({@code PgStateDb}): the same SQL on the other engine. */
class AgentUsagePgTest extends AgentUsageTest {
  final PgDatabases databases = new PgDatabases();

  @Override
  StateDb openDb(String name) throws Exception {
    return databases.open(name);
  }
}
