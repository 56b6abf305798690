package dev.gatehouse.store;

import java.io.IOException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;

/**
 * The state's schema on either backend: versioned SQL files ({@code db/sqlite/V<n>__*.sql},
 * {@code db/postgresql/V<n>__*.sql}) applied in order by Flyway, which records each one in
 * {@value #HISTORY_TABLE}. Released files are never edited; a change is a new file.
 *
 * <p>One rule for both: a schema newer than this Gatehouse knows is refused, by its version,
 * before anything is applied; this version never writes to a schema it does not understand.
 */
final class Schema {
  /** Where Flyway keeps its record of applied migrations, in state.db and in the database alike. */
  static final String HISTORY_TABLE = "gatehouse_schema_history";

  private Schema() {}

  /** A schema newer than this version knows: said as it is, never as a file or database that cannot be opened. */
  static final class Newer extends IOException {
    Newer(String message) {
      super(message);
    }
  }

  /** Flyway over {@code source} with the migrations at {@code location}; never cleans. */
  static Flyway flyway(DataSource source, String location) {
    return configure(source, location).load();
  }

  static org.flywaydb.core.api.configuration.FluentConfiguration configure(DataSource source, String location) {
    return Flyway.configure(Schema.class.getClassLoader()).dataSource(source).locations(location)
        .table(HISTORY_TABLE).cleanDisabled(true);
  }

  /**
   * Refuses a schema newer than {@code flyway}'s migrations (saying {@code where} it is and,
   * in {@code whatToDo}, what the user should do), then applies every pending migration.
   *
   * @return the version the schema is at afterwards
   */
  static MigrationVersion migrate(Flyway flyway, String where, String whatToDo) throws IOException {
    MigrationInfoService info = flyway.info();
    MigrationVersion known = null;
    for (MigrationInfo m : info.all()) {
      if (m.getState().name().startsWith("FUTURE")) {
        throw new Newer(where + "'s schema is at version " + m.getVersion() + ", newer than this Gatehouse "
            + "knows (" + (known == null ? "none" : known) + "): " + whatToDo);
      }
      if (m.getVersion() != null && (known == null || m.getVersion().compareTo(known) > 0)) {
        known = m.getVersion();
      }
    }
    if (known == null) {
      throw new IOException("no schema migrations found in " + flyway.getConfiguration().getLocations()[0]
          + " (a broken build)");
    }
    flyway.migrate();
    MigrationInfo current = flyway.info().current();
    return current == null ? MigrationVersion.EMPTY : current.getVersion();
  }

  /** {@code e}'s message and its root cause's, for errors that name what failed. */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
  }
}
