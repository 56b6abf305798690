package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ChangingPassword;
import dev.gatehouse.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link PgPool} against a real PostgreSQL ({@link TestPostgres}). */
class PgPoolTest {
  private static TestPostgres.Database db;

  @BeforeAll
  static void database() throws Exception {
    db = TestPostgres.shared().newDatabase();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (v INTEGER)");
    }
  }

  private static PgPool pool(int size, Duration timeout) {
    return new PgPool(db.connector(), size, timeout);
  }

  private static int backendPid(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void new_connectsNothing_soAnUnreachableServerIsFoundOutAtTheFirstBorrow() throws Exception {
    var p = db.properties();
    try (PgPool unreachable = new PgPool(PgConnector.fixed("jdbc:postgresql://127.0.0.1:1/none", p), 2,
        Duration.ofSeconds(1))) {
      assertThatThrownBy(unreachable::borrow).isInstanceOfSatisfying(SQLException.class,
          e -> assertThat(e.getSQLState()).startsWith("08"));
      assertThatThrownBy(unreachable::borrow).as("the failed connect gave its place back")
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).startsWith("08"));
    }
  }

  @Test
  void manyThreads_shareAtMostSizeConnections() throws Exception {
    int threads = 8;
    Set<Integer> pids = ConcurrentHashMap.newKeySet();
    try (PgPool pool = pool(3, Duration.ofSeconds(30))) {
      ExecutorService exec = Executors.newFixedThreadPool(threads);
      try {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          all.add(exec.submit(() -> {
            start.await();
            for (int i = 0; i < 20; i++) {
              pool.run(c -> pids.add(backendPid(c)));
            }
            return null;
          }));
        }
        for (Future<?> f : all) {
          f.get();
        }
      } finally {
        exec.shutdown();
      }
    }
    assertThat(pids).hasSizeBetween(1, 3);
  }

  @Test
  void borrow_whenEveryConnectionIsLent_failsAfterTheTimeoutWith08001() throws Exception {
    try (PgPool pool = pool(1, Duration.ofMillis(50)); PgPool.Lease held = pool.borrow()) {
      assertThat(held.connection().isValid(5)).isTrue();

      assertThatThrownBy(pool::borrow).isInstanceOfSatisfying(SQLException.class, e -> {
        assertThat(e.getSQLState()).isEqualTo(PgPool.NO_CONNECTION);
        assertThat(e.getMessage()).contains("no database connection became free within 50 ms (all 1 are in use)");
      });
    }
  }

  @Test
  void aLeaseLeftInATransaction_isRolledBack_andTheNextGetsAutocommit() throws Exception {
    try (PgPool pool = pool(1, Duration.ofSeconds(5))) {
      try (PgPool.Lease lease = pool.borrow()) {
        Connection c = lease.connection();
        assertThat(c.getAutoCommit()).isTrue();
        c.setAutoCommit(false);
        c.setReadOnly(false);
        try (Statement s = c.createStatement()) {
          s.execute("INSERT INTO t VALUES (41)");
        }
      } // given back with the transaction open

      pool.run(c -> {
        assertThat(c.getAutoCommit()).isTrue();
        assertThat(c.isReadOnly()).isFalse();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM t WHERE v = 41")) {
          rs.next();
          assertThat(rs.getInt(1)).isZero();
        }
        return null;
      });
    }
  }

  @Test
  void anOrdinarySqlError_keepsTheConnection() throws Exception {
    try (PgPool pool = pool(1, Duration.ofSeconds(5))) {
      int before = pool.run(PgPoolTest::backendPid);

      assertThatThrownBy(() -> pool.run(c -> {
        try (Statement s = c.createStatement()) {
          return s.execute("SELECT * FROM no_such_table");
        }
      })).isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42P01"));

      assertThat(pool.run(PgPoolTest::backendPid)).isEqualTo(before);
    }
  }

  @Test
  void aConnectionTheServerTerminated_isDiscarded_andReplacedByTheNextBorrow() throws Exception {
    try (PgPool pool = pool(1, Duration.ofSeconds(5))) {
      int pid = pool.run(PgPoolTest::backendPid);
      try (Connection admin = db.connect(); Statement s = admin.createStatement()) {
        s.execute("SELECT pg_terminate_backend(" + pid + ")"); // the server ends that session (57P01)
      }

      assertThatThrownBy(() -> pool.run(PgPoolTest::backendPid)).isInstanceOf(SQLException.class);

      int after = pool.run(PgPoolTest::backendPid);
      assertThat(after).isNotEqualTo(pid);
    }
  }

  @Test
  void afterTheServerRestarts_thePoolServesAgainByItself() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    try (PgPool pool = pool(3, Duration.ofSeconds(5))) {
      // Three connections open and idle.
      try (PgPool.Lease a = pool.borrow(); PgPool.Lease b = pool.borrow(); PgPool.Lease c = pool.borrow()) {
        assertThat(List.of(backendPid(a.connection()), backendPid(b.connection()), backendPid(c.connection())))
            .doesNotHaveDuplicates();
      }
      pg.stopImmediately();
      try {
        assertThatThrownBy(() -> pool.run(PgPoolTest::backendPid)).as("a use while the server is down")
            .isInstanceOf(SQLException.class);
      } finally {
        pg.start();
      }

      // That one failure discarded the two idle connections too, so the first use after the restart connects afresh.
      for (int i = 0; i < 5; i++) {
        assertThat(pool.run(PgPoolTest::backendPid)).isPositive();
      }
    }
  }

  @Test
  void close_closesTheIdleConnections_andRefusesFurtherBorrows() throws Exception {
    PgPool pool = pool(2, Duration.ofSeconds(5));
    Connection[] seen = new Connection[1];
    pool.run(c -> seen[0] = c);

    pool.close();

    assertThat(seen[0].isClosed()).isTrue();
    assertThatThrownBy(pool::borrow).isInstanceOfSatisfying(SQLException.class,
        e -> assertThat(e.getSQLState()).isEqualTo(PgPool.NO_CONNECTION));
  }

  @Test
  void close_withALentConnection_closesItWhenGivenBack() throws Exception {
    PgPool pool = pool(2, Duration.ofSeconds(5));
    PgPool.Lease lease = pool.borrow();

    pool.close();
    assertThat(lease.connection().isClosed()).isFalse();
    lease.close();

    assertThat(lease.connection().isClosed()).isTrue();
  }

  @Test
  void aConnectionOpenedAfterThePasswordChanged_logsInWithTheNewOne_andABorrowDoesNotAsk() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    ChangingPassword source = new ChangingPassword(pg.newDatabaseWithOwnRole());
    try (PgPool pool = new PgPool(source.connector(), 2, Duration.ofSeconds(5))) {
      for (int i = 0; i < 5; i++) {
        pool.run(PgPoolTest::backendPid);
      }
      assertThat(source.reads()).as("one connection, opened once").isEqualTo(1);
      source.change(pg, "changed-" + System.nanoTime());
      pg.stopImmediately();
      pg.start();
      Integer pid = null;
      for (int i = 0; i < 2 && pid == null; i++) { // the broken connection is found out by the first use
        try {
          pid = pool.run(PgPoolTest::backendPid);
        } catch (SQLException e) {
          assertThat(e.getMessage()).as("not a failure to log in").doesNotContain("authentication");
        }
      }
      assertThat(pid).isNotNull();
      assertThat(source.reads()).isEqualTo(2);
    }
    assertThat(source.given()).allSatisfy(p -> assertThat(p).doesNotContainKey("password"));
  }
}
