package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * state.db's schema under Flyway ({@link SqliteStateDb}, {@link Schema}): new files, files
 * from every release before Flyway, newer files, and several processes opening one file at once.
 */
class SqliteSchemaTest {
  @TempDir
  Path temp;

  @Test
  void version_isTheNewestMigrationFile_andTheFilesAreNumberedWithoutGaps() throws Exception {
    Path dir = Path.of(SqliteSchemaTest.class.getResource("/db/sqlite").toURI());
    List<Integer> versions = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        assertThat(name).matches("V[1-9][0-9]*__[a-z_]+\\.sql");
        versions.add(Integer.parseInt(name.substring(1, name.indexOf("__"))));
      }
    }
    versions.sort(null);
    assertThat(versions).hasSize(SqliteStateDb.VERSION);
    for (int i = 0; i < versions.size(); i++) {
      assertThat(versions.get(i)).isEqualTo(i + 1);
    }
  }

  @Test
  void open_newFile_appliesEveryMigration_andUserVersionFollows() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    StateDb.open(file).close();
    try (Connection c = connect(file)) {
      assertThat(userVersion(c)).isEqualTo(SqliteStateDb.VERSION);
      assertThat(history(c)).containsExactly("1 SQL", "2 SQL", "3 SQL", "4 SQL", "5 SQL", "6 SQL");
    }
  }

  /**
   * A home from every release before Flyway (state.db at user_version 0 to 6, made by the
   * released migrations themselves) opens to exactly the schema a new home gets, its rows kept,
   * with a baseline at the version it had.
   */
  @Test
  void open_fileFromBeforeFlyway_atEveryVersion_reachesTheNewSchema_andKeepsItsRows() throws Exception {
    Path fresh = temp.resolve("fresh.db");
    StateDb.open(fresh).close();
    List<String> expected;
    try (Connection c = connect(fresh)) {
      expected = schema(c);
    }
    for (int version = 0; version <= LegacyStateSchema.MIGRATIONS.size(); version++) {
      Path file = temp.resolve("legacy-" + version + ".db");
      try (Connection c = connect(file)) {
        legacyMigrate(c, version);
        if (version >= 1) {
          try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO agent_usage (name, last_used) VALUES ('kept', 42)");
          }
        }
      }
      StateDb.open(file).close();
      try (Connection c = connect(file)) {
        assertThat(schema(c)).as("schema from version %d", version).isEqualTo(expected);
        assertThat(userVersion(c)).isEqualTo(SqliteStateDb.VERSION);
        List<String> history = history(c);
        if (version == 0) {
          assertThat(history).as("a new file's history").hasSize(SqliteStateDb.VERSION).allMatch(h -> h.endsWith(" SQL"));
        } else {
          assertThat(history.get(0)).isEqualTo(version + " BASELINE");
          assertThat(history).hasSize(1 + SqliteStateDb.VERSION - version);
          try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT last_used FROM agent_usage")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(42);
          }
        }
      }
    }
  }

  @Test
  void open_twiceMore_appliesNothingAgain() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    StateDb.open(file).close();
    StateDb.open(file).close();
    try (StateDb db = StateDb.open(file)) {
      assertThat(db.<List<String>>read(SqliteSchemaTest::history)).hasSize(SqliteStateDb.VERSION);
    }
  }

  @Test
  void open_userVersionNewerThanThisGatehouse_isRefusedByName_andChangesNothing() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    StateDb.open(file).close();
    try (Connection c = connect(file); Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = " + (SqliteStateDb.VERSION + 1));
    }
    List<String> before = snapshotOf(file);
    assertThatThrownBy(() -> StateDb.open(file)).isInstanceOf(IOException.class)
        .hasMessage(file + "'s schema is at version " + (SqliteStateDb.VERSION + 1)
            + ", newer than this Gatehouse knows (" + SqliteStateDb.VERSION + "): use a newer Gatehouse");
    assertThat(snapshotOf(file)).isEqualTo(before);
  }

  /** A newer Gatehouse that applied its migration and died before raising user_version. */
  @Test
  void open_historyNewerThanThisGatehouse_isRefusedByName_andChangesNothing() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    StateDb.open(file).close();
    int next = SqliteStateDb.VERSION + 1;
    try (Connection c = connect(file); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE from_the_future (x INTEGER)");
      s.execute("INSERT INTO " + Schema.HISTORY_TABLE + " (installed_rank, version, description, type, script,"
          + " checksum, installed_by, execution_time, success) VALUES (" + (next + 1) + ", '" + next + "', 'future',"
          + " 'SQL', 'V" + next + "__future.sql', 0, 'test', 1, 1)");
    }
    List<String> before = snapshotOf(file);
    assertThatThrownBy(() -> StateDb.open(file)).isInstanceOf(IOException.class)
        .hasMessage(file + "'s schema is at version " + next + ", newer than this Gatehouse knows ("
            + SqliteStateDb.VERSION + "): use a newer Gatehouse");
    assertThat(snapshotOf(file)).isEqualTo(before);
  }

  @Test
  void open_notADatabase_saysSoWithTheFile() throws Exception {
    Path file = temp.resolve(StateDb.FILE);
    Files.writeString(file, "this is not a database, it is a text file that is long enough to have a header.");
    assertThatThrownBy(() -> StateDb.open(file)).isInstanceOf(IOException.class)
        .hasMessageStartingWith(file + " cannot be opened as a SQLite database");
  }

  /**
   * Several processes open one new file at the same moment (a daemon starting while the CLI
   * runs): each one opens it, and every migration is applied exactly once. Flyway takes no lock
   * on SQLite; without the migration lock, losers fail on a table the winner made (in about
   * half the rounds here, hence several).
   */
  @Test
  void open_byFourProcessesAtOnce_migratesOnce_andEveryOneOpens() throws Exception {
    int rounds = 4;
    String java = ProcessHandle.current().info().command().orElseThrow();
    List<Process> children = new ArrayList<>();
    List<java.io.BufferedReader> outs = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), OpenWhenToldTo.class.getName(), temp.toString(),
            Integer.toString(rounds)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        children.add(p);
        outs.add(new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())));
      }
      for (java.io.BufferedReader out : outs) { // each says when it is warm and waiting
        assertThat(out.readLine()).isEqualTo("ready");
      }
      for (int round = 0; round < rounds; round++) {
        Files.createFile(temp.resolve("go-" + round));
        for (java.io.BufferedReader out : outs) {
          assertThat(out.readLine()).as("round %d", round).isEqualTo("opened " + round);
        }
        try (Connection c = connect(temp.resolve("state-" + round + ".db"))) {
          assertThat(history(c)).containsExactly("1 SQL", "2 SQL", "3 SQL", "4 SQL", "5 SQL", "6 SQL");
        }
      }
      for (Process p : children) {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
      }
    } finally {
      children.forEach(Process::destroyForcibly);
    }
  }

  /** A child process for {@link #open_byFourProcessesAtOnce_migratesOnce_andEveryOneOpens}. */
  public static final class OpenWhenToldTo {
    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      int rounds = Integer.parseInt(args[1]);
      // A first new file of its own: Flyway's and SQLite's start paid before the race, so the
      // openings of the shared file overlap (a cold start takes longer than a migration).
      StateDb.open(dir.resolve("warm-" + ProcessHandle.current().pid() + ".db")).close();
      System.out.print("ready\n");
      System.out.flush();
      for (int round = 0; round < rounds; round++) {
        Path go = dir.resolve("go-" + round);
        while (!Files.exists(go)) {
          Thread.onSpinWait();
        }
        try (StateDb db = StateDb.open(dir.resolve("state-" + round + ".db"))) {
          System.out.print("opened " + round + "\n");
        } catch (IOException e) {
          System.out.print("failed: " + e.getMessage() + "\n");
        }
        System.out.flush();
      }
    }
  }

  /** What the released code did to a file: migrations 0 to {@code version}, each in one transaction. */
  private static void legacyMigrate(Connection c, int version) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode = WAL");
      for (int v = 0; v < version; v++) {
        s.execute("BEGIN IMMEDIATE");
        for (String sql : LegacyStateSchema.MIGRATIONS.get(v)) {
          s.execute(sql);
        }
        s.execute("PRAGMA user_version = " + (v + 1));
        s.execute("COMMIT");
      }
    }
  }

  private static Connection connect(Path file) throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
  }

  private static int userVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      return rs.getInt(1);
    }
  }

  /** Every table, index and its SQL but Flyway's history, in name order. */
  private static List<String> schema(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT type, name, sql FROM sqlite_master"
        + " WHERE name NOT LIKE '" + Schema.HISTORY_TABLE + "%' ORDER BY name")) {
      while (rs.next()) {
        out.add(rs.getString(1) + " " + rs.getString(2) + ": " + rs.getString(3));
      }
    }
    return out;
  }

  /** Flyway's history as "version type", in the order applied. */
  private static List<String> history(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version, type FROM "
        + Schema.HISTORY_TABLE + " WHERE success ORDER BY installed_rank")) {
      while (rs.next()) {
        out.add(rs.getString(1) + " " + rs.getString(2));
      }
    }
    return out;
  }

  /** The file's schema, history, user_version and row counts: what a refused opening must leave as it was. */
  private static List<String> snapshotOf(Path file) throws SQLException {
    try (Connection c = connect(file)) {
      List<String> out = new ArrayList<>(schema(c));
      out.addAll(history(c));
      out.add("user_version " + userVersion(c));
      return out;
    }
  }
}
