package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ChangingPassword;
import dev.gatehouse.testing.TestPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** {@link PgStateDb} against a real PostgreSQL ({@link TestPostgres}). */
class PgStateDbTest {

  static PgStateDb open(TestPostgres.Database d) throws IOException {
    return PgStateDb.open(d.connector());
  }

  @Test
  void open_emptyDatabase_appliesEverySchemaMigrationOnce() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgStateDb db = open(d); PgStateDb again = open(d)) {
      assertThat(db.<Integer>read(c -> {
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*) FROM " + PgStateDb.HISTORY_TABLE + " WHERE success")) {
          rs.next();
          return rs.getInt(1);
        }
      })).isPositive();
      again.transaction(c -> {
        PreparedStatement s = again.prepared("INSERT INTO agent_usage (name, last_used) VALUES (?, ?)");
        s.setString(1, "a");
        s.setLong(2, 7);
        return s.executeUpdate();
      });
      assertThat(db.<Long>read(c -> {
        PreparedStatement s = db.prepared("SELECT last_used FROM agent_usage WHERE name = ?");
        s.setString(1, "a");
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? rs.getLong(1) : -1L;
        }
      })).isEqualTo(7);
    }
  }

  @Test
  void readAndTransaction_inAnyOrder_eachRunAtItsOwnIsolationAndAccess() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgStateDb db = open(d)) {
      for (boolean read : List.of(true, true, false, false, true, false, true)) {
        String seen = read ? db.read(PgStateDbTest::isolationAndAccess)
            : db.transaction(PgStateDbTest::isolationAndAccess);
        assertThat(seen).as(read ? "read" : "transaction")
            .isEqualTo(read ? "repeatable read/on" : "read committed/off");
      }
    }
  }

  private static String isolationAndAccess(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_setting('transaction_isolation'),"
            + " current_setting('transaction_read_only')")) {
      rs.next();
      return rs.getString(1) + "/" + rs.getString(2);
    }
  }

  @Test
  void transaction_twoReplicasReadCheckWrite_neverLoseAnUpdate() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    int each = 150;
    try (PgStateDb a = open(d); PgStateDb b = open(d)) {
      a.transaction(c -> set(a, 0));
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> all = new ArrayList<>();
        for (PgStateDb db : List.of(a, b, a, b)) { // two threads per replica, each replica one connection
          all.add(pool.submit(() -> {
            for (int i = 0; i < each; i++) {
              db.transaction(c -> set(db, get(db) + 1)); // read, then write: lost without the state lock
            }
            return null;
          }));
        }
        for (Future<?> f : all) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      assertThat(b.<Long>read(c -> get(b))).isEqualTo(4L * each);
    }
  }

  @Test
  void open_schemaNewerThanThisVersion_isRefusedByName() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgStateDb db = open(d)) {
      db.transaction(c -> {
        try (Statement s = c.createStatement()) {
          s.execute("INSERT INTO " + PgStateDb.HISTORY_TABLE + " (installed_rank, version, description, type, script,"
              + " checksum, installed_by, execution_time, success) VALUES (999, '999', 'from the future', 'SQL',"
              + " 'V999__future.sql', 0, 'test', 1, true)");
        }
        return null;
      });
    }
    assertThatThrownBy(() -> open(d)).isInstanceOf(IOException.class)
        .hasMessageContaining("schema is at version 999, newer than this Gatehouse knows");
  }

  @Test
  void open_wrongPassword_saysSoWithoutThePassword() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    var p = d.properties();
    p.setProperty("password", "canary-not-the-password-7f3a");
    assertThatThrownBy(() -> PgStateDb.open(PgConnector.fixed(d.jdbcUrl(), p))).isInstanceOf(IOException.class)
        .hasMessageContaining("password authentication failed")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("canary-not-the-password-7f3a"));
  }

  @Test
  void transaction_afterTheServerRestarts_failsOnceThenResumesByItself() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    TestPostgres.Database d = pg.newDatabase();
    try (PgStateDb db = open(d)) {
      db.transaction(c -> set(db, 1));
      pg.stopImmediately();
      try {
        assertThatThrownBy(() -> db.transaction(c -> set(db, 2))).isInstanceOf(SQLException.class);
      } finally {
        pg.start();
      }
      Long after = null;
      for (int i = 0; i < 2 && after == null; i++) { // the broken connection is found out by the first use
        try {
          after = db.read(c -> get(db));
        } catch (SQLException e) {
          // the failure that discards it
        }
      }
      assertThat(after).isEqualTo(1L);
      assertThat(db.read(PgStateDbTest::isolationAndAccess)).as("a read on the new connection")
          .isEqualTo("repeatable read/on");
      db.transaction(c -> set(db, 3));
      assertThat(db.<Long>read(c -> get(db))).isEqualTo(3L);
    }
  }

  private static long get(PgStateDb db) throws SQLException {
    PreparedStatement s = db.prepared("SELECT last_used FROM agent_usage WHERE name = 'counter'");
    try (ResultSet rs = s.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static Void set(PgStateDb db, long value) throws SQLException {
    PreparedStatement s = db.prepared("INSERT INTO agent_usage (name, last_used) VALUES ('counter', ?)"
        + " ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used");
    s.setLong(1, value);
    s.executeUpdate();
    return null;
  }

  @Test
  void aReconnect_logsInWithThePasswordGivenThen_andNoTransactionAsksForIt() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    ChangingPassword source = new ChangingPassword(pg.newDatabaseWithOwnRole());
    try (PgStateDb db = PgStateDb.open(source.connector())) {
      db.transaction(c -> set(db, 1));
      db.rowLocked(PgStateDbTest::selectOne);
      int reads = source.reads();
      for (int i = 0; i < 5; i++) {
        db.transaction(c -> set(db, 2));
        db.read(c -> get(db));
        db.rowLocked(PgStateDbTest::selectOne);
      }
      assertThat(source.reads()).as("the password is read per connection, not per transaction").isEqualTo(reads);

      source.change(pg, "changed-" + System.nanoTime());
      assertThat(db.<Long>read(c -> get(db))).as("a session that logged in before ALTER ROLE goes on").isEqualTo(2L);
      pg.stopImmediately();
      pg.start();
      Long after = null;
      for (int i = 0; i < 2 && after == null; i++) { // the broken connection is found out by the first use
        try {
          after = db.read(c -> get(db));
        } catch (SQLException e) {
          assertThat(e.getMessage()).as("not a failure to log in").doesNotContain("authentication");
        }
      }
      assertThat(after).isEqualTo(2L);
      db.transaction(c -> set(db, 3));
      db.rowLocked(PgStateDbTest::selectOne); // its idle connection is found dead, and a new one logs in
      assertThat(source.reads()).as("the two reconnects asked again").isEqualTo(reads + 2);
    }
    assertThat(source.given()).as("no password is left in the properties once connected")
        .allSatisfy(p -> assertThat(p).doesNotContainKey("password"));
  }

  private static Void selectOne(java.sql.Connection c) throws SQLException {
    try (var s = c.createStatement()) {
      s.execute("SELECT 1");
    }
    return null;
  }
}
