package dev.gatehouse.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationVersion;

/**
 * {@code state.db}: the SQLite database for state that changes (agent usage, pairing, trust, approvals, owner-plane accounts and sessions). Created 0600 before SQLite touches it (its journal files copy that mode);
 * WAL journal, so a killed process loses nothing it committed. Several processes may open
 * it; SQLite serializes their writes (each waits up to 5 s for a lock).
 *
 * <p>The schema is versioned with Flyway ({@link Schema}, the files in {@code db/sqlite}), and
 * {@code PRAGMA user_version} follows its version: a file already at {@link #VERSION} opens
 * without starting Flyway, and a Gatehouse from before Flyway, which reads only
 * {@code user_version}, refuses a newer file.
 */
public final class SqliteStateDb implements StateDb {

  static final String LOCATION = "classpath:db/sqlite";
  /**
   * The version {@code db/sqlite}'s newest migration brings state.db to, which {@code PRAGMA
   * user_version} also says once it is applied: an up-to-date file opens without starting
   * Flyway (a test holds this equal to the files).
   */
  static final int VERSION = 6;
  private static final String BEFORE_FLYWAY = "state.db before Flyway (PRAGMA user_version)";

  private final Connection connection;
  private final String url;
  private final ReentrantLock lock = new ReentrantLock();
  /** Statements prepared once per connection (guarded by lock): BEGIN, COMMIT and the hot inserts. */
  private final Map<String, PreparedStatement> prepared = new HashMap<>();
  private Thread checkpointer; // guarded by lock
  private volatile boolean closed;

  private SqliteStateDb(Connection connection, String url) {
    this.connection = connection;
    this.url = url;
  }

  public static SqliteStateDb open(Path file) throws IOException {
    if (!Files.exists(file)) {
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another process made it first
      }
    }
    String url = "jdbc:sqlite:" + file.toAbsolutePath();
    Connection c = null;
    try {
      c = DriverManager.getConnection(url, connectionProperties());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = NORMAL");
      }
      if (!upToDate(c, file)) {
        try (HomeLock.Held migrating = migrationLock(file).acquire()) {
          if (!upToDate(c, file)) { // another process may have migrated it meanwhile
            migrate(c, file, url);
          }
        }
      }
      return new SqliteStateDb(c, url);
    } catch (SQLException | FlywayException | IOException e) {
      closeQuietly(c);
      if (e instanceof Schema.Newer newer) {
        throw newer;
      }
      throw new IOException(file + " cannot be opened as a SQLite database: " + Schema.rootMessage(e), e);
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already failing
      }
    }
  }

  /**
   * Serializes migrating {@code file} across the processes and threads that open it at once
   * (Flyway takes no lock of its own on SQLite). Only the first opening of a new or older file
   * takes it; an up-to-date file is opened without it.
   */
  private static HomeLock migrationLock(Path file) {
    return new HomeLock(file.resolveSibling("." + file.getFileName() + ".lock"));
  }

  /**
   * True when {@code file} is at this version: its {@code user_version} and the newest entry
   * of Flyway's history both say {@link #VERSION}. Refuses a newer {@code user_version}
   * outright; a newer history entry sends the opening to Flyway, which refuses it by name.
   * Nothing this Gatehouse writes may go into a schema it does not know.
   */
  private static boolean upToDate(Connection c, Path file) throws SQLException, Schema.Newer {
    int version = userVersion(c);
    if (version > VERSION) {
      throw new Schema.Newer(file + "'s schema is at version " + version + ", newer than this Gatehouse knows ("
          + VERSION + "): use a newer Gatehouse");
    }
    return version == VERSION && Integer.toString(VERSION).equals(historyVersion(c));
  }

  private static int userVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); var rs = s.executeQuery("PRAGMA user_version")) {
      return rs.getInt(1);
    }
  }

  /** The version of the newest entry of Flyway's history; null when there is no history. */
  private static String historyVersion(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
      s.setString(1, Schema.HISTORY_TABLE);
      try (var rs = s.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
      }
    }
    try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT version FROM " + Schema.HISTORY_TABLE
        + " WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
      return rs.next() ? rs.getString(1) : "";
    }
  }

  /**
   * Brings {@code file} to this version with Flyway, under {@link #migrationLock}. A file from
   * before Flyway first gets its history: a baseline at its {@code user_version}, since the
   * migrations up to there are the ones it already ran, statement for statement. Then
   * {@code user_version} is set to the version reached, for the fast path and for the older
   * Gatehouse versions that read only it.
   */
  private static void migrate(Connection c, Path file, String url) throws SQLException, IOException {
    org.sqlite.SQLiteDataSource source = new org.sqlite.SQLiteDataSource(sqliteConfig());
    source.setUrl(url);
    int before = userVersion(c);
    var configuration = Schema.configure(source, LOCATION);
    if (before > 0 && historyVersion(c) == null) {
      Schema.configure(source, LOCATION).baselineVersion(Integer.toString(before)).baselineDescription(BEFORE_FLYWAY)
          .load().baseline();
    }
    MigrationVersion reached = Schema.migrate(configuration.load(), file.toString(), "use a newer Gatehouse");
    int version;
    try {
      version = Integer.parseInt(reached.getVersion());
    } catch (NumberFormatException e) {
      throw new IOException("a schema migration in " + LOCATION + " has version " + reached + ", not a whole number "
          + "(a broken build)");
    }
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = " + version);
    }
  }

  /**
   * Copies the database {@code file} to {@code dest} (a new file) with SQLite's online backup,
   * on a connection of its own, while other connections and processes keep writing. All pages
   * are copied in one step, inside one read transaction: the copy is the database as one
   * commit left it (in WAL mode, writers are not held up meanwhile), never a mix of two.
   */
  public static void snapshot(Path file, Path dest) throws IOException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), connectionProperties())) {
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
      }
      // pagesPerStep -1: one step, one snapshot (a smaller step restarts whenever another connection writes)
      int rc = c.unwrap(org.sqlite.SQLiteConnection.class).getDatabase()
          .backup("main", dest.toAbsolutePath().toString(), null, 100, 50, -1);
      if (rc != 0) {
        throw new IOException(file + " could not be copied (SQLite backup error " + rc + ")");
      }
    } catch (SQLException e) {
      throw new IOException(file + " could not be copied: " + e.getMessage(), e);
    }
  }

  /**
   * The driver's settings: no generated-keys query after every insert (nothing here reads
   * them, and the driver would run a second statement per row to fetch them).
   */
  private static org.sqlite.SQLiteConfig sqliteConfig() {
    org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
    config.setGetGeneratedKeys(false);
    return config;
  }

  private static Properties connectionProperties() {
    return sqliteConfig().toProperties();
  }

  @Override
  public String name() {
    return FILE;
  }

  /** Runs {@code work} in one immediate transaction (the write lock taken up front). */
  @Override
  public <T> T transaction(Work<T> work) throws SQLException {
    return run("BEGIN IMMEDIATE", work);
  }

  /**
   * Runs {@code work}, which only reads, in one deferred transaction: it sees one consistent
   * snapshot and, the journal being WAL, never waits for another process's writer (only for
   * this connection's other users). A write inside it may fail with SQLITE_BUSY: use
   * {@link #transaction} for anything that writes.
   */
  @Override
  public <T> T read(Work<T> work) throws SQLException {
    return run("BEGIN DEFERRED", work);
  }

  private <T> T run(String begin, Work<T> work) throws SQLException {
    lock.lock();
    try {
      prepared(begin).execute();
      try {
        T result = work.run(connection);
        prepared("COMMIT").execute();
        return result;
      } catch (SQLException | RuntimeException e) {
        forgetPrepared(); // the driver may have finalized the one that failed; prepare afresh next time
        try (Statement s = connection.createStatement()) {
          s.execute("ROLLBACK");
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@code sql} prepared once on this connection, for use inside {@link #transaction} only
   * (the statement is shared: set every parameter, and do not close it).
   */
  @Override
  public PreparedStatement prepared(String sql) throws SQLException {
    if (!lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("a prepared statement is used inside transaction() only");
    }
    PreparedStatement s = prepared.get(sql);
    if (s == null) {
      s = connection.prepareStatement(sql);
      prepared.put(sql, s);
    }
    return s;
  }

  /**
   * For the daemon: copies the write-ahead log into the database from a second connection
   * every {@code every} (a PASSIVE checkpoint, which never blocks a writer), instead of in
   * the commit that crosses SQLite's threshold — a checkpoint fsyncs, and that commit's
   * callers would wait for it. SQLite's own checkpoint stays as a backstop at 10,000 pages.
   */
  @Override
  public void checkpointInBackground(Duration every) throws SQLException {
    lock.lock();
    try {
      if (checkpointer != null || closed) {
        return;
      }
      try (Statement s = connection.createStatement()) {
        s.execute("PRAGMA wal_autocheckpoint = 10000");
      }
      Connection second = DriverManager.getConnection(url);
      try (Statement s = second.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
      }
      checkpointer = Thread.ofPlatform().daemon().name("state-db-checkpoint").start(() -> {
        try (second) {
          while (!closed) {
            Thread.sleep(every);
            try (Statement s = second.createStatement()) {
              s.execute("PRAGMA wal_checkpoint(PASSIVE)");
            } catch (SQLException e) {
              // tried again next time; the backstop checkpoint keeps the log bounded
            }
          }
        } catch (InterruptedException | SQLException e) {
          // closing
        }
      });
    } finally {
      lock.unlock();
    }
  }

  private void forgetPrepared() {
    for (PreparedStatement s : prepared.values()) {
      try {
        s.close();
      } catch (SQLException ignored) {
        // already finalized by the driver
      }
    }
    prepared.clear();
  }

  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      if (checkpointer != null) {
        checkpointer.interrupt();
      }
      forgetPrepared();
      connection.close();
    } catch (SQLException ignored) {
      // closing: nothing left to protect
    } finally {
      lock.unlock();
    }
  }
}
