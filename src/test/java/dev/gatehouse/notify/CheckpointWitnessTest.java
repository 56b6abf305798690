package dev.gatehouse.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.audit.AuditEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The witness's delivery rules, with a scripted target and no real waits. */
class CheckpointWitnessTest {
  @TempDir
  Path tmp;

  final RecordingAudit audit = new RecordingAudit();
  final List<String> delivered = new ArrayList<>();
  final AtomicBoolean up = new AtomicBoolean(true);
  final List<java.time.Duration> waits = new java.util.concurrent.CopyOnWriteArrayList<>();
  final CountDownLatch refusals = new CountDownLatch(3 * NotificationService.ATTEMPTS);

  CheckpointWitness.Target scripted() {
    return new CheckpointWitness.Target() {
      @Override
      public String name() {
        return "test";
      }

      @Override
      public synchronized void send(byte[] note) throws DeliveryException {
        if (!up.get()) {
          refusals.countDown();
          throw new DeliveryException("down", true);
        }
        delivered.add(new String(note, StandardCharsets.UTF_8));
      }
    };
  }

  @Test
  void deadWitness_isOneAuditEntry_notOnePerCheckpoint_andRecoveryCountsTheMissed() throws Exception {
    up.set(false);
    CheckpointWitness w = CheckpointWitness.start(scripted(), audit, d -> waits.add(d));
    for (int i = 0; i < 3; i++) {
      w.accept("note " + i + "\n");
    }
    List<AuditEvent> failing = audit.await(CheckpointWitness.TYPE, 1);
    assertThat(failing.get(0).outcome()).isEqualTo("failing");
    assertThat(failing.get(0).details()).containsEntry("attempts", "5").containsEntry("reason", "down");
    refusals.await(); // all three notes given up
    up.set(true);
    w.accept("note 3\n");
    List<AuditEvent> both = audit.await(CheckpointWitness.TYPE, 2);
    w.close();
    assertThat(both.get(1).outcome()).isEqualTo("recovered");
    assertThat(both.get(1).details()).containsEntry("missed", "3");
    assertThat(audit.ofType(CheckpointWitness.TYPE)).hasSize(2);
    assertThat(delivered).containsExactly("note 3\n");
    assertThat(waits).startsWith(java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2),
        java.time.Duration.ofSeconds(4), java.time.Duration.ofSeconds(8));
  }

  @Test
  @Timeout(30)
  void accept_neverWaitsForAStuckWitness_andKeepsTheNewestNotes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    List<String> got = new ArrayList<>();
    CheckpointWitness w = CheckpointWitness.start(new CheckpointWitness.Target() {
      @Override
      public String name() {
        return "stuck";
      }

      @Override
      public void send(byte[] note) throws InterruptedException {
        entered.countDown();
        release.await();
        synchronized (got) {
          got.add(new String(note, StandardCharsets.UTF_8));
        }
      }
    }, audit, d -> { });
    w.accept("first\n");
    entered.await(); // the worker is inside send, held
    for (int i = 0; i < CheckpointWitness.QUEUE_BOUND + 10; i++) {
      w.accept("n" + i + "\n"); // returns at once although nothing can be delivered
    }
    release.countDown();
    w.close();
    synchronized (got) {
      assertThat(got).first().isEqualTo("first\n");
      assertThat(got).last().isEqualTo("n" + (CheckpointWitness.QUEUE_BOUND + 9) + "\n");
      assertThat(got).doesNotContain("n0\n").hasSize(1 + CheckpointWitness.QUEUE_BOUND);
    }
  }

  @Test
  void fileTarget_appendsWholeNotes_withOwnerOnlyMode() throws Exception {
    Path file = tmp.resolve("witness");
    CheckpointWitness.Target t = CheckpointWitness.file(file);
    t.send("a\n".getBytes(StandardCharsets.UTF_8));
    t.send("b\n".getBytes(StandardCharsets.UTF_8));
    assertThat(Files.readString(file)).isEqualTo("a\nb\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
  }
}
