package dev.gatehouse.owner;

import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import java.nio.file.Path;

/** Every test of {@link OwnerAccountsTest}, with the home's state on PostgreSQL ({@code storage: backend: postgres}). */
class OwnerAccountsPgTest extends OwnerAccountsTest {
  @Override
  Path newHome() throws Exception {
    Path dir = TestHome.create(temp);
    PgDatabases.usePostgres(dir);
    return dir;
  }
}
