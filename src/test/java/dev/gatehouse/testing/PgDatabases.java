package dev.gatehouse.testing;

import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.Gatehouse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * For running a store's tests on PostgreSQL: where the embedded test opens the file
 * {@code name}, {@link #open} connects to a database of that name's own on the test cluster,
 * new for each instance (JUnit makes one per test method), with a fresh connection each call,
 * as another replica has.
 */
public final class PgDatabases {
  public static final String PASSWORD_ENTRY = "postgres.password";
  private final Map<String, TestPostgres.Database> databases = new HashMap<>();

  /**
   * Points the home {@code dir} at a new database of the test cluster, as an owner would:
   * the password in the vault entry {@code postgres.password}, {@code storage:} in
   * {@code gatehouse.yaml}. Returns the database.
   */
  public static TestPostgres.Database usePostgres(Path dir) throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    usePostgres(dir, d);
    return d;
  }

  /** {@link #usePostgres(Path)} with the database {@code d}, which other homes may share. */
  public static void usePostgres(Path dir, TestPostgres.Database d) throws Exception {
    try (Gatehouse g = TestHome.open(dir, Clock.systemUTC())) {
      g.vaultService().add(PASSWORD_ENTRY, d.password().getBytes(StandardCharsets.UTF_8), false, "cli:test");
    }
    Files.writeString(dir.resolve("gatehouse.yaml"), """

        storage:
          backend: postgres
          url: postgresql://127.0.0.1:%d/%s
          user: %s
          password_secret: %s
        """.formatted(d.port(), d.name(), d.user(), PASSWORD_ENTRY), StandardOpenOption.APPEND);
  }

  /**
   * Another replica's home: a copy of {@code home} (config, catalog, and the vault with its
   * audit keys and agents' keys, which every replica of one deployment must share) at {@code dir}.
   */
  public static Path replicaOf(Path home, Path dir) throws Exception {
    Files.createDirectories(dir.getParent());
    Process cp = new ProcessBuilder("cp", "-a", home.toString(), dir.toString()).inheritIO().start();
    if (cp.waitFor() != 0) {
      throw new IllegalStateException("cp -a " + home + " " + dir + " failed");
    }
    return dir;
  }

  /** The shared audit log's lines in {@code d}, as one text (what a home's segments hold on one host). */
  public static String auditText(TestPostgres.Database d) throws Exception {
    StringBuilder all = new StringBuilder();
    try (java.sql.Connection c = d.connect()) {
      for (byte[] line : dev.gatehouse.audit.PgAuditRows.lines(c, 0)) {
        all.append(new String(line, StandardCharsets.ISO_8859_1)).append('\n');
      }
    }
    return all.toString();
  }

  /** Every value of every row of every table in {@code d}, as Latin-1 text: for canary searches. */
  public static String databaseText(TestPostgres.Database d) throws Exception {
    StringBuilder all = new StringBuilder();
    try (java.sql.Connection c = d.connect(); java.sql.Statement s = c.createStatement();
        java.sql.ResultSet tables = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
      java.util.List<String> names = new java.util.ArrayList<>();
      while (tables.next()) {
        names.add(tables.getString(1));
      }
      for (String t : names) {
        try (java.sql.Statement q = c.createStatement(); java.sql.ResultSet rs = q.executeQuery("SELECT * FROM " + t)) {
          int width = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= width; i++) {
              byte[] bytes = rs.getBytes(i);
              all.append(bytes == null ? "" : new String(bytes, StandardCharsets.ISO_8859_1)).append('\t');
            }
            all.append('\n');
          }
        }
      }
    }
    return all.toString();
  }

  public synchronized StateDb open(String name) throws Exception {
    TestPostgres.Database d = databases.get(name);
    if (d == null) {
      d = TestPostgres.shared().newDatabase();
      databases.put(name, d);
    }
    return PgStateDb.open(d.connector());
  }
}
