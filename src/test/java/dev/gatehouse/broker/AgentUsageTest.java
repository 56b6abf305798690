package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.store.StateDb;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentUsageTest {
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

  @TempDir
  Path temp;

  StateDb db;
  AgentUsage usage;

  @BeforeEach
  void open() throws Exception {
    db = openDb(StateDb.FILE);
    usage = new AgentUsage(db);
  }

  /** The database {@code name}; the PostgreSQL run overrides it. */
  StateDb openDb(String name) throws Exception {
    return StateDb.open(temp.resolve(name));
  }

  @AfterEach
  void close() {
    usage.close();
    db.close();
  }

  @Test
  void aNote_isInMemoryUntilTheNextWrite_whichKeepsTheLatestPerName() throws Exception {
    usage.note("bot", T0.plusSeconds(5));
    usage.note("bot", T0); // an earlier call, noted late
    usage.note("other", T0.plusSeconds(1));

    assertThat(AgentUsage.lastUsed(db, "bot")).as("nothing written by a call").isEmpty();
    usage.flush();

    assertThat(AgentUsage.lastUsed(db, "bot")).contains(T0.plusSeconds(5));
    assertThat(AgentUsage.lastUsed(db, "other")).contains(T0.plusSeconds(1));
  }

  @Test
  void aLaterWrite_neverMovesALastUseBack() throws Exception {
    usage.note("bot", T0.plusSeconds(5));
    usage.flush();
    usage.note("bot", T0);
    usage.flush();

    assertThat(AgentUsage.lastUsed(db, "bot")).contains(T0.plusSeconds(5));
  }

  @Test
  void close_writesWhatIsLeft() throws Exception {
    usage.note("bot", T0);

    usage.close();

    assertThat(AgentUsage.lastUsed(db, "bot")).contains(T0);
  }

  @Test
  void aFailedWrite_keepsTheNotes_forTheNextOne() throws Exception {
    usage.note("bot", T0);
    db.transaction(c -> {
      try (var s = c.createStatement()) {
        s.execute("ALTER TABLE agent_usage RENAME TO agent_usage_away");
      }
      return null;
    });
    org.assertj.core.api.Assertions.assertThatThrownBy(usage::flush).isInstanceOf(java.sql.SQLException.class);
    db.transaction(c -> {
      try (var s = c.createStatement()) {
        s.execute("ALTER TABLE agent_usage_away RENAME TO agent_usage");
      }
      return null;
    });

    usage.flush();

    assertThat(AgentUsage.lastUsed(db, "bot")).contains(T0);
  }
}
