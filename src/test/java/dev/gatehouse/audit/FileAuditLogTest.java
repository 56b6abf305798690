package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.RefusedException;
import dev.gatehouse.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAuditLogTest {
  @TempDir
  Path temp;

  private final AuditTesting t = new AuditTesting();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));

  private Path dir() {
    return temp.resolve("audit");
  }

  private AuditVerifier.Result verify() throws Exception {
    return AuditVerifier.verify(dir(), AuditVerifier.verifierKey(dir()), null);
  }

  @Test
  void appends_areNumberedFromZero_chained_andVerify() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 0; i < 5; i++) {
        assertThat(log.record(AuditTesting.event("e" + i))).isEqualTo(i);
      }
    }
    AuditVerifier.Result r = verify();
    assertThat(r.problem()).isNull();
    assertThat(r.entries()).isEqualTo(5);
    assertThat(r.latest().size()).isEqualTo(5);
    assertThat(Files.getPosixFilePermissions(FileAuditLog.segments(dir()).get(0)).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
  }

  @Test
  void concurrentAppenders_getEverySeqOnce_andTheLogVerifies() throws Exception {
    List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> fs = new ArrayList<>();
      for (int th = 0; th < 8; th++) {
        int id = th;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            seqs.add(log.record(AuditTesting.event("t" + id + "-" + i)));
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      pool.shutdown();
    }
    assertThat(seqs).hasSize(800).doesNotHaveDuplicates().allMatch(s -> s >= 0 && s < 800);
    assertThat(verify().problem()).isNull();
  }

  @Test
  void twoWriters_onOneLog_catchUpWithEachOther() throws Exception {
    try (FileAuditLog a = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT);
        FileAuditLog b = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 0; i < 10; i++) {
        assertThat((i % 2 == 0 ? a : b).record(AuditTesting.event("x" + i))).isEqualTo(i);
      }
    }
    assertThat(verify().problem()).isNull();
  }

  /** A quiet-time force that never comes within a test: only the rule under test forces. */
  private static FileAuditLog.Settings forcedOnlyByRules() {
    return new FileAuditLog.Settings(1 << 20, Duration.ofDays(1), 1000, Duration.ofDays(1), Duration.ofHours(1));
  }

  /** Waits, with a deadline, until the writer has taken {@code size} entries in all. */
  private static void awaitWritten(FileAuditLog log, long size) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (log.size() < size) {
      assertThat(System.nanoTime()).as("the writer took the entry").isLessThan(deadline);
      Thread.sleep(1);
    }
  }

  /** Records a decision, then an outcome it waits to see written (not forced); the forces before the outcome. */
  private static long decisionThenWrittenOutcome(FileAuditLog log) throws InterruptedException {
    log.record(AuditTesting.event("decision-1"));
    long forces = log.forces();
    log.recordEventually(AuditTesting.event("outcome"));
    awaitWritten(log, 2);
    return forces;
  }

  @Test
  void outcomes_areWrittenAtOnce_butForcedWithTheNextDecision() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, forcedOnlyByRules())) {
      log.record(AuditTesting.event("decision-1"));
      long forces = log.forces();
      for (int i = 0; i < 20; i++) {
        log.recordEventually(AuditTesting.event("outcome-" + i));
        awaitWritten(log, 2 + i); // each its own batch
      }
      assertThat(log.forces()).as("twenty batches of outcomes, no fsync").isEqualTo(forces);
      assertThat(Files.readString(FileAuditLog.segments(dir()).get(0))).contains("outcome-19"); // a killed process keeps them
      log.record(AuditTesting.event("decision-2"));
      assertThat(log.forces()).as("one fsync for the decision and every outcome before it").isEqualTo(forces + 1);
    }
    assertThat(verify().entries()).isEqualTo(22);
    assertThat(verify().problem()).isNull();
  }

  @Test
  void aCheckpoint_forcesTheOutcomesItCovers() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, forcedOnlyByRules())) {
      long forces = decisionThenWrittenOutcome(log);
      log.checkpoint();
      assertThat(log.forces()).isEqualTo(forces + 1);
      assertThat(Checkpoint.verify(Files.readString(dir().resolve(FileAuditLog.CHECKPOINT_FILE)), t.verifier).size())
          .isEqualTo(2);
    }
  }

  @Test
  void leavingASegment_forcesItsOutcomesFirst() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, forcedOnlyByRules())) {
      long forces = decisionThenWrittenOutcome(log);
      clock.advance(Duration.ofDays(2)); // the next batch starts a new segment
      log.record(AuditTesting.event("decision-2"));
      assertThat(FileAuditLog.segments(dir())).hasSize(2);
      assertThat(log.forces()).as("the old segment's outcome, then the new segment").isEqualTo(forces + 2);
    }
    assertThat(verify().problem()).isNull();
  }

  @Test
  void whenNothingElseComes_theWriterForcesOutcomesOnItsOwn() throws Exception {
    FileAuditLog.Settings quick = new FileAuditLog.Settings(1 << 20, Duration.ofDays(1), 1000, Duration.ofDays(1),
        Duration.ofMillis(1));
    try (FileAuditLog log = t.open(dir(), clock, quick)) {
      log.record(AuditTesting.event("decision"));
      long forces = log.forces();
      log.recordEventually(AuditTesting.event("outcome"));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (log.forces() == forces) {
        assertThat(System.nanoTime()).as("the quiet-time force came").isLessThan(deadline);
        Thread.sleep(1);
      }
      assertThat(log.forces()).isEqualTo(forces + 1);
    }
  }

  @Test
  void segments_rotateBySizeAndAge_andTheChainContinues() throws Exception {
    FileAuditLog.Settings small = new FileAuditLog.Settings(1024, Duration.ofHours(1), 1000, Duration.ofHours(1));
    try (FileAuditLog log = t.open(dir(), clock, small)) {
      for (int i = 0; i < 20; i++) {
        log.record(AuditTesting.event("e" + i));
      }
      int bySize = FileAuditLog.segments(dir()).size();
      assertThat(bySize).isGreaterThan(3);
      clock.advance(Duration.ofHours(2));
      log.record(AuditTesting.event("later"));
      assertThat(FileAuditLog.segments(dir())).hasSize(bySize + 1);
    }
    assertThat(verify().entries()).isEqualTo(21);
    assertThat(verify().problem()).isNull();
  }

  @Test
  void checkpoints_comeEveryNEntries_everyTSeconds_andOnClose() throws Exception {
    FileAuditLog.Settings s = new FileAuditLog.Settings(1 << 20, Duration.ofDays(1), 5, Duration.ofSeconds(60));
    try (FileAuditLog log = t.open(dir(), clock, s)) {
      for (int i = 0; i < 7; i++) {
        log.record(AuditTesting.event("e" + i));
      }
      assertThat(AuditVerifier.latestCheckpoint(dir(), t.verifier).size()).isEqualTo(5);
      clock.advance(Duration.ofSeconds(61));
      log.record(AuditTesting.event("e7"));
      // A due checkpoint is written right after its batch's callers are woken, before the next batch.
      log.record(AuditTesting.event("e8"));
      assertThat(AuditVerifier.latestCheckpoint(dir(), t.verifier).size()).isEqualTo(8);
    }
    assertThat(AuditVerifier.latestCheckpoint(dir(), t.verifier).size()).isEqualTo(9);
  }

  @Test
  void aCheckpointSignedByAnotherKey_doesNotPutOffTheNextOne() throws Exception {
    Files.createDirectories(dir());
    AuditTesting other = new AuditTesting(); // its own key pair
    Files.writeString(dir().resolve(FileAuditLog.CHECKPOINT_FILE),
        new Checkpoint(t.verifier.name(), 1_000_000, Rfc6962.emptyRoot()).sign(other.verifier, other.keys.getPrivate()));
    FileAuditLog.Settings s = new FileAuditLog.Settings(1 << 20, Duration.ofDays(1), 3, Duration.ofSeconds(60));
    try (FileAuditLog log = t.open(dir(), clock, s)) {
      for (int i = 0; i < 3; i++) {
        log.record(AuditTesting.event("e" + i));
      }
      log.record(AuditTesting.event("e3")); // its batch comes after the checkpoint the third one made due
      assertThat(AuditVerifier.latestCheckpoint(dir(), t.verifier).size()).as("written when due, over the forgery")
          .isEqualTo(3);
    }
  }

  @Test
  void aTornLastLine_isMovedAside_andRecorded() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      log.record(AuditTesting.event("a"));
      log.record(AuditTesting.event("b"));
    }
    Path seg = FileAuditLog.segments(dir()).get(0);
    byte[] torn = "{\"v\":1,\"seq\":2,\"time\":\"2026-11-22T10:0".getBytes(StandardCharsets.US_ASCII);
    Files.write(seg, torn, StandardOpenOption.APPEND);
    assertThat(verify().problem()).contains("torn line");
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      assertThat(log.record(AuditTesting.event("c"))).isEqualTo(3);
    }
    Path aside;
    try (Stream<Path> files = Files.list(dir())) {
      aside = files.filter(p -> p.getFileName().toString().contains(".torn-")).findFirst().orElseThrow();
    }
    assertThat(Files.readAllBytes(aside)).isEqualTo(torn);
    AuditVerifier.Scan scan = AuditVerifier.scan(dir(), false, true, -1);
    assertThat(scan.problem()).isNull();
    AuditRecord recovered = AuditRecord.parse(scan.lines().get(2));
    assertThat(recovered.type()).isEqualTo("audit.recovered");
    assertThat(recovered.details()).containsEntry("bytes", Integer.toString(torn.length));
  }

  @Test
  void aTornLastLine_foundByACheckpoint_isRecordedToo() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      log.record(AuditTesting.event("a"));
      log.record(AuditTesting.event("b"));
      // Another process sharing the log died mid-write; this one's next step is a checkpoint.
      Files.write(FileAuditLog.segments(dir()).get(0), "{\"v\":1,\"seq\":2,\"ti".getBytes(StandardCharsets.US_ASCII),
          StandardOpenOption.APPEND);
      log.checkpoint();
    }
    AuditVerifier.Scan scan = AuditVerifier.scan(dir(), false, true, -1);
    assertThat(scan.problem()).isNull();
    assertThat(scan.lines()).hasSizeGreaterThan(2);
    assertThat(AuditRecord.parse(scan.lines().get(2)).type()).isEqualTo("audit.recovered");
  }

  @Test
  void whenTheLogCannotBeWritten_recordThrows_failClosed() throws Exception {
    Files.createDirectories(dir().resolve(FileAuditLog.segmentName(1)).resolve("x")); // a folder where the segment goes
    FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT);
    assertThatThrownBy(() -> log.record(AuditTesting.event("a"))).isInstanceOf(RefusedException.class)
        .hasMessageContaining("cannot be written").hasMessageContaining("fail closed");
    assertThatThrownBy(log::close).isInstanceOf(RefusedException.class);
  }

  @Test
  void redaction_byKeyNameAndByValue_neverReachesDisk() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      log.record(new AuditEvent("broker.call", "agent " + AuditTesting.CANARY, "x", "ok",
          Map.of("password", "hunter2-hunter2", "query", "q=" + AuditTesting.CANARY)));
    }
    String all = Files.readString(FileAuditLog.segments(dir()).get(0));
    assertThat(all).doesNotContain(AuditTesting.CANARY).doesNotContain("hunter2")
        .contains(t.redactor.tag(AuditTesting.CANARY)).contains("\"password\":\"[REDACTED]\"");
  }
}
