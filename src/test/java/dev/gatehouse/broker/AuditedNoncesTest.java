package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded replay record over a real audit log in a folder. */
class AuditedNoncesTest {
  private static final Duration KEEP = Duration.ofMinutes(2);
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(T0);
  private KeyPair keys;
  private Redactor redactor = new Redactor(new byte[32], List.of());
  private FileAuditLog log;

  @BeforeEach
  void open() throws Exception {
    keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    log = openLog(FileAuditLog.Settings.DEFAULT);
  }

  @AfterEach
  void close() {
    log.close();
  }

  private FileAuditLog openLog(FileAuditLog.Settings settings) throws IOException {
    Checkpoint.Verifier verifier = Checkpoint.Verifier.of("gatehouse.audit/test", Checkpoint.rawPublicKey(keys.getPublic()));
    return FileAuditLog.open(temp.resolve("audit"), clock, redactor, verifier, keys.getPrivate(), settings);
  }

  /** The daemon killed and started again: the log reopened, the record rebuilt from it. */
  private AuditedNonces restart() throws IOException {
    log.close();
    log = openLog(FileAuditLog.Settings.DEFAULT);
    return AuditedNonces.rebuilt(log, KEEP, temp.resolve("audit"), clock.instant());
  }

  private static NonceStore.Use use(String keyId, String nonce, Instant now) {
    return new NonceStore.Use(keyId, nonce, now.getEpochSecond(), now, "agent:bot", "/v1/actions/x.y");
  }

  /** What the broker does: a durable decision entry that carries the use. */
  private long decide(NonceStore.Recording r) throws NonceStore.Unrecorded {
    Map<String, String> details = new TreeMap<>(r.details());
    details.put("remote", "127.0.0.1");
    long seq = log.record(new AuditEvent("broker.call", "agent:bot", "x.y", "allowed", details));
    r.recordedIn(seq);
    r.await();
    return seq;
  }

  @Test
  void use_isAFirstUseOnce_perKeyIdAndNonce() {
    AuditedNonces n = new AuditedNonces(log, KEEP);

    assertThat(n.use(use("k1", "n", T0))).isPresent();
    assertThat(n.use(use("k1", "n", T0.plusSeconds(1)))).isEmpty();
    assertThat(n.use(use("k2", "n", T0.plusSeconds(1)))).as("another key's nonce").isPresent();
    assertThat(n.use(use("k1", "n2", T0.plusSeconds(1)))).isPresent();
  }

  @Test
  void aUseCarriedByADecision_isRefusedAfterARestart_andOthersAreNot() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    decide(n.use(use("k", "carried", T0)).orElseThrow());
    clock.advance(Duration.ofSeconds(5));

    AuditedNonces after = restart();

    assertThat(after.use(use("k", "carried", clock.instant()))).as("a replay after the restart").isEmpty();
    assertThat(after.use(use("k", "fresh", clock.instant()))).isPresent();
    assertThat(after.use(use("other", "carried", clock.instant()))).as("the same nonce of another key").isPresent();
  }

  @Test
  void theDecisionEntry_carriesADigestKeyIdAndCreated_notTheNonceItself() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    String nonce = "the-signers-own-text-0123";
    NonceStore.Recording r = n.use(use("bot.k1", nonce, T0)).orElseThrow();
    decide(r);

    String text = auditText();
    byte[] sha = NonceSet.sha256("bot.k1", nonce);
    assertThat(r.details()).containsEntry(AuditedNonces.REPLAY, HexFormat.of().formatHex(sha, 0, 16))
        .containsEntry(AuditedNonces.KEY_ID, "bot.k1").containsEntry(AuditedNonces.CREATED,
            Long.toString(T0.getEpochSecond()));
    assertThat(text).contains("\"replay\":\"" + HexFormat.of().formatHex(sha, 0, 16) + "\"")
        .contains("\"kid\":\"bot.k1\"").doesNotContain(nonce);
  }

  @Test
  void await_withoutACarrier_recordsAnAdmittedEntryOfItsOwn_once() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    NonceStore.Recording r = n.use(use("k", "listing", T0)).orElseThrow();
    long before = log.size();

    r.await();
    r.await();

    assertThat(log.size()).as("one entry, however often it is awaited").isEqualTo(before + 1);
    assertThat(auditText()).contains("\"type\":\"request.admitted\"").contains("\"actor\":\"agent:bot\"")
        .contains("\"target\":\"/v1/actions/x.y\"").contains("\"outcome\":\"admitted\"");
    assertThat(restart().use(use("k", "listing", T0.plusSeconds(1)))).isEmpty();
  }

  @Test
  void await_afterACarrier_recordsNothingMore() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    NonceStore.Recording r = n.use(use("k", "n", T0)).orElseThrow();
    long seq = log.record(new AuditEvent("broker.call", "agent:bot", "x.y", "allowed", r.details()));
    r.recordedIn(seq);
    long size = log.size();

    r.await();

    assertThat(log.size()).isEqualTo(size);
  }

  @Test
  void whenTheLogCannotRecord_awaitRefuses_andTheNonceStaysUsed() {
    AuditLog broken = event -> {
      throw new dev.gatehouse.error.RefusedException("disk full");
    };
    AuditedNonces n = new AuditedNonces(broken, KEEP);
    NonceStore.Recording r = n.use(use("k", "n", T0)).orElseThrow();

    assertThatThrownBy(r::await).isInstanceOf(NonceStore.Unrecorded.class);
    assertThatThrownBy(r::awaitOrRefuse).isInstanceOfSatisfying(Refused.class,
        e -> assertThat(e.problem().kind()).isEqualTo(Problem.Kind.AUDIT_UNAVAILABLE));
    assertThat(n.use(use("k", "n", T0.plusSeconds(1)))).as("refused once, refused again").isEmpty();
  }

  @Test
  void aRestart_holdsTheUsesOfTheKeepTimeAndTheMargin_andNoOlderOnes() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    decide(n.use(use("k", "old", T0)).orElseThrow());
    clock.advance(Duration.ofSeconds(90));
    decide(n.use(use("k", "recent", clock.instant())).orElseThrow());

    // Just within the keep time and margin of the first: both are held.
    clock.set(T0.plus(KEEP).plus(AuditedNonces.MARGIN).minusSeconds(1));
    AuditedNonces within = restart();
    assertThat(within.size()).isEqualTo(2);
    // Past the keep time and margin of the first, within those of the second.
    clock.set(T0.plus(KEEP).plus(AuditedNonces.MARGIN).plusSeconds(1));
    AuditedNonces later = restart();
    assertThat(later.size()).isEqualTo(1);
    assertThat(later.use(use("k", "recent", clock.instant()))).isEmpty();
  }

  @Test
  void aRestart_readsBackAcrossSegments() throws Exception {
    log.close();
    log = openLog(new FileAuditLog.Settings(2_000, Duration.ofDays(1), 1000, Duration.ofMinutes(5)));
    AuditedNonces n = new AuditedNonces(log, KEEP);
    List<String> nonces = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String nonce = "n-" + i;
      nonces.add(nonce);
      decide(n.use(use("k", nonce, clock.instant())).orElseThrow());
      clock.advance(Duration.ofMillis(500));
    }
    assertThat(FileAuditLog.segments(temp.resolve("audit"))).hasSizeGreaterThan(5);

    AuditedNonces after = restart();

    for (String nonce : nonces) {
      assertThat(after.use(use("k", nonce, clock.instant()))).as(nonce).isEmpty();
    }
  }

  @Test
  void aShortSecretMadeOfHexDigits_doesNotAlterTheRecord() throws Exception {
    String digest = HexFormat.of().formatHex(NonceSet.sha256("k", "n"), 0, 16);
    redactor = new Redactor(new byte[32], List.of(digest.substring(3, 9))); // a secret found inside the digest
    log.close();
    log = openLog(FileAuditLog.Settings.DEFAULT);
    AuditedNonces n = new AuditedNonces(log, KEEP);
    decide(n.use(use("k", "n", T0)).orElseThrow());

    assertThat(auditText()).contains(digest);
    assertThat(restart().use(use("k", "n", T0.plusSeconds(1)))).isEmpty();
  }

  @Test
  void aTornLastLine_isSkippedByTheRebuild_andTheWholeLinesStillCount() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    decide(n.use(use("k", "whole", T0)).orElseThrow());
    log.close();
    Path segment = FileAuditLog.segments(temp.resolve("audit")).get(0);
    // A crash mid-write: half a line with a replay detail, no newline.
    Files.writeString(segment, "{\"v\":1,\"seq\":99,\"time\":\"2026-12-06T10:00:01.000Z\",\"type\":\"broker.call\","
        + "\"details\":{\"replay\":\"00112233", StandardOpenOption.APPEND);

    AuditedNonces after = AuditedNonces.rebuilt(log, KEEP, temp.resolve("audit"), T0.plusSeconds(2));
    log = openLog(FileAuditLog.Settings.DEFAULT); // recovers the torn line, as a start does

    assertThat(after.size()).isEqualTo(1);
    assertThat(after.use(use("k", "whole", T0.plusSeconds(2)))).isEmpty();
    assertThat(AuditVerifier.verify(temp.resolve("audit"), Checkpoint.Verifier.of("gatehouse.audit/test",
        Checkpoint.rawPublicKey(keys.getPublic())), null).intact()).isTrue();
  }

  @Test
  void anEmptyHome_rebuildsAnEmptyRecord() throws Exception {
    AuditedNonces n = AuditedNonces.rebuilt(log, KEEP, temp.resolve("nowhere"), T0);

    assertThat(n.size()).isZero();
    assertThat(n.use(use("k", "n", T0))).isPresent();
  }

  @Test
  void usesAnEarlierVersionRecordedInStateDb_areHeld_andOlderRowsDeleted() throws Exception {
    try (StateDb db = StateDb.open(temp.resolve(StateDb.FILE))) {
      db.transaction(c -> {
        try (var s = c.prepareStatement("INSERT INTO nonce_log (seen_at, keyid, nonce) VALUES (?, ?, ?)")) {
          for (Object[] row : new Object[][] {{T0.toEpochMilli(), "k", "recent"},
              {T0.minus(KEEP).minus(AuditedNonces.MARGIN).minusSeconds(1).toEpochMilli(), "k", "ancient"}}) {
            s.setLong(1, (Long) row[0]);
            s.setString(2, (String) row[1]);
            s.setString(3, (String) row[2]);
            s.executeUpdate();
          }
        }
        return null;
      });
      AuditedNonces n = new AuditedNonces(log, KEEP);

      n.rememberLegacy(db, T0.plusSeconds(10));

      assertThat(n.use(use("k", "recent", T0.plusSeconds(10)))).isEmpty();
      assertThat(n.use(use("k", "ancient", T0.plusSeconds(10)))).isPresent();
      long rows = db.transaction(c -> {
        try (var s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM nonce_log")) {
          rs.next();
          return rs.getLong(1);
        }
      });
      assertThat(rows).isEqualTo(1);
    }
  }

  @Test
  void concurrentCallers_getExactlyOneFirstUsePerNonce() throws Exception {
    AuditedNonces n = new AuditedNonces(log, KEEP);
    int nonces = 50;
    int threads = 8;
    AtomicIntegerArray firsts = new AtomicIntegerArray(nonces);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      started.add(Thread.ofVirtual().start(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < nonces; i++) {
          if (n.use(use("k", "nonce-" + i, T0)).isPresent()) {
            firsts.incrementAndGet(i);
          }
        }
      }));
    }
    start.countDown();
    for (Thread t : started) {
      t.join();
    }
    for (int i = 0; i < nonces; i++) {
      assertThat(firsts.get(i)).as("first uses of nonce-%d", i).isEqualTo(1);
    }
  }

  private String auditText() throws IOException {
    StringBuilder s = new StringBuilder();
    for (Path p : FileAuditLog.segments(temp.resolve("audit"))) {
      s.append(Files.readString(p));
    }
    return s.toString();
  }
}
