package dev.gatehouse.owner;

import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import java.nio.file.Path;

/**
 * Every test of {@link OwnerAccountsTest}, with the home's state and audit log on PostgreSQL
 * ({@code storage: backend: postgres}): its audit searches read the database's log, and its
 * canary searches every value in the database besides every file of the home.
 */
class OwnerAccountsPgTest extends OwnerAccountsTest {
  TestPostgres.Database db;

  @Override
  Path newHome() throws Exception {
    Path dir = TestHome.create(temp);
    db = PgDatabases.usePostgres(dir);
    return dir;
  }

  @Override
  String auditText() throws Exception {
    return PgDatabases.auditText(db);
  }

  @Override
  String homeText() throws Exception {
    return super.homeText() + PgDatabases.databaseText(db);
  }
}
