package dev.gatehouse.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.Sha256;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.VerifyOutcome;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.ActionApprovals.Granted;
import dev.gatehouse.trust.ActionApprovals.NotGranted;
import dev.gatehouse.trust.ActionApprovals.Status;
import dev.gatehouse.trust.ActionApprovalsStore.CodeRefused;
import dev.gatehouse.trust.ActionApprovalsStore.Done;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The approvals queue over a real state.db, a real TOTP core and audit log, time moved by hand. */
class ActionApprovalsStoreTest {
  static final String OWNER = "cli:owner";

  @TempDir
  Path temp;

  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  final List<String> evidence = new CopyOnWriteArrayList<>();
  final List<Notification> notified = new CopyOnWriteArrayList<>();
  final Trust recordingTrust = new Trust() {
    @Override
    public Level level(Domain domain) {
      return Level.SUGGEST;
    }

    @Override
    public void evidence(Domain domain, String agent, String kind) {
      evidence.add(domain.wire() + " " + agent + " " + kind);
    }
  };
  Config.TrustSettings settings = Config.TrustSettings.DEFAULT;
  Gatehouse g;
  byte[] key;
  ActionApprovalsStore store;
  final List<StateDb> opened = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    g = TestHome.open(TestHome.create(temp), clock);
    OtpAuthUri uri = g.totp().beginEnrollment("owner@test", "test");
    key = uri.secret();
    g.totp().confirm(code(), "test");
    clock.advance(Duration.ofSeconds(30)); // the confirmation spent the current step
    store = store(recording(g.audit()));
  }

  @AfterEach
  void tearDown() {
    opened.forEach(StateDb::close);
    g.close();
  }

  AuditLog recording(AuditLog inner) {
    return e -> {
      long seq = inner.record(e);
      events.add(e);
      return seq;
    };
  }

  /** A store on a connection of its own, as another process has. */
  ActionApprovalsStore store(AuditLog audit) throws Exception {
    StateDb db = openDb();
    opened.add(db);
    return new ActionApprovalsStore(db, audit, recordingTrust, notified::add, g.totp(), clock, new SecureRandom(),
        () -> settings);
  }

  /** The home's state database on a connection of its own; the PostgreSQL run overrides it. */
  StateDb openDb() throws Exception {
    return StateDb.open(g.home().file(StateDb.FILE));
  }

  String code() {
    return Hotp.totp(key, clock.instant(), TotpParameters.DEFAULT);
  }

  String wrongCode() {
    for (int n = 0; ; n++) {
      String c = String.format("%06d", n);
      boolean matches = false;
      for (int k = -1; k <= 1; k++) {
        matches |= c.equals(Hotp.totp(key, clock.instant().plusSeconds(30L * k), TotpParameters.DEFAULT));
      }
      if (!matches) {
        return c;
      }
    }
  }

  static String sha(String request) {
    return Sha256.hex(request.getBytes(StandardCharsets.UTF_8));
  }

  Approval open(String agent, Domain domain, String request) {
    return store.open(agent, "mail.send", domain, sha(request), "POST https://mail.example/send {\"to\":\"a\"}");
  }

  List<String> types() {
    return events.stream().map(AuditEvent::type).toList();
  }

  @Test
  void open_isPendingUntilExactlyApprovalMinutes_withAnUnguessableId() {
    Instant created = clock.instant();
    Approval a = open("bot", Domain.EMAIL, "r1");

    assertThat(a.id()).matches("[a-z2-7]{26}");
    assertThat(a.status()).isEqualTo(Status.PENDING);
    assertThat(a.created()).isEqualTo(created);
    assertThat(a.expires()).isEqualTo(created.plus(Duration.ofMinutes(15)));
    assertThat(store.find(a.id())).contains(a);
    assertThat(open("bot", Domain.EMAIL, "r2").id()).isNotEqualTo(a.id());
    assertThat(types()).containsExactly("approval.open", "approval.open");
    assertThat(events.get(0).actor()).isEqualTo("agent:bot");
    assertThat(events.get(0).details()).containsEntry("approval", a.id()).containsEntry("domain", "email")
        .containsEntry("request_sha256", sha("r1"));

    settings = new Config.TrustSettings(1, 3, Duration.ofMinutes(10), settings.approveWithCode());
    assertThat(open("bot", Domain.EMAIL, "r3").expires()).isEqualTo(created.plus(Duration.ofMinutes(1)));
  }

  @Test
  void open_sameRequestWhilePending_returnsTheSameApproval_otherAgentOrRequestANewOne() {
    Approval a = open("bot", Domain.EMAIL, "r1");
    clock.advance(Duration.ofMinutes(5));

    assertThat(open("bot", Domain.EMAIL, "r1")).isEqualTo(a);
    assertThat(open("other", Domain.EMAIL, "r1").id()).isNotEqualTo(a.id());
    assertThat(open("bot", Domain.EMAIL, "r2").id()).isNotEqualTo(a.id());
    assertThat(types()).hasSize(3);
    assertThat(notified).hasSize(3);

    store.deny(a.id(), OWNER, null);
    assertThat(open("bot", Domain.EMAIL, "r1").id()).as("a denied request may be asked again").isNotEqualTo(a.id());
  }

  @Test
  void open_afterExpiry_opensANewOne() {
    Approval a = open("bot", Domain.EMAIL, "r1");
    clock.advance(Duration.ofMinutes(15));
    Approval b = open("bot", Domain.EMAIL, "r1");
    assertThat(b.id()).isNotEqualTo(a.id());
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.EXPIRED);
  }

  @Test
  void open_notifiesTheOwner_withNothingButNamesAndTheId() {
    Approval a = store.open("bot", "mail.send", Domain.EMAIL, sha("r1"), "POST https://mail.example/send {\"body\":"
        + "\"private words\"}");

    assertThat(notified).hasSize(1);
    Notification n = notified.get(0);
    assertThat(n.event()).isEqualTo("approval.pending");
    assertThat(n.time()).isEqualTo(a.created());
    assertThat(n.fields()).containsEntry("approval", a.id()).containsEntry("agent", "bot")
        .containsEntry("action", "mail.send").containsEntry("domain", "email")
        .containsEntry("expires", a.expires().toString());
    assertThat(n.summary()).contains("bot").contains("mail.send").contains(a.id()).doesNotContain("private words");
    assertThat(n.toString()).doesNotContain("private words");
  }

  @Test
  void open_whenTheNotifierThrows_stillOpens() throws Exception {
    StateDb db = openDb();
    opened.add(db);
    ActionApprovalsStore s = new ActionApprovalsStore(db, g.audit(), recordingTrust, n -> {
      throw new IllegalStateException("sink down");
    }, g.totp(), clock, new SecureRandom(), () -> settings);

    Approval a = s.open("bot", "mail.send", Domain.EMAIL, sha("r1"), "x");
    assertThat(s.find(a.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
  }

  @Test
  void open_whoseAuditEntryFails_leavesNothing() throws Exception {
    ActionApprovalsStore failing = store(e -> {
      throw new IllegalStateException("disk full");
    });
    assertThatThrownBy(() -> failing.open("bot", "mail.send", Domain.EMAIL, sha("r1"), "x"))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.list()).isEmpty();
    assertThat(notified).isEmpty();
  }

  @Test
  void redeem_beforeApproval_isPending_andAfterIt_grantsExactlyOnce() {
    Approval a = open("bot", Domain.EMAIL, "r1");
    assertThat(store.redeem(a.id(), "bot", sha("r1"))).isEqualTo(new NotGranted("pending"));

    assertThat(store.approve(a.id(), null, OWNER)).isInstanceOf(Done.class);
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.APPROVED);
    assertThat(store.redeem(a.id(), "bot", sha("r1"))).isInstanceOfSatisfying(Granted.class,
        gr -> assertThat(gr.approval().status()).isEqualTo(Status.USED));
    assertThat(store.redeem(a.id(), "bot", sha("r1"))).isEqualTo(new NotGranted("used"));
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.USED);
    assertThat(types()).containsExactly("approval.open", "approval.approve", "approval.use");
    AuditEvent approve = events.get(1);
    assertThat(approve.actor()).isEqualTo(OWNER);
    assertThat(approve.outcome()).isEqualTo("approved");
    assertThat(approve.details()).containsEntry("code", "none").containsEntry("approval", a.id());
    assertThat(events.get(2).actor()).isEqualTo("agent:bot");
  }

  @Test
  void redeem_byAnotherAgent_orForAnotherRequest_isOtherRequest_andDoesNotSpendIt() {
    Approval a = open("bot", Domain.EMAIL, "r1");
    store.approve(a.id(), null, OWNER);

    assertThat(store.redeem(a.id(), "intruder", sha("r1"))).isEqualTo(new NotGranted("other-request"));
    assertThat(store.redeem(a.id(), "bot", sha("r1 with other parameters"))).isEqualTo(new NotGranted("other-request"));
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.APPROVED);
    assertThat(store.redeem(a.id(), "bot", sha("r1"))).isInstanceOf(Granted.class);
    assertThat(store.redeem(a.id(), "intruder", sha("r1"))).as("no status leaks to another agent")
        .isEqualTo(new NotGranted("other-request"));
  }

  @Test
  void redeem_unknownOrMalformedId_isUnknown() {
    assertThat(store.redeem("aaaaaaaaaaaaaaaaaaaaaaaaaa", "bot", sha("r1"))).isEqualTo(new NotGranted("unknown"));
    assertThat(store.redeem("../../x", "bot", sha("r1"))).isEqualTo(new NotGranted("unknown"));
    assertThat(store.redeem(null, "bot", sha("r1"))).isEqualTo(new NotGranted("unknown"));
    assertThat(store.find("AAAA")).isEmpty();
  }

  @Test
  void expiry_atExactlyApprovalMinutes_isExpired_notApprovable_notRedeemable() {
    Approval pending = open("bot", Domain.EMAIL, "r1");
    Approval approved = open("bot", Domain.EMAIL, "r2");
    store.approve(approved.id(), null, OWNER);

    clock.advance(Duration.ofMinutes(15).minusMillis(1));
    assertThat(store.find(pending.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
    assertThat(store.find(approved.id()).orElseThrow().status()).isEqualTo(Status.APPROVED);

    clock.advance(Duration.ofMillis(1));
    assertThat(store.find(pending.id()).orElseThrow().status()).isEqualTo(Status.EXPIRED);
    assertThat(store.find(approved.id()).orElseThrow().status()).isEqualTo(Status.EXPIRED);
    assertThat(store.redeem(approved.id(), "bot", sha("r2"))).isEqualTo(new NotGranted("expired"));
    assertThat(store.redeem(pending.id(), "bot", sha("r1"))).isEqualTo(new NotGranted("expired"));
    assertThatThrownBy(() -> store.approve(pending.id(), null, OWNER)).isInstanceOf(RefusedException.class)
        .hasMessageContaining("expired at " + pending.expires());
    assertThatThrownBy(() -> store.deny(pending.id(), OWNER, null)).isInstanceOf(RefusedException.class);
    assertThat(evidence).as("expiry is not the owner's denial").isEmpty();
  }

  @Test
  void deny_reportsEvidence_andTheRequestNeverRuns() {
    Approval a = open("bot", Domain.FILES, "r1");
    Approval denied = store.deny(a.id(), OWNER, "not today");

    assertThat(denied.status()).isEqualTo(Status.DENIED);
    assertThat(evidence).containsExactly("files bot owner-denied");
    assertThat(store.redeem(a.id(), "bot", sha("r1"))).isEqualTo(new NotGranted("denied"));
    assertThatThrownBy(() -> store.approve(a.id(), null, OWNER)).isInstanceOf(RefusedException.class)
        .hasMessageContaining("denied already");
    assertThatThrownBy(() -> store.deny(a.id(), OWNER, null)).isInstanceOf(RefusedException.class);
    assertThat(evidence).hasSize(1);
    AuditEvent e = events.get(events.size() - 1);
    assertThat(e.type()).isEqualTo("approval.deny");
    assertThat(e.outcome()).isEqualTo("denied");
    assertThat(e.details()).containsEntry("reason", "not today");
  }

  @Test
  void deny_ofAnApprovedUnusedOne_takesItBack() {
    Approval a = open("bot", Domain.FILES, "r1");
    store.approve(a.id(), null, OWNER);
    store.deny(a.id(), OWNER, null);

    assertThat(store.redeem(a.id(), "bot", sha("r1"))).isEqualTo(new NotGranted("denied"));
    assertThat(events.get(events.size() - 1).details()).containsEntry("revoked", "true");
    assertThat(evidence).containsExactly("files bot owner-denied");
  }

  @Test
  void deny_ofAUsedOne_isRefused() {
    Approval a = open("bot", Domain.FILES, "r1");
    store.approve(a.id(), null, OWNER);
    store.redeem(a.id(), "bot", sha("r1"));
    assertThatThrownBy(() -> store.deny(a.id(), OWNER, null)).isInstanceOf(RefusedException.class)
        .hasMessageContaining("was used");
    assertThat(evidence).isEmpty();
  }

  @Test
  void deny_withAReasonOfControlCharacters_isBadInput_andChangesNothing() {
    Approval a = open("bot", Domain.FILES, "r1");
    assertThatThrownBy(() -> store.deny(a.id(), OWNER, "no\u001b[2J")).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> store.deny(a.id(), OWNER, "x".repeat(501))).isInstanceOf(BadInputException.class);
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
  }

  @Test
  void ownerSide_unknownId_isRefused_malformedId_isBadInput() {
    assertThatThrownBy(() -> store.approve("aaaaaaaaaaaaaaaaaaaaaaaaaa", null, OWNER))
        .isInstanceOf(RefusedException.class).hasMessageContaining("no approval");
    assertThatThrownBy(() -> store.deny("aaaaaaaaaaaaaaaaaaaaaaaaaa", OWNER, null)).isInstanceOf(RefusedException.class);
    assertThatThrownBy(() -> store.approve("nope", null, OWNER)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> store.deny("a;drop table", OWNER, null)).isInstanceOf(BadInputException.class);
    Approval a = open("bot", Domain.FILES, "r1");
    assertThat(store.approve("  " + a.id().toUpperCase() + " ", null, OWNER)).as("any case, spaces around")
        .isInstanceOf(Done.class);
  }

  @Test
  void approveWithCodeDomain_withoutCode_isBadInput_andStaysPending() {
    for (Domain d : List.of(Domain.SHELL, Domain.SYSTEM, Domain.FINANCE)) {
      Approval a = open("bot", d, "r-" + d);
      assertThatThrownBy(() -> store.approve(a.id(), null, OWNER)).isInstanceOf(BadInputException.class)
          .hasMessageContaining("--code").hasMessageContaining(d.wire());
      assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
    }
    assertThat(types()).doesNotContain("approval.approve");
  }

  @Test
  void approveWithCodeDomain_rightCode_approves_andTheCodeIsSpent() {
    Approval a = open("bot", Domain.SHELL, "r1");
    Approval b = open("bot", Domain.SHELL, "r2");
    String c = code();

    assertThat(store.approve(a.id(), c, OWNER)).isInstanceOf(Done.class);
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.APPROVED);
    assertThat(events.stream().filter(e -> e.type().equals("approval.approve")).findFirst().orElseThrow().details())
        .containsEntry("code", "totp");
    assertThat(store.approve(b.id(), c, OWNER)).as("the same code twice")
        .isInstanceOfSatisfying(CodeRefused.class, r -> assertThat(r.outcome()).isInstanceOfSatisfying(
            VerifyOutcome.Rejected.class, x -> assertThat(x.reason()).isEqualTo(VerifyOutcome.Reason.REPLAYED)));
    assertThat(store.find(b.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
    assertThat(events.toString()).doesNotContain(c);
  }

  @Test
  void approveWithCodeDomain_wrongCodes_countTowardTheSharedLockout() {
    Approval a = open("bot", Domain.FINANCE, "r1");
    assertThat(g.totp().status().failures()).isZero();

    assertThat(store.approve(a.id(), wrongCode(), OWNER)).isInstanceOfSatisfying(CodeRefused.class,
        r -> assertThat(r.outcome()).isInstanceOf(VerifyOutcome.Rejected.class));
    assertThat(g.totp().status().failures()).as("the TOTP core counted it").isEqualTo(1);
    // The same counter as `totp verify` and exec: two more wrong codes anywhere lock everything.
    assertThat(g.totp().verify(wrongCode(), "test")).isInstanceOf(VerifyOutcome.Rejected.class);
    assertThat(store.approve(a.id(), wrongCode(), OWNER)).isInstanceOfSatisfying(CodeRefused.class,
        r -> assertThat(((VerifyOutcome.Rejected) r.outcome()).lockedUntil()).isNotNull());
    assertThat(store.approve(a.id(), code(), OWNER)).as("locked out: even the right code")
        .isInstanceOfSatisfying(CodeRefused.class, r -> assertThat(r.outcome()).isInstanceOf(VerifyOutcome.LockedOut.class));
    assertThat(g.totp().verify(code(), "test")).isInstanceOf(VerifyOutcome.LockedOut.class);
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
    assertThat(events.stream().filter(e -> e.type().equals("approval.approve")).map(AuditEvent::outcome))
        .containsOnly("code-refused");
  }

  @Test
  void approve_withARecoveryCode_isRefusedUnused() {
    Approval a = open("bot", Domain.SHELL, "r1");
    assertThatThrownBy(() -> store.approve(a.id(), "abcd-efgh-ijkl-mnop", OWNER))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a recovery code");
    assertThat(g.totp().status().failures()).isZero();
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
  }

  @Test
  void approve_aCodeGivenForAnotherDomain_isVerifiedToo() {
    Approval a = open("bot", Domain.EMAIL, "r1");
    assertThat(store.approve(a.id(), wrongCode(), OWNER)).isInstanceOf(CodeRefused.class);
    assertThat(store.find(a.id()).orElseThrow().status()).isEqualTo(Status.PENDING);
    assertThat(store.approve(a.id(), code(), OWNER)).isInstanceOf(Done.class);
  }

  @Test
  void approve_notAConfiguredCodeDomain_needsNoCode() {
    settings = new Config.TrustSettings(15, 3, Duration.ofMinutes(10), java.util.Set.of(Domain.EMAIL));
    Approval shell = open("bot", Domain.SHELL, "r1");
    Approval email = open("bot", Domain.EMAIL, "r2");
    assertThat(store.approve(shell.id(), null, OWNER)).isInstanceOf(Done.class);
    assertThatThrownBy(() -> store.approve(email.id(), null, OWNER)).isInstanceOf(BadInputException.class);
  }

  @Test
  void list_pendingFirstOldestFirst_thenTheRestNewestFirst() {
    Approval denied = open("bot", Domain.FILES, "r1");
    clock.advance(Duration.ofSeconds(1));
    Approval p1 = open("bot", Domain.FILES, "r2");
    clock.advance(Duration.ofSeconds(1));
    Approval used = open("bot", Domain.FILES, "r3");
    clock.advance(Duration.ofSeconds(1));
    Approval p2 = open("bot", Domain.FILES, "r4");
    store.deny(denied.id(), OWNER, null);
    store.approve(used.id(), null, OWNER);
    store.redeem(used.id(), "bot", sha("r3"));

    assertThat(store.list()).extracting(Approval::id).containsExactly(p1.id(), p2.id(), used.id(), denied.id());
    assertThat(store.list()).extracting(Approval::status)
        .containsExactly(Status.PENDING, Status.PENDING, Status.USED, Status.DENIED);
  }

  @Test
  void redeem_inParallelFromTwoConnections_grantsExactlyOnce() throws Exception {
    Approval a = open("bot", Domain.FILES, "r1");
    store.approve(a.id(), null, OWNER);
    ActionApprovalsStore second = store(recording(g.audit()));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<ActionApprovals.Redeemed>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        ActionApprovalsStore s = i % 2 == 0 ? store : second;
        results.add(pool.submit(() -> {
          go.await();
          return s.redeem(a.id(), "bot", sha("r1"));
        }));
      }
      go.countDown();
      int granted = 0;
      for (Future<ActionApprovals.Redeemed> f : results) {
        ActionApprovals.Redeemed r = f.get();
        if (r instanceof Granted) {
          granted++;
        } else {
          assertThat(r).isEqualTo(new NotGranted("used"));
        }
      }
      assertThat(granted).isEqualTo(1);
      assertThat(types().stream().filter("approval.use"::equals)).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }
}
