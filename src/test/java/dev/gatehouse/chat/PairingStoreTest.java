package dev.gatehouse.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pairing over a real state.db in a temporary folder, time moved by hand. */
class PairingStoreTest {
  @TempDir
  Path temp;

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
  final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  final AuditLog audit = e -> {
    events.add(e);
    return events.size();
  };
  /** Every code handed out in a test: none may ever appear in an audit event. */
  final Set<String> codesSeen = ConcurrentHashMap.newKeySet();
  final List<StateDb> opened = new ArrayList<>();
  PairingStore store;

  @BeforeEach
  void open() throws Exception {
    store = store(audit);
  }

  PairingStore store(AuditLog log) throws Exception {
    StateDb db = openDb(StateDb.FILE); // each one its own connection, as another process has
    opened.add(db);
    return new PairingStore(db, log, clock, new SecureRandom());
  }

  StateDb openTracked(String name) throws Exception {
    StateDb db = openDb(name);
    opened.add(db);
    return db;
  }

  /** The database {@code name}, on a connection of its own; the PostgreSQL run overrides it. */
  StateDb openDb(String name) throws Exception {
    return StateDb.open(temp.resolve(name));
  }

  @AfterEach
  void noCodeInTheAuditLog() {
    opened.forEach(StateDb::close);
    for (AuditEvent e : events) {
      String all = (e.type() + " " + e.actor() + " " + e.target() + " " + e.outcome() + " " + e.details())
          .toUpperCase(Locale.ROOT);
      for (String code : codesSeen) {
        assertThat(all).as("audit event %s", e.type()).doesNotContain(code);
      }
    }
  }

  Pairing.Code code(String channel, String sender) {
    Pairing.Request r = store.request(channel, sender, "Name of " + sender);
    assertThat(r).isInstanceOf(Pairing.Code.class);
    Pairing.Code c = (Pairing.Code) r;
    codesSeen.add(c.code());
    return c;
  }

  List<AuditEvent> events(String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  @Test
  void request_unknownSender_getsAnEightCharacterCode_validOneHour_andItIsAudited() {
    Pairing.Code c = code("telegram", "1001");

    assertThat(c.issued()).isTrue();
    assertThat(c.code()).matches("[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}");
    assertThat(c.expires()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(store.pending()).singleElement().satisfies(p -> {
      assertThat(p.channel()).isEqualTo("telegram");
      assertThat(p.sender()).isEqualTo("1001");
      assertThat(p.senderName()).isEqualTo("Name of 1001");
      assertThat(p.code()).isEqualTo(c.code());
      assertThat(p.created()).isEqualTo(clock.instant());
      assertThat(p.toString()).doesNotContain(c.code());
    });
    assertThat(store.isAllowed("telegram", "1001")).isFalse();
    assertThat(events("pair.issue")).singleElement().satisfies(e -> {
      assertThat(e.target()).isEqualTo("telegram:1001");
      assertThat(e.details()).containsKey("code_ref").containsEntry("expires", c.expires().toString());
    });
  }

  @Test
  void request_senderWithAPendingCode_getsTheSameCodeBack_notANewOne() {
    Pairing.Code first = code("telegram", "1001");
    clock.advance(Duration.ofMinutes(59));

    Pairing.Code again = code("telegram", "1001");

    assertThat(again.code()).isEqualTo(first.code());
    assertThat(again.expires()).isEqualTo(first.expires());
    assertThat(again.issued()).isFalse();
    assertThat(events("pair.issue")).hasSize(1);
    assertThat(store.pending()).hasSize(1);
  }

  @Test
  void sameSenderId_onAnotherChannel_isAnotherSender() {
    Pairing.Code t = code("telegram", "1001");
    Pairing.Code d = code("discord", "1001");

    assertThat(d.issued()).isTrue();
    assertThat(d.code()).isNotEqualTo(t.code());
    store.approve(t.code(), "cli:owner");
    assertThat(store.isAllowed("telegram", "1001")).isTrue();
    assertThat(store.isAllowed("discord", "1001")).isFalse();
  }

  @Test
  void approve_aMillisecondBeforeTheHour_works_andAllowsTheSender() {
    Pairing.Code c = code("telegram", "1001");
    clock.advance(Duration.ofHours(1).minusMillis(1));

    PairingStore.Allowed a = store.approve(c.code(), "cli:owner");

    assertThat(a.channel()).isEqualTo("telegram");
    assertThat(a.sender()).isEqualTo("1001");
    assertThat(a.approvedBy()).isEqualTo("cli:owner");
    assertThat(store.isAllowed("telegram", "1001")).isTrue();
    assertThat(store.pending()).isEmpty();
    assertThat(store.allowed()).singleElement().satisfies(x -> {
      assertThat(x.senderName()).isEqualTo("Name of 1001");
      assertThat(x.approvedAt()).isEqualTo(clock.instant());
      assertThat(x.approvedBy()).isEqualTo("cli:owner");
    });
    assertThat(events("pair.approve")).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("cli:owner");
      assertThat(e.target()).isEqualTo("telegram:1001");
      assertThat(e.details().get("code_ref")).isEqualTo(events("pair.issue").get(0).details().get("code_ref"));
    });
  }

  @Test
  void approve_atExactlyOneHour_isRefusedAsExpired_andTheExpiryIsAudited() {
    Pairing.Code c = code("telegram", "1001");
    clock.advance(Duration.ofHours(1));

    assertThat(store.pending()).as("an expired code is not listed").isEmpty();
    assertThatThrownBy(() -> store.approve(c.code(), "cli:owner")).isInstanceOf(RefusedException.class)
        .hasMessageContaining("expired at " + c.expires()).hasMessageNotContaining(c.code());

    assertThat(store.isAllowed("telegram", "1001")).isFalse();
    assertThat(events("pair.approve")).isEmpty();
    assertThat(events("pair.expire")).singleElement().satisfies(e -> {
      assertThat(e.target()).isEqualTo("telegram:1001");
      assertThat(e.details()).containsEntry("expired_at", c.expires().toString());
    });
    assertThatThrownBy(() -> store.approve(c.code(), "cli:owner")).isInstanceOf(RefusedException.class)
        .hasMessageContaining("no such pairing code is pending");
  }

  @Test
  void request_afterTheSendersCodeExpired_issuesANewOne() {
    Pairing.Code first = code("telegram", "1001");
    clock.advance(Duration.ofHours(1));

    Pairing.Code second = code("telegram", "1001");

    assertThat(second.issued()).isTrue();
    assertThat(second.code()).isNotEqualTo(first.code());
    assertThat(events("pair.expire")).hasSize(1);
    assertThatThrownBy(() -> store.approve(first.code(), "cli:owner")).isInstanceOf(RefusedException.class);
    store.approve(second.code(), "cli:owner");
    assertThat(store.isAllowed("telegram", "1001")).isTrue();
  }

  @Test
  void approve_twice_theSecondIsRefused_singleUse() {
    Pairing.Code c = code("telegram", "1001");
    store.approve(c.code(), "cli:owner");

    assertThatThrownBy(() -> store.approve(c.code(), "cli:owner")).isInstanceOf(RefusedException.class)
        .hasMessageContaining("no such pairing code is pending");
    assertThatThrownBy(() -> store.deny(c.code(), "cli:owner")).isInstanceOf(RefusedException.class);
    assertThat(events("pair.approve")).hasSize(1);
    assertThat(events("pair.deny")).isEmpty();
    assertThat(store.isAllowed("telegram", "1001")).as("the approval stands").isTrue();
  }

  @Test
  void approve_isCaseInsensitive_andIgnoresSurroundingWhitespace() {
    Pairing.Code c = code("telegram", "1001");

    store.approve("  " + c.code().toLowerCase(Locale.ROOT) + "\n", "cli:owner");

    assertThat(store.isAllowed("telegram", "1001")).isTrue();
  }

  @Test
  void approve_somethingNotShapedLikeACode_isBadInput_andNotEchoed() {
    code("telegram", "1001");
    for (String bad : List.of("", "ABCDEFG", "ABCDEFGHJ", "ABCDEF0H", "ABCDEF1H", "ABCDEFOH", "ABCDEFIH", "ABCD EFG",
        "ABCDEFGſ", "ＡBCDEFGH")) {
      assertThatThrownBy(() -> store.approve(bad, "cli:owner")).as(bad).isInstanceOf(BadInputException.class)
          .hasMessageContaining("8 characters of ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
    }
    assertThatThrownBy(() -> store.approve("ABCDEF0H", "cli:owner")).hasMessageNotContaining("ABCDEF0H");
    assertThat(store.pending()).hasSize(1);
  }

  @Test
  void approve_aWellFormedCodeNobodyHas_isRefused() {
    Pairing.Code c = code("telegram", "1001");
    String other = c.code().startsWith("A") ? "BBBBBBBB" : "AAAAAAAA";

    assertThatThrownBy(() -> store.approve(other, "cli:owner")).isInstanceOf(RefusedException.class);
    assertThat(store.pending()).hasSize(1);
    assertThat(events).hasSize(1);
  }

  @Test
  void pendingLimit_aFourthSenderIsRefused_untilOneOfTheThreeExpires() {
    code("telegram", "a");
    clock.advance(Duration.ofMinutes(10));
    code("telegram", "b");
    code("telegram", "c");

    assertThat(store.request("telegram", "d", null)).isEqualTo(new Pairing.Refused("pending-limit"));
    assertThat(code("telegram", "b").issued()).as("a sender who has one still gets it").isFalse();
    assertThat(code("discord", "d").issued()).as("the limit is per channel").isTrue();

    clock.set(Instant.parse("2026-12-06T11:00:00Z").minusMillis(1));
    assertThat(store.request("telegram", "d", null)).isEqualTo(new Pairing.Refused("pending-limit"));
    clock.set(Instant.parse("2026-12-06T11:00:00Z")); // a's hour is over
    assertThat(code("telegram", "d").issued()).isTrue();
    assertThat(store.request("telegram", "e", null)).isEqualTo(new Pairing.Refused("pending-limit"));
    assertThat(store.pending()).filteredOn(p -> p.channel().equals("telegram")).extracting(PairingStore.Pending::sender)
        .containsExactly("b", "c", "d");
    assertThat(events("pair.expire")).singleElement().extracting(AuditEvent::target).isEqualTo("telegram:a");
  }

  @Test
  void pendingLimit_anApprovalOrDenialFreesASlot() {
    Pairing.Code a = code("telegram", "a");
    Pairing.Code b = code("telegram", "b");
    code("telegram", "c");
    assertThat(store.request("telegram", "d", null)).isInstanceOf(Pairing.Refused.class);

    store.approve(a.code(), "cli:owner");
    assertThat(code("telegram", "d").issued()).isTrue();
    store.deny(b.code(), "cli:owner");
    assertThat(code("telegram", "e").issued()).isTrue();
  }

  @Test
  void rateLimit_fiveCodesPerSenderInADay_refusedAfter_untilTheFirstLeavesTheWindow() {
    Instant start = clock.instant();
    for (int i = 0; i < 5; i++) {
      Pairing.Code c = code("telegram", "pest");
      assertThat(c.issued()).isTrue();
      store.deny(c.code(), "cli:owner");
      clock.advance(Duration.ofMinutes(1));
    }

    assertThat(store.request("telegram", "pest", null)).isEqualTo(new Pairing.Refused("rate-limited"));
    assertThat(code("telegram", "someone-else").issued()).as("per sender").isTrue();
    assertThat(code("discord", "pest").issued()).as("per channel").isTrue();

    clock.set(start.plus(Duration.ofDays(1)).minusMillis(1));
    assertThat(store.request("telegram", "pest", null)).isEqualTo(new Pairing.Refused("rate-limited"));
    clock.set(start.plus(Duration.ofDays(1)));
    assertThat(code("telegram", "pest").issued()).isTrue();
    assertThat(store.request("telegram", "pest2", null)).isInstanceOf(Pairing.Code.class);
  }

  @Test
  void rateLimit_refusalsAreNotCounted_andTheLimitIsInjectable() throws Exception {
    PairingStore tight = new PairingStore(openTracked("other.db"), audit, clock, new SecureRandom(),
        new dev.gatehouse.guard.Limit(1, Duration.ofHours(1)));
    Pairing.Code c = (Pairing.Code) tight.request("telegram", "x", null);
    codesSeen.add(c.code());
    tight.deny(c.code(), "cli:owner");
    for (int i = 0; i < 10; i++) {
      assertThat(tight.request("telegram", "x", null)).isEqualTo(new Pairing.Refused("rate-limited"));
      clock.advance(Duration.ofMinutes(5));
    }
    clock.advance(Duration.ofMinutes(10)); // one hour after the one code
    assertThat(tight.request("telegram", "x", null)).isInstanceOf(Pairing.Code.class);
  }

  @Test
  void deny_removesThePendingCode_theSenderStaysUnknown_andANewMessageGetsANewCode() {
    Pairing.Code c = code("telegram", "1001");

    PairingStore.Pending denied = store.deny(c.code().toLowerCase(Locale.ROOT), "cli:owner");

    assertThat(denied.sender()).isEqualTo("1001");
    assertThat(store.pending()).isEmpty();
    assertThat(store.isAllowed("telegram", "1001")).isFalse();
    assertThatThrownBy(() -> store.approve(c.code(), "cli:owner")).isInstanceOf(RefusedException.class);
    assertThat(events("pair.deny")).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("cli:owner");
      assertThat(e.target()).isEqualTo("telegram:1001");
    });
    Pairing.Code next = code("telegram", "1001");
    assertThat(next.issued()).isTrue();
    assertThat(next.code()).isNotEqualTo(c.code());
  }

  @Test
  void revoke_removesTheSenderFromTheAllowlist_andTheirNextMessageIsUnknownAgain() {
    Pairing.Code c = code("telegram", "1001");
    store.approve(c.code(), "cli:owner");

    store.revoke("telegram", "1001", "cli:owner");

    assertThat(store.isAllowed("telegram", "1001")).isFalse();
    assertThat(store.allowed()).isEmpty();
    assertThat(events("pair.revoke")).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("cli:owner");
      assertThat(e.target()).isEqualTo("telegram:1001");
    });
    assertThatThrownBy(() -> store.revoke("telegram", "1001", "cli:owner")).isInstanceOf(RefusedException.class)
        .hasMessageContaining("not on channel telegram's allowlist");
    assertThat(events("pair.revoke")).hasSize(1);
    assertThat(code("telegram", "1001").issued()).isTrue();
  }

  @Test
  void whenTheAuditLogRefuses_nothingChanges() throws Exception {
    Pairing.Code c = code("telegram", "1001");
    AtomicBoolean refusing = new AtomicBoolean(true);
    PairingStore failing = store(e -> {
      if (refusing.get()) {
        throw new RefusedException("the audit log is not open");
      }
      return audit.record(e);
    });

    assertThatThrownBy(() -> failing.request("telegram", "1002", null)).isInstanceOf(RefusedException.class);
    assertThatThrownBy(() -> failing.approve(c.code(), "cli:owner")).isInstanceOf(RefusedException.class);
    assertThatThrownBy(() -> failing.deny(c.code(), "cli:owner")).isInstanceOf(RefusedException.class);
    assertThat(store.pending()).extracting(PairingStore.Pending::sender).containsExactly("1001");
    assertThat(store.isAllowed("telegram", "1001")).isFalse();

    refusing.set(false);
    failing.approve(c.code(), "cli:owner");
    refusing.set(true);
    assertThatThrownBy(() -> failing.revoke("telegram", "1001", "cli:owner")).isInstanceOf(RefusedException.class);
    assertThat(store.isAllowed("telegram", "1001")).isTrue();
    clock.advance(Duration.ofHours(1));
    Pairing.Code d = code("telegram", "1003");
    clock.advance(Duration.ofHours(1));
    assertThatThrownBy(() -> failing.approve(d.code(), "cli:owner")).as("an expiry is recorded first too")
        .isInstanceOf(RefusedException.class).hasMessageContaining("audit");
    assertThat(events("pair.expire")).isEmpty();
  }

  @Test
  void stateSurvivesAReopen_pendingAllowedAndTheRateLimit() throws Exception {
    Pairing.Code a = code("telegram", "a");
    Pairing.Code b = code("telegram", "b");
    store.approve(a.code(), "cli:owner");
    opened.forEach(StateDb::close);
    opened.clear();

    PairingStore reopened = store(audit);

    assertThat(reopened.isAllowed("telegram", "a")).isTrue();
    Pairing.Request again = reopened.request("telegram", "b", null);
    assertThat(again).isEqualTo(new Pairing.Code(b.code(), b.expires(), false));
  }

  @Test
  void inputs_badChannelOrSenderAreRefused_andNeverAllowed() {
    assertThatThrownBy(() -> store.request("Tele gram", "1", null)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> store.request("telegram", "", null)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> store.request("telegram", "x".repeat(257), null)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> store.request("telegram", "a\0b", null)).isInstanceOf(BadInputException.class);
    assertThat(store.isAllowed("telegram", "")).isFalse();
    assertThat(store.isAllowed(null, "1")).isFalse();
    assertThat(events).isEmpty();

    Pairing.Code odd = code("matrix", "@bob:example.org\u001b[2J\u202e");
    store.approve(odd.code(), "cli:owner");
    assertThat(store.isAllowed("matrix", "@bob:example.org\u001b[2J\u202e")).isTrue();
    assertThat(store.isAllowed("matrix", "@bob:example.org")).isFalse();
  }

  @Test
  void displayName_isCutWithoutSplittingAPair() {
    assertThat(PairingStore.displayName(null)).isNull();
    assertThat(PairingStore.displayName("a\0b")).isEqualTo("a\uFFFDb");
    String name = "x".repeat(127) + "\uD83D\uDE00" + "tail";
    assertThat(PairingStore.displayName(name)).isEqualTo("x".repeat(127));
    assertThat(PairingStore.displayName("y".repeat(500))).hasSize(128);
  }

  // ---- several processes at once: each store below has its own connection to state.db

  <T> List<T> atOnce(int n, Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(() -> {
          go.await();
          return task.call();
        }));
      }
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoMessagesFromOneSenderAtOnce_getOneCode() throws Exception {
    List<PairingStore> stores = List.of(store, store(audit), store(audit), store(audit));
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    List<Pairing.Request> results = atOnce(8, () -> stores.get(next.getAndIncrement() % 4).request("telegram", "1001", null));

    assertThat(results).allMatch(r -> r instanceof Pairing.Code);
    results.forEach(r -> codesSeen.add(((Pairing.Code) r).code()));
    assertThat(results.stream().map(r -> ((Pairing.Code) r).code()).distinct()).hasSize(1);
    assertThat(results.stream().filter(r -> ((Pairing.Code) r).issued())).hasSize(1);
    assertThat(events("pair.issue")).hasSize(1);
    assertThat(store.pending()).hasSize(1);
  }

  @Test
  void manyNewSendersAtOnce_neverMoreThanThreePending() throws Exception {
    List<PairingStore> stores = List.of(store, store(audit), store(audit), store(audit));
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    List<Pairing.Request> results = atOnce(10, () -> {
      int i = next.getAndIncrement();
      return stores.get(i % 4).request("telegram", "sender-" + i, null);
    });

    results.stream().filter(r -> r instanceof Pairing.Code).forEach(r -> codesSeen.add(((Pairing.Code) r).code()));
    assertThat(results.stream().filter(r -> r instanceof Pairing.Code)).hasSize(3);
    assertThat(results.stream().filter(r -> r instanceof Pairing.Refused)).hasSize(7)
        .allMatch(r -> r.equals(new Pairing.Refused("pending-limit")));
    assertThat(store.pending()).hasSize(3);
    assertThat(events("pair.issue")).hasSize(3);
  }

  @Test
  void oneCodeApprovedAndDeniedAtOnce_takesEffectOnce() throws Exception {
    Pairing.Code c = code("telegram", "1001");
    List<PairingStore> stores = List.of(store, store(audit), store(audit), store(audit));
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    List<String> results = atOnce(8, () -> {
      int i = next.getAndIncrement();
      try {
        if (i % 2 == 0) {
          stores.get(i % 4).approve(c.code(), "cli:owner" + i);
        } else {
          stores.get(i % 4).deny(c.code(), "cli:owner" + i);
        }
        return "took";
      } catch (RefusedException e) {
        return "refused";
      }
    });

    assertThat(results).containsOnlyOnce("took");
    assertThat(events("pair.approve").size() + events("pair.deny").size()).isEqualTo(1);
    assertThat(store.isAllowed("telegram", "1001")).isEqualTo(events("pair.approve").size() == 1);
  }

  @Test
  void thePerMessageQueries_searchAnIndex_neverScanATable() throws Exception {
    StateDb db = opened.get(0);
    for (String sql : List.of(PairingStore.IS_ALLOWED, PairingStore.OWN_PENDING, PairingStore.PENDING_ON_CHANNEL,
        PairingStore.ISSUED_TO_SENDER)) {
      String plan = db.read(c -> {
        StringBuilder b = new StringBuilder();
        try (var s = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
          for (int i = 1; i <= s.getParameterMetaData().getParameterCount(); i++) {
            s.setString(i, "x");
          }
          try (var rs = s.executeQuery()) {
            while (rs.next()) {
              b.append(rs.getString("detail")).append('\n');
            }
          }
        }
        return b.toString();
      });
      assertThat(plan).as(sql).contains("SEARCH").doesNotContain("SCAN");
    }
  }
}
