package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.RefusedException;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.testing.ChangingPassword;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PgAuditLog} and {@link PgAuditRows}: several replicas on one real PostgreSQL ({@link TestPostgres}). */
class PgAuditLogTest {
  private static final FileAuditLog.Settings RARELY = AuditTesting.RARELY;

  private final AuditTesting t = new AuditTesting();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));

  @TempDir
  Path tmp;

  private PgAuditLog replica(TestPostgres.Database d, FileAuditLog.Settings settings) throws IOException {
    return replica(d.connector(), settings);
  }

  private PgAuditLog replica(dev.gatehouse.store.PgConnector connector, FileAuditLog.Settings settings)
      throws IOException {
    return PgAuditLog.open(connector, clock, t.redactor, t.verifier, t.keys.getPrivate(), settings,
        Metrics.NONE);
  }

  @Test
  void record_threeReplicasAtOnce_oneGaplessChainEverySeqItsEventAndTheExportVerifies() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    FileAuditLog.Settings every50 = new FileAuditLog.Settings(64L << 20, Duration.ofDays(1), 50, Duration.ofDays(1));
    int threadsPerReplica = 3;
    int each = 60;
    Map<Long, String> returned = new ConcurrentHashMap<>();
    try (PgAuditLog a = replica(d, every50); PgAuditLog b = replica(d, every50); PgAuditLog c = replica(d, every50)) {
      List<PgAuditLog> replicas = List.of(a, b, c);
      ExecutorService pool = Executors.newFixedThreadPool(replicas.size() * threadsPerReplica);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int r = 0; r < replicas.size(); r++) {
          for (int th = 0; th < threadsPerReplica; th++) {
            PgAuditLog log = replicas.get(r);
            String who = "r" + r + "t" + th;
            done.add(pool.submit(() -> {
              for (int i = 0; i < each; i++) {
                String target = who + "-" + i;
                assertThat(returned.put(log.record(AuditTesting.event(target)), target)).isNull();
              }
              return null;
            }));
          }
        }
        for (Future<?> f : done) {
          f.get(2, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
    }
    long total = 3L * threadsPerReplica * each;
    assertThat(returned.keySet()).hasSize((int) total).allMatch(seq -> seq >= 0 && seq < total);

    Path out = tmp.resolve("export");
    try (Connection c = d.connect()) {
      PgAuditRows.Exported e = PgAuditRows.export(c, out, 64L << 20);
      assertThat(e.entries()).isEqualTo(total);
      AuditVerifier.Result inDb = PgAuditRows.verify(c, List.of());
      assertThat(inDb.problem()).isNull();
      assertThat(inDb.latest().size()).isEqualTo(total); // the last replica to close signed everything
      // Every checkpoint signed on the way, by whichever replica held the lock, is a prefix of the end.
      List<String> history = new ArrayList<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT note FROM audit_checkpoints")) {
        while (rs.next()) {
          history.add(rs.getString(1));
        }
      }
      assertThat(history).hasSizeGreaterThan((int) (total / 50 / 2));
      assertThat(PgAuditRows.verify(c, history).problem()).isNull();
    }
    AuditVerifier.Result r = AuditVerifier.verify(out, AuditVerifier.verifierKey(out), null);
    assertThat(r.problem()).isNull();
    assertThat(r.entries()).isEqualTo(total);
    assertThat(r.latest().size()).isEqualTo(total);
    List<byte[]> lines = AuditVerifier.scan(out, false, true, -1).lines();
    for (int seq = 0; seq < total; seq++) {
      AuditRecord rec = AuditRecord.parse(lines.get(seq));
      assertThat(rec.seq()).isEqualTo(seq);
      assertThat(rec.target()).as("seq %d", seq).isEqualTo(returned.get((long) seq));
    }
  }

  @Test
  void checkpoint_signedByAnotherReplicaThanTheAppender_verifies() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    FileAuditLog.Settings every10 = new FileAuditLog.Settings(64L << 20, Duration.ofDays(1), 10, Duration.ofDays(1));
    List<String> signedByB = new CopyOnWriteArrayList<>();
    try (PgAuditLog a = replica(d, every10); PgAuditLog b = replica(d, every10)) {
      b.onCheckpoint(signedByB::add);
      for (int i = 0; i < 10; i++) {
        a.record(AuditTesting.event("a" + i)); // the first batch ever signs size 1, by A
      }
      assertThat(Checkpoint.verify(a.latestCheckpoint(), t.verifier).size()).isEqualTo(1);
      b.record(AuditTesting.event("b0")); // ten entries after size 1: due, under B's lock
      String note = a.latestCheckpoint();
      Checkpoint cp = Checkpoint.verify(note, t.verifier);
      assertThat(cp.size()).isEqualTo(11);
      awaitCount(signedByB::size, 1); // handed to B's witness once committed
      assertThat(signedByB).containsExactly(note);

      Path out = tmp.resolve("export");
      try (Connection c = d.connect()) {
        PgAuditRows.export(c, out, 64L << 20);
      }
      MerkleTree tree = new MerkleTree();
      AuditVerifier.scan(out, false, true, -1).lines().forEach(l -> tree.append(Rfc6962.leafHash(l)));
      assertThat(tree.root()).isEqualTo(cp.root());
      assertThat(AuditVerifier.verify(out, AuditVerifier.verifierKey(out), null).problem()).isNull();
    }
  }

  @Test
  void evidence_forAnEntryAnotherReplicaAppended_isSignedAndVerifies() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = replica(d, RARELY); PgAuditLog b = replica(d, RARELY)) {
      for (int i = 0; i < 7; i++) {
        a.record(AuditTesting.event("e" + i));
      }
      InclusionEvidence e = b.evidence(5); // not covered by the size-1 checkpoint: B signs one first
      assertThat(e.newerThanCheckpoint()).isFalse();
      assertThat(e.treeSize()).isEqualTo(7);
      Checkpoint cp = Checkpoint.verify(e.checkpoint(), t.verifier);
      assertThat(cp.root()).isEqualTo(e.root());
      assertThat(AuditRecord.parse(e.entry().getBytes(StandardCharsets.US_ASCII)).target()).isEqualTo("e5");
      MerkleProofs.verifyInclusion(5, e.treeSize(), e.leafHash(), e.proof(), cp.root());
      try (Connection c = d.connect()) {
        assertThat(PgAuditRows.evidence(c, 5).toJson()).isEqualTo(e.toJson());
        assertThatThrownBy(() -> PgAuditRows.evidence(c, 99)).hasMessageContaining("no entry 99");
      }
      a.record(AuditTesting.event("after")); // still appends on a's connection after b's reads
    }
  }

  @Test
  void checkpoint_dueByTime_isSignedAtTheNextBatch() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    FileAuditLog.Settings everyMinute = new FileAuditLog.Settings(64L << 20, Duration.ofDays(1), 1000,
        Duration.ofMinutes(1));
    try (PgAuditLog a = replica(d, everyMinute)) {
      a.record(AuditTesting.event("first")); // signs size 1: the first batch ever
      a.record(AuditTesting.event("second"));
      assertThat(Checkpoint.verify(a.latestCheckpoint(), t.verifier).size()).isEqualTo(1);
      clock.advance(Duration.ofMinutes(1));
      a.record(AuditTesting.event("third"));
      assertThat(Checkpoint.verify(a.latestCheckpoint(), t.verifier).size()).isEqualTo(3);
    }
  }

  @Test
  void recordVaultWrite_onOneReplica_isKnownToAnother_andSignedInTheirCheckpoints() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    dev.gatehouse.vault.VaultVersion one = v(1, 1);
    dev.gatehouse.vault.VaultVersion two = v(2, 2);
    try (PgAuditLog a = replica(d, RARELY); PgAuditLog b = replica(d, RARELY)) {
      a.recordVaultWrite("cli:t", VaultWrites.ADOPTED, VaultWrites.details(one), false);
      b.record(AuditTesting.event("between"));
      a.recordVaultWrite("cli:t", VaultWrites.INTENDED, VaultWrites.details(two), true);
      assertThat(b.vaultWrites()).isEqualTo(new VaultWrites(one, two, 2));
      assertThat(b.latestCheckpoint()).contains("\ngatehouse.vault 1 " + one.sha256() + "\ngatehouse.vault-pending 2 "
          + two.sha256() + "\n");
      b.recordVaultWrite("cli:t", VaultWrites.COMMITTED, VaultWrites.details(two), false);
      assertThat(a.vaultWrites()).isEqualTo(new VaultWrites(two, null, 2));
    }
    try (Connection c = d.connect()) {
      AuditVerifier.Result r = PgAuditRows.verify(c, List.of()); // the signed vault state against the entries
      assertThat(r.problem()).isNull();
      assertThat(r.latest().extensions()).containsExactly("gatehouse.vault 2 " + two.sha256());
    }
  }

  private static dev.gatehouse.vault.VaultVersion v(long generation, int hash) {
    return new dev.gatehouse.vault.VaultVersion(generation,
        java.util.HexFormat.of().formatHex(dev.gatehouse.Sha256.of(new byte[] {(byte) hash})));
  }

  @Test
  void export_isByteForByteWhatFileAuditLogWrites() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    List<AuditEvent> events = List.of(AuditTesting.event("plain"),
        new AuditEvent("vault.add", "cli:alice", "uses " + AuditTesting.CANARY, "added",
            Map.of("api_key", "x", "note", "caf\u00e9 \"quoted\"\n")),
        AuditTesting.event("last"));
    try (FileAuditLog file = t.open(tmp.resolve("file"), clock, RARELY); PgAuditLog pg = replica(d, RARELY)) {
      for (AuditEvent e : events) {
        assertThat(pg.record(e)).isEqualTo(file.record(e));
      }
    }
    Path out = tmp.resolve("export");
    try (Connection c = d.connect()) {
      PgAuditRows.export(c, out, 64L << 20);
    }
    byte[] exported = Files.readAllBytes(out.resolve(FileAuditLog.segmentName(1)));
    assertThat(exported).isEqualTo(Files.readAllBytes(tmp.resolve("file").resolve(FileAuditLog.segmentName(1))));
    assertThat(new String(exported, StandardCharsets.US_ASCII)).doesNotContain(AuditTesting.CANARY);
    assertThat(Files.readString(out.resolve(FileAuditLog.VERIFIER_FILE)).strip()).isEqualTo(t.verifier.text());
  }

  @Test
  void export_intoAFolderThatIsNotEmpty_isRefused() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = replica(d, RARELY)) {
      a.record(AuditTesting.event("x"));
    }
    Files.writeString(tmp.resolve("keep.txt"), "mine");
    try (Connection c = d.connect()) {
      assertThatThrownBy(() -> PgAuditRows.export(c, tmp, 64L << 20)).isInstanceOf(IOException.class)
          .hasMessageContaining("not empty");
    }
    assertThat(Files.readString(tmp.resolve("keep.txt"))).isEqualTo("mine");
  }

  @Test
  void export_splitsSegmentsAtTheSize_andTheChainContinuesAcrossThem() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = replica(d, RARELY)) {
      for (int i = 0; i < 30; i++) {
        a.record(AuditTesting.event("e" + i));
      }
    }
    Path out = tmp.resolve("export");
    try (Connection c = d.connect()) {
      assertThat(PgAuditRows.export(c, out, 1000).segments()).isGreaterThan(3);
    }
    AuditVerifier.Result r = AuditVerifier.verify(out, AuditVerifier.verifierKey(out), null);
    assertThat(r.problem()).isNull();
    assertThat(r.entries()).isEqualTo(30);
  }

  @Test
  void verify_aByteFlippedInOneStoredLine_failsNamingItsSeq() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = replica(d, RARELY)) {
      for (int i = 0; i < 20; i++) {
        a.record(AuditTesting.event("e" + i));
      }
    }
    try (Connection c = d.connect()) {
      assertThat(PgAuditRows.verify(c, List.of()).problem()).isNull();
      try (Statement s = c.createStatement()) {
        // "target":"e7" becomes "target":"e6": still a valid line, but not the one hashed
        assertThat(s.executeUpdate("UPDATE audit_entries SET line = decode(replace(encode(line, 'escape'),"
            + " '\"target\":\"e7\"', '\"target\":\"e6\"'), 'escape') WHERE seq = 7")).isEqualTo(1);
      }
      AuditVerifier.Result r = PgAuditRows.verify(c, List.of());
      assertThat(r.problem()).startsWith("seq 7 (database row seq 7)").contains("hash does not match");
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE audit_entries SET line = set_byte(line, 3, get_byte(line, 3) # 1) WHERE seq = 3");
      }
      assertThat(PgAuditRows.verify(c, List.of()).problem()).startsWith("seq 3 (database row seq 3)");
      Path out = tmp.resolve("export");
      PgAuditRows.export(c, out, 64L << 20);
      assertThat(AuditVerifier.verify(out, AuditVerifier.verifierKey(out), null).problem())
          .startsWith("seq 3 (segment-000001.jsonl line 4)");
    }
  }

  @Test
  void verify_aRemovedLastEntry_isNamedByTheHeadRow() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = replica(d, RARELY)) {
      for (int i = 0; i < 5; i++) {
        a.record(AuditTesting.event("e" + i));
      }
      a.checkpoint();
      a.record(AuditTesting.event("after the checkpoint"));
    }
    try (Connection c = d.connect()) {
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE audit_head SET checkpoint_note = NULL"); // nothing signed covers seq 5 now
        s.executeUpdate("DELETE FROM audit_entries WHERE seq = 5");
      }
      assertThat(PgAuditRows.verify(c, List.of()).problem()).contains("audit_head row says 6 entries");
    }
  }

  @Test
  void record_whileAnotherSessionHoldsTheLockTooLong_failsClosed_andGoesOnOnceItIsReleased() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = PgAuditLog.open(d.connector(), clock, t.redactor, t.verifier,
        t.keys.getPrivate(), RARELY, Metrics.NONE, Duration.ofSeconds(1))) {
      assertThat(a.record(AuditTesting.event("before"))).isZero();
      try (Connection stalled = d.connect()) { // a replica stopped mid-transaction, holding the lock
        stalled.setAutoCommit(false);
        try (PreparedStatement s = stalled.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
          s.setLong(1, PgAuditLog.AUDIT_LOCK);
          s.execute();
        }
        assertThatThrownBy(() -> a.record(AuditTesting.event("while stalled"))).isInstanceOf(RefusedException.class)
            .hasMessageContaining("lock timeout").hasMessageContaining("fail closed");
        stalled.rollback();
      }
      assertThat(a.record(AuditTesting.event("after"))).isEqualTo(1);
    }
  }

  @Test
  void open_withAnotherSigningKey_isRefused() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    try (PgAuditLog a = replica(d, RARELY)) {
      a.record(AuditTesting.event("x"));
    }
    var other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier otherKey = Checkpoint.Verifier.of("gatehouse.audit/other", Checkpoint.rawPublicKey(other.getPublic()));
    assertThatThrownBy(() -> PgAuditLog.open(d.connector(), clock, t.redactor, otherKey,
        other.getPrivate(), RARELY, Metrics.NONE)).isInstanceOf(IOException.class).hasMessageContaining("same vault");
  }

  @Test
  void record_whileTheDatabaseIsDown_throwsAndNeverReturnsAnUncommittedSeq_thenResumesByItself() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    TestPostgres.Database d = pg.newDatabase();
    Map<Long, String> returned = new ConcurrentHashMap<>();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    FileAuditLog.Settings every20 = new FileAuditLog.Settings(64L << 20, Duration.ofDays(1), 20, Duration.ofDays(1));
    try (PgAuditLog a = replica(d, every20); PgAuditLog b = replica(d, every20)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> load = new ArrayList<>();
      AtomicInteger n = new AtomicInteger();
      for (int th = 0; th < 4; th++) {
        PgAuditLog log = th % 2 == 0 ? a : b;
        load.add(pool.submit(() -> {
          while (!stop.get()) {
            String target = "call-" + n.incrementAndGet();
            try {
              assertThat(returned.put(log.record(AuditTesting.event(target)), target)).isNull();
            } catch (RefusedException e) {
              refused.incrementAndGet();
            } catch (RuntimeException e) {
              other.incrementAndGet();
            }
          }
          return null;
        }));
      }
      try {
        awaitCount(returned::size, 100);
        pg.stopImmediately();
        int before;
        try {
          awaitCount(refused::get, 20); // every call now fails closed
          before = returned.size();
          awaitCount(refused::get, refused.get() + 20);
          assertThat(returned.size()).as("no seq is handed out while the database is down").isEqualTo(before);
        } finally {
          pg.start();
        }
        awaitCount(returned::size, before + 100); // resumed by itself, on both replicas' connections
      } finally {
        stop.set(true);
        for (Future<?> f : load) {
          f.get(2, TimeUnit.MINUTES);
        }
        pool.shutdownNow();
      }
      assertThat(other.get()).isZero();
      long after = a.record(AuditTesting.event("after")); // both replicas append again, on the same chain
      assertThat(b.record(AuditTesting.event("after, on b"))).isEqualTo(after + 1);
    }
    try (Connection c = d.connect()) {
      AuditVerifier.Result r = PgAuditRows.verify(c, List.of());
      assertThat(r.problem()).isNull();
      Map<Long, String> stored = new java.util.HashMap<>();
      try (PreparedStatement s = c.prepareStatement("SELECT seq, line FROM audit_entries");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          stored.put(rs.getLong(1), AuditRecord.parse(rs.getBytes(2)).target());
        }
      }
      assertThat(stored).containsAllEntriesOf(returned); // every acknowledged call has its entry, at its seq
    }
  }

  /** Waits (for a condition, not for time) until {@code count} reaches {@code atLeast}, within two minutes. */
  private static void awaitCount(java.util.function.IntSupplier count, int atLeast) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (count.getAsInt() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still " + count.getAsInt() + " after two minutes, waiting for " + atLeast);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  @Test
  void appendsAfterARestart_logInWithThePasswordGivenThen_andAnAppendDoesNotAsk() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    ChangingPassword source = new ChangingPassword(pg.newDatabaseWithOwnRole());
    try (PgAuditLog log = replica(source.connector(), RARELY)) {
      long first = log.record(AuditTesting.event("first"));
      int reads = source.reads();
      for (int i = 0; i < 5; i++) {
        log.record(AuditTesting.event("more " + i));
      }
      assertThat(source.reads()).as("the password is read per connection, not per append").isEqualTo(reads);
      source.change(pg, "changed-" + System.nanoTime());
      pg.stopImmediately();
      pg.start();
      Long after = null;
      for (int i = 0; i < 2 && after == null; i++) { // the broken connection is found out by the first batch
        try {
          after = log.record(AuditTesting.event("after"));
        } catch (RefusedException e) {
          assertThat(e.getMessage()).as("not a failure to log in").doesNotContain("authentication");
        }
      }
      assertThat(after).isEqualTo(first + 6);
      assertThat(source.reads()).isEqualTo(reads + 1);
    }
    assertThat(source.given()).allSatisfy(p -> assertThat(p).doesNotContainKey("password"));
  }
}
