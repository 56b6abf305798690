package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDbTest {
  @TempDir
  Path temp;

  private static int agents(StateDb db) throws SQLException {
    return db.transaction(c -> {
      try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM agent_usage")) {
        return rs.getInt(1);
      }
    });
  }

  private static void insert(StateDb db, String name) throws SQLException {
    db.transaction(c -> {
      try (var s = c.prepareStatement("INSERT INTO agent_usage (name, last_used) VALUES (?, 1)")) {
        s.setString(1, name);
        s.executeUpdate();
      }
      return null;
    });
  }

  @Test
  void open_createsAnOwnerOnlyFile_andCommitsSurviveAReopen() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    try (StateDb db = StateDb.open(file)) {
      insert(db, "a");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    try (StateDb db = StateDb.open(file)) {
      assertThat(agents(db)).isEqualTo(1);
    }
  }

  @Test
  void aFailingTransaction_isRolledBack_andTheNextOneWorks() throws Exception {
    try (StateDb db = StateDb.open(temp.resolve(StateDb.FILE))) {
      assertThatThrownBy(() -> db.transaction(c -> {
        try (var s = c.prepareStatement("INSERT INTO agent_usage (name, last_used) VALUES ('a', 1)")) {
          s.executeUpdate();
        }
        throw new SQLException("boom");
      })).hasMessage("boom");
      assertThat(agents(db)).isZero();
      insert(db, "b");
      assertThat(agents(db)).isEqualTo(1);
    }
  }

  @Test
  void afterClose_aTransactionThrowsSQLException() throws Exception {
    StateDb db = StateDb.open(temp.resolve(StateDb.FILE));
    db.close();
    assertThatThrownBy(() -> insert(db, "a")).isInstanceOf(SQLException.class);
  }

  @Test
  void read_seesCommittedRowsOnly_andDoesNotWaitForAnotherConnectionsWriter() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    try (StateDb db = StateDb.open(file); StateDb other = StateDb.open(file)) {
      insert(db, "a");
      java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
      Thread writer = Thread.ofPlatform().start(() -> {
        try {
          other.transaction(c -> {
            try (var s = c.prepareStatement("INSERT INTO agent_usage (name, last_used) VALUES ('b', 1)")) {
              s.executeUpdate();
            }
            writing.countDown();
            try {
              done.await();
            } catch (InterruptedException e) {
              throw new SQLException(e);
            }
            return null;
          });
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      writing.await();
      // A write transaction here would wait for the writer's lock (busy_timeout), then fail.
      int seen;
      try {
        seen = db.read(c -> {
          try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM agent_usage")) {
            return rs.getInt(1);
          }
        });
      } finally {
        done.countDown();
        writer.join();
      }
      assertThat(seen).isEqualTo(1);
      assertThat(agents(db)).isEqualTo(2);
    }
  }
}
