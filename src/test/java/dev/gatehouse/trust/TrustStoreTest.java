package dev.gatehouse.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trust levels over a real state.db in a temporary folder, time moved by hand. */
class TrustStoreTest {
  static final Config.TrustSettings SETTINGS = Config.TrustSettings.DEFAULT; // 3 within 10 minutes
  static final String OWNER = "cli:owner";

  @TempDir
  Path temp;

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
  final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  final AuditLog audit = e -> {
    events.add(e);
    return events.size();
  };
  final List<Notification> notified = new CopyOnWriteArrayList<>();
  final Notifier notifier = notified::add;
  final List<StateDb> opened = new ArrayList<>();
  StateDb db;
  TrustStore store;

  @BeforeEach
  void open() throws Exception {
    db = db();
    store = new TrustStore(db, audit, notifier, clock, SETTINGS);
  }

  /** Another connection to the same file, as another process has. */
  StateDb db() throws Exception {
    StateDb d = openDb(StateDb.FILE);
    opened.add(d);
    return d;
  }

  /** The database {@code name}, on a connection of its own; the PostgreSQL run overrides it. */
  StateDb openDb(String name) throws Exception {
    return StateDb.open(temp.resolve(name));
  }

  @AfterEach
  void close() {
    opened.forEach(StateDb::close);
  }

  /** An error says where the state is: state.db, or on PostgreSQL the shared database, never a file it is not. */
  @Test
  void level_stateUnreadable_isRefused_namingWhereTheStateIs() throws Exception {
    StateDb gone = openDb(StateDb.FILE);
    TrustStore s = new TrustStore(gone, AuditLog.discarding(), Notifier.NONE, clock, SETTINGS);
    gone.close();
    assertThatThrownBy(() -> s.level(Domain.SHELL)).isInstanceOf(RefusedException.class)
        .hasMessageStartingWith("the trust levels in " + gone.name() + " cannot be read");
    if (this instanceof TrustStorePgTest) {
      assertThat(gone.name()).startsWith("the shared database jdbc:postgresql://").doesNotContain("state.db");
    } else {
      assertThat(gone.name()).isEqualTo("state.db");
    }
  }

  List<AuditEvent> changes() {
    return events.stream().filter(e -> e.type().equals("trust.change")).toList();
  }

  /** A home set up with {@code levels}, the setting's entries and notifications then forgotten. */
  void setUp(Map<Domain, Level> levels) {
    store.initializeNew(OWNER);
    levels.forEach((d, l) -> store.set(d, l, OWNER, "test setting"));
    events.clear();
    notified.clear();
  }

  void evidence(Domain d, String agent, String kind, Duration after) {
    clock.advance(after);
    store.evidence(d, agent, kind);
  }

  // ---- levels and setting them ----

  @Test
  void level_onAHomeWhereTrustWasNeverSetUp_isNone_forEveryDomain() {
    assertThat(store.isSetUp()).isFalse();
    for (Domain d : Domain.values()) {
      assertThat(store.level(d)).isEqualTo(Level.NONE);
    }
    assertThat(store.history()).isEmpty();
  }

  @Test
  void initializeNew_setsEveryDomainToNone_oneChangePerDomain_oneAuditEntry() {
    assertThat(store.initializeNew(OWNER)).isTrue();

    assertThat(store.isSetUp()).isTrue();
    assertThat(store.history()).hasSize(Domain.values().length).allSatisfy(c -> {
      assertThat(c.to()).isEqualTo(Level.NONE);
      assertThat(c.who()).isEqualTo(OWNER);
      assertThat(c.reason()).isEqualTo(TrustStore.NEW_HOME_REASON);
      assertThat(c.time()).isEqualTo(clock.instant());
    });
    assertThat(store.history()).extracting(TrustStore.Change::domain).containsExactly(Domain.values());
    assertThat(changes()).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo(OWNER);
      assertThat(e.outcome()).isEqualTo("initialized");
      assertThat(e.details()).containsEntry("reason", TrustStore.NEW_HOME_REASON).containsEntry("changes", "1-9")
          .containsEntry("levels", "messaging=0 files=0 web=0 shell=0 finance=0 calendar=0 email=0 integrations=0 system=0");
    });
    assertThat(store.initializeNew(OWNER)).as("only once").isFalse();
    assertThat(store.history()).hasSize(9);
  }

  @Test
  void set_changesTheLevel_atOnce_forAnotherConnection_andRecordsWhoAndWhy() throws Exception {
    store.initializeNew(OWNER);
    TrustStore daemon = new TrustStore(db(), AuditLog.discarding(), Notifier.NONE, clock, SETTINGS);
    clock.advance(Duration.ofMinutes(1));

    long id = store.set(Domain.WEB, Level.SUGGEST, OWNER, "  reading news is fine if I approve  ");

    assertThat(daemon.level(Domain.WEB)).isEqualTo(Level.SUGGEST);
    assertThat(daemon.level(Domain.SHELL)).isEqualTo(Level.NONE);
    TrustStore.Change c = store.change(id).orElseThrow();
    assertThat(c).isEqualTo(new TrustStore.Change(10, clock.instant(), Domain.WEB, Level.NONE, Level.SUGGEST, OWNER,
        "reading news is fine if I approve", java.util.Optional.empty()));
    assertThat(store.history()).last().isEqualTo(c);
    assertThat(changes()).last().satisfies(e -> {
      assertThat(e.actor()).isEqualTo(OWNER);
      assertThat(e.target()).isEqualTo("web");
      assertThat(e.outcome()).isEqualTo("set");
      assertThat(e.details()).containsEntry("from", "0").containsEntry("to", "2")
          .containsEntry("reason", "reading news is fine if I approve").containsEntry("change", "10");
    });
  }

  @Test
  void set_isAuditedBeforeItTakesEffect_andNotAtAllIfTheAuditFails() throws Exception {
    store.initializeNew(OWNER);
    notified.clear();
    TrustStore other = new TrustStore(db(), AuditLog.discarding(), Notifier.NONE, clock, SETTINGS);
    List<Level> seenWhileRecording = new ArrayList<>();
    TrustStore watched = new TrustStore(db, e -> {
      seenWhileRecording.add(other.level(Domain.FILES));
      return 1;
    }, Notifier.NONE, clock, SETTINGS);

    watched.set(Domain.FILES, Level.FULL, OWNER, "trusted");
    assertThat(seenWhileRecording).containsExactly(Level.NONE);
    assertThat(other.level(Domain.FILES)).isEqualTo(Level.FULL);

    TrustStore failing = new TrustStore(db, e -> {
      throw new RefusedException("the audit log is full");
    }, notifier, clock, SETTINGS);
    assertThatThrownBy(() -> failing.set(Domain.FILES, Level.INFORM, OWNER, "lower"))
        .isInstanceOf(RefusedException.class);
    assertThat(store.level(Domain.FILES)).isEqualTo(Level.FULL);
    assertThat(store.history()).hasSize(10);
    assertThat(notified).isEmpty();
  }

  @Test
  void set_withoutAProperReason_isRefused_andChangesNothing() {
    store.initializeNew(OWNER);
    for (String bad : new String[] {null, "", "   ", "x".repeat(201), "ok\nsecond line", "bell\u0007",
        "\u202eevil", "zero\u200bwidth"}) {
      assertThatThrownBy(() -> store.set(Domain.WEB, Level.FULL, OWNER, bad)).as(String.valueOf(bad))
          .isInstanceOf(BadInputException.class).hasMessageContaining("reason");
    }
    assertThat(store.level(Domain.WEB)).isEqualTo(Level.NONE);
    assertThat(store.history()).hasSize(9);
    assertThat(store.set(Domain.WEB, Level.FULL, OWNER, "é".repeat(200) + " ")).isPositive();
  }

  @Test
  void set_onAHomeWhereTrustWasNeverSetUp_isRefused_soTheLegacyAdoptionStillHappens() {
    assertThatThrownBy(() -> store.set(Domain.WEB, Level.FULL, OWNER, "why not"))
        .isInstanceOf(NotConfiguredException.class).hasMessageContaining("gatehouse serve");
    assertThat(store.isSetUp()).isFalse();
    assertThat(events).isEmpty();
  }

  // ---- history and rollback ----

  @Test
  void rollback_restoresTheLevelBeforeTheChange_asANewChange_andCanItselfBeRolledBack() {
    store.initializeNew(OWNER);
    long raise = store.set(Domain.EMAIL, Level.SUGGEST, OWNER, "try it");
    long more = store.set(Domain.EMAIL, Level.FULL, OWNER, "it went well");
    clock.advance(Duration.ofHours(1));

    long back = store.rollback(more, "cli:other");

    assertThat(store.level(Domain.EMAIL)).isEqualTo(Level.SUGGEST);
    TrustStore.Change c = store.change(back).orElseThrow();
    assertThat(c.from()).isEqualTo(Level.FULL);
    assertThat(c.to()).isEqualTo(Level.SUGGEST);
    assertThat(c.who()).isEqualTo("cli:other");
    assertThat(c.reason()).isEqualTo("rollback of #" + more);
    assertThat(c.rollbackOf()).contains(more);
    assertThat(c.time()).isEqualTo(clock.instant());
    assertThat(changes()).last().satisfies(e -> {
      assertThat(e.outcome()).isEqualTo("rolled-back");
      assertThat(e.actor()).isEqualTo("cli:other");
      assertThat(e.details()).containsEntry("rollback_of", Long.toString(more)).containsEntry("from", "4")
          .containsEntry("to", "2");
    });

    store.rollback(raise, OWNER);
    assertThat(store.level(Domain.EMAIL)).as("before #%d it was 0", raise).isEqualTo(Level.NONE);
    store.rollback(back, OWNER);
    assertThat(store.level(Domain.EMAIL)).as("before the rollback it was 4").isEqualTo(Level.FULL);
    assertThat(store.history()).extracting(TrustStore.Change::id).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L,
        raise, more, back, back + 1, back + 2);
  }

  @Test
  void rollback_ofAnUnknownChange_isBadInput_andChangesNothing() {
    store.initializeNew(OWNER);
    events.clear();

    assertThatThrownBy(() -> store.rollback(42, OWNER)).isInstanceOf(BadInputException.class)
        .hasMessage("there is no trust change #42; `gatehouse trust history` lists them");
    assertThat(store.history()).hasSize(9);
    assertThat(events).isEmpty();
  }

  // ---- evidence and demotion ----

  @Test
  void evidence_reachingTheThresholdWithinTheWindow_lowersTheDomainOneLevel_auditedAndNotified() {
    setUp(Map.of(Domain.FILES, Level.FULL, Domain.WEB, Level.FULL));

    evidence(Domain.FILES, "alice", "path-refused", Duration.ZERO);
    evidence(Domain.WEB, "alice", "egress-denied", Duration.ofMinutes(1)); // another domain: counted apart
    evidence(Domain.FILES, "bob", "bad-parameters", Duration.ofMinutes(4));
    assertThat(store.level(Domain.FILES)).as("two are not enough").isEqualTo(Level.FULL);
    evidence(Domain.FILES, "alice", "path-refused", Duration.ofMinutes(5).minusMillis(1)); // 1 ms inside the window

    assertThat(store.level(Domain.FILES)).isEqualTo(Level.ACT_AND_REPORT);
    assertThat(store.level(Domain.WEB)).isEqualTo(Level.FULL);
    TrustStore.Change c = store.history().getLast();
    assertThat(c.who()).isEqualTo(TrustStore.SYSTEM_ACTOR);
    assertThat(c.from()).isEqualTo(Level.FULL);
    assertThat(c.to()).isEqualTo(Level.ACT_AND_REPORT);
    assertThat(c.reason()).isEqualTo("3 refusals or denials within 10 minutes: path-refused by alice (2), "
        + "bad-parameters by bob (1)");
    assertThat(changes()).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("gatehouse");
      assertThat(e.target()).isEqualTo("files");
      assertThat(e.outcome()).isEqualTo("demoted");
      assertThat(e.details()).containsEntry("from", "4").containsEntry("to", "3").containsEntry("reason", c.reason());
    });
    assertThat(notified).singleElement().satisfies(n -> {
      assertThat(n.event()).isEqualTo("trust.changed");
      assertThat(n.time()).isEqualTo(clock.instant());
      assertThat(n.summary()).contains("files").contains("lowered").contains("4 (full)").contains("3 (act-and-report)");
      assertThat(n.fields()).containsEntry("domain", "files").containsEntry("from", "4").containsEntry("to", "3")
          .containsEntry("who", "gatehouse").containsEntry("change", Long.toString(c.id()));
    });
  }

  @Test
  void evidence_spreadWiderThanTheWindow_doesNotLowerTheLevel() {
    setUp(Map.of(Domain.SHELL, Level.SUGGEST));

    evidence(Domain.SHELL, "alice", "path-refused", Duration.ZERO);
    evidence(Domain.SHELL, "alice", "path-refused", Duration.ofMinutes(5));
    evidence(Domain.SHELL, "alice", "path-refused", Duration.ofMinutes(5)); // the first is exactly 10 minutes old

    assertThat(store.level(Domain.SHELL)).isEqualTo(Level.SUGGEST);
    assertThat(changes()).isEmpty();
    assertThat(notified).isEmpty();

    evidence(Domain.SHELL, "alice", "path-refused", Duration.ofMinutes(4)); // 3 in the last 10 minutes now
    assertThat(store.level(Domain.SHELL)).isEqualTo(Level.INFORM);
  }

  @Test
  void evidence_thatLoweredALevel_isConsumed_soTheNextStepNeedsAsManyNewOnes() {
    setUp(Map.of(Domain.FINANCE, Level.FULL));
    for (int i = 0; i < 3; i++) {
      evidence(Domain.FINANCE, "mallory", "secret-echo", Duration.ofSeconds(1));
    }
    assertThat(store.level(Domain.FINANCE)).isEqualTo(Level.ACT_AND_REPORT);

    evidence(Domain.FINANCE, "mallory", "secret-echo", Duration.ofSeconds(1));
    evidence(Domain.FINANCE, "mallory", "secret-echo", Duration.ofSeconds(1));
    assertThat(store.level(Domain.FINANCE)).as("2 new ones, the 3 old ones were consumed").isEqualTo(Level.ACT_AND_REPORT);
    evidence(Domain.FINANCE, "mallory", "owner-denied", Duration.ofSeconds(1));
    assertThat(store.level(Domain.FINANCE)).isEqualTo(Level.SUGGEST);
    assertThat(store.history().getLast().reason()).isEqualTo("3 refusals or denials within 10 minutes: "
        + "secret-echo by mallory (2), owner-denied by mallory (1)");
  }

  @Test
  void evidence_neverLowersBelowNone_andNeverRaisesALevel() {
    setUp(Map.of(Domain.SYSTEM, Level.INFORM));
    for (int i = 0; i < 20; i++) {
      evidence(Domain.SYSTEM, "mallory", "path-refused", Duration.ofSeconds(10));
    }

    assertThat(store.level(Domain.SYSTEM)).isEqualTo(Level.NONE);
    assertThat(changes()).singleElement().satisfies(e -> assertThat(e.details()).containsEntry("to", "0"));
    assertThat(store.history()).allSatisfy(c -> assertThat(c.to()).isLessThanOrEqualTo(Level.INFORM));
    assertThat(store.history().getLast().to()).isEqualTo(Level.NONE);
  }

  @Test
  void evidence_keptAtNone_stillCountsWhenTheOwnerRaisesTheLevelWithinTheWindow() {
    setUp(Map.of());
    evidence(Domain.WEB, "mallory", "egress-denied", Duration.ZERO);
    evidence(Domain.WEB, "mallory", "egress-denied", Duration.ofMinutes(1));
    evidence(Domain.WEB, "mallory", "egress-denied", Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(1));
    store.set(Domain.WEB, Level.SUGGEST, OWNER, "let's see");

    evidence(Domain.WEB, "mallory", "egress-denied", Duration.ofMinutes(1));

    assertThat(store.level(Domain.WEB)).isEqualTo(Level.INFORM);
    assertThat(store.history().getLast().reason()).startsWith("4 refusals or denials within 10 minutes");
  }

  @Test
  void evidence_onAHomeWhereTrustWasNeverSetUp_changesNoLevel() {
    for (int i = 0; i < 5; i++) {
      evidence(Domain.WEB, "mallory", "egress-denied", Duration.ofSeconds(1));
    }
    assertThat(store.isSetUp()).isFalse();
    assertThat(store.history()).isEmpty();
  }

  @Test
  void evidence_ofAMalformedKindOrAgent_isRefused() {
    assertThatThrownBy(() -> store.evidence(Domain.WEB, "alice", "Path Refused"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.evidence(Domain.WEB, "", "path-refused"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.evidence(Domain.WEB, "al\nice", "path-refused"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void demotion_withAStricterSetting_followsIt() {
    TrustStore strict = new TrustStore(db, audit, notifier, clock,
        new Config.TrustSettings(15, 1, Duration.ofMinutes(1), Set.of()));
    strict.initializeNew(OWNER);
    strict.set(Domain.CALENDAR, Level.FULL, OWNER, "test");

    strict.evidence(Domain.CALENDAR, "alice", "bad-parameters");

    assertThat(strict.level(Domain.CALENDAR)).isEqualTo(Level.ACT_AND_REPORT);
    assertThat(strict.history().getLast().reason())
        .isEqualTo("1 refusal or denial within 1 minute: bad-parameters by alice (1)");
  }

  @Test
  void demotion_byTwoProcessesAtOnce_takesOneStepPerThresholdOfEvidence() throws Exception {
    setUp(Map.of(Domain.MESSAGING, Level.FULL));
    List<TrustStore> stores = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      stores.add(new TrustStore(db(), audit, notifier, clock, SETTINGS));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        TrustStore s = stores.get(i % 4);
        done.add(pool.submit(() -> {
          start.await();
          s.evidence(Domain.MESSAGING, "mallory", "bad-parameters");
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.level(Domain.MESSAGING)).as("6 pieces, 2 steps").isEqualTo(Level.SUGGEST);
    assertThat(changes()).hasSize(2);
  }

  // ---- new homes and old homes ----

  @Test
  void adoptLegacy_setsTheCatalogsDomainsToFull_andTheOthersToNone_audited() {
    assertThat(store.adoptLegacy(EnumSet.of(Domain.WEB, Domain.INTEGRATIONS), "gatehouse")).isTrue();

    for (Domain d : Domain.values()) {
      assertThat(store.level(d)).as(d.wire())
          .isEqualTo(d == Domain.WEB || d == Domain.INTEGRATIONS ? Level.FULL : Level.NONE);
    }
    assertThat(store.history()).hasSize(9).allSatisfy(c -> {
      assertThat(c.reason()).isEqualTo("home made before trust levels: the catalog's domains keep working");
      assertThat(c.who()).isEqualTo("gatehouse");
    });
    assertThat(changes()).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("gatehouse");
      assertThat(e.details()).containsEntry("reason", TrustStore.LEGACY_REASON).containsEntry("levels",
          "messaging=0 files=0 web=4 shell=0 finance=0 calendar=0 email=0 integrations=4 system=0");
    });
    assertThat(notified).singleElement().satisfies(n -> {
      assertThat(n.event()).isEqualTo("trust.changed");
      assertThat(n.fields()).containsEntry("web", "4").containsEntry("shell", "0")
          .containsEntry("reason", TrustStore.LEGACY_REASON);
    });
  }

  @Test
  void adoptLegacy_isIdempotent_andDoesNothingOnAHomeSetUpAlready() {
    store.adoptLegacy(EnumSet.of(Domain.WEB), "gatehouse");
    store.set(Domain.WEB, Level.SUGGEST, OWNER, "careful now");
    events.clear();

    assertThat(store.adoptLegacy(EnumSet.allOf(Domain.class), "gatehouse")).isFalse();

    assertThat(store.level(Domain.WEB)).isEqualTo(Level.SUGGEST);
    assertThat(store.level(Domain.SHELL)).isEqualTo(Level.NONE);
    assertThat(events).isEmpty();
  }

  @Test
  void adoptLegacy_afterInit_keepsTheNewHomesZeros() {
    store.initializeNew(OWNER);

    assertThat(store.adoptLegacy(EnumSet.allOf(Domain.class), "gatehouse")).isFalse();

    for (Domain d : Domain.values()) {
      assertThat(store.level(d)).isEqualTo(Level.NONE);
    }
  }

  @Test
  void adoptLegacy_byTwoProcessesAtOnce_setsUpOnce() throws Exception {
    List<TrustStore> stores = List.of(new TrustStore(db(), audit, notifier, clock, SETTINGS),
        new TrustStore(db(), audit, notifier, clock, SETTINGS), store);
    ExecutorService pool = Executors.newFixedThreadPool(stores.size());
    List<Boolean> results = new ArrayList<>();
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> done = new ArrayList<>();
      for (TrustStore s : stores) {
        Callable<Boolean> adopt = () -> {
          start.await();
          return s.adoptLegacy(EnumSet.of(Domain.FILES), "gatehouse");
        };
        done.add(pool.submit(adopt));
      }
      start.countDown();
      for (Future<Boolean> f : done) {
        results.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(results).containsOnlyOnce(true);
    assertThat(store.history()).hasSize(9);
    assertThat(changes()).hasSize(1);
    assertThat(store.level(Domain.FILES)).isEqualTo(Level.FULL);
  }

  // ---- evidence for raising ----

  void approval(String id, Domain d, String status, Instant created) throws Exception {
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO action_approvals (id, agent, action, domain,"
          + " request_sha256, summary, created_at, expires_at, status) VALUES (?, 'alice', 'svc.act', ?, 'x', 'GET', ?,"
          + " ?, ?)")) {
        s.setString(1, id);
        s.setString(2, d.wire());
        s.setLong(3, created.toEpochMilli());
        s.setLong(4, created.plus(Duration.ofMinutes(15)).toEpochMilli());
        s.setString(5, status);
        s.executeUpdate();
      }
      return null;
    });
  }

  @Test
  void evidenceForRaising_countsApprovalsDenialsAndRefusals_sinceTheDomainsLastChange() throws Exception {
    store.initializeNew(OWNER);
    approval("old", Domain.WEB, "approved", clock.instant()); // at the level before
    clock.advance(Duration.ofMinutes(1));
    store.set(Domain.WEB, Level.SUGGEST, OWNER, "ask me");
    Instant since = clock.instant();
    approval("a1", Domain.WEB, "approved", clock.instant());
    approval("a2", Domain.WEB, "used", clock.instant());
    approval("p", Domain.WEB, "pending", clock.instant());
    approval("e", Domain.EMAIL, "approved", clock.instant());

    TrustStore.RaisingEvidence clean = store.evidenceForRaising(Domain.WEB);
    assertThat(clean).isEqualTo(new TrustStore.RaisingEvidence(java.util.Optional.of(since), 2, 0, 0));

    approval("d", Domain.WEB, "denied", clock.instant());
    store.evidence(Domain.WEB, "alice", "owner-denied"); // the same denial, as the approvals queue reports it
    store.evidence(Domain.WEB, "alice", "egress-denied");
    assertThat(store.evidenceForRaising(Domain.WEB))
        .isEqualTo(new TrustStore.RaisingEvidence(java.util.Optional.of(since), 2, 1, 1));
    assertThat(store.overview()).filteredOn(t -> t.domain() == Domain.WEB).singleElement().satisfies(t -> {
      assertThat(t.level()).isEqualTo(Level.SUGGEST);
      assertThat(t.lastChange().orElseThrow().reason()).isEqualTo("ask me");
      assertThat(t.forRaising().approved()).isEqualTo(2);
    });
    assertThat(store.evidenceForRaising(Domain.EMAIL).approved()).isEqualTo(1);
  }

  @Test
  void level_ofADamagedStoredValue_isNone() throws Exception {
    store.initializeNew(OWNER);
    db.transaction(c -> c.createStatement().executeUpdate("UPDATE trust_levels SET level = 9 WHERE domain = 'web'"));

    assertThat(store.level(Domain.WEB)).isEqualTo(Level.NONE);
  }

  @Test
  void notifier_thatFails_neitherUndoesNorFailsTheChange() {
    TrustStore s = new TrustStore(db, audit, n -> {
      throw new IllegalStateException("sink down");
    }, clock, SETTINGS);
    s.initializeNew(OWNER);

    s.set(Domain.WEB, Level.FULL, OWNER, "fine");

    assertThat(s.level(Domain.WEB)).isEqualTo(Level.FULL);
  }

  @Test
  void everyChange_isNotified_asTrustChanged() {
    store.initializeNew(OWNER);
    long id = store.set(Domain.WEB, Level.FULL, OWNER, "fine");
    store.rollback(id, OWNER);

    assertThat(notified).extracting(Notification::event).containsOnly("trust.changed").hasSize(3);
    assertThat(notified.get(1).summary()).isEqualTo("Trust in web raised from 0 (none) to 4 (full) by cli:owner: fine");
    assertThat(notified.get(2).fields()).containsEntry("rollback_of", Long.toString(id))
        .containsEntry("reason", "rollback of #" + id);
  }
}
