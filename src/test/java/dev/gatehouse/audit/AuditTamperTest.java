package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way of rewriting a log is caught and named precisely by verify. */
class AuditTamperTest {
  @TempDir
  Path temp;

  private final AuditTesting t = new AuditTesting();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
  private Path dir;
  private Path segment;
  private String olderCheckpoint;

  @BeforeEach
  void twentyEntries() throws Exception {
    dir = temp.resolve("audit");
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 0; i < 12; i++) {
        log.record(AuditTesting.event("e" + i));
      }
    }
    olderCheckpoint = Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE)); // kept elsewhere, size 12
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 12; i < 20; i++) {
        log.record(AuditTesting.event("e" + i));
      }
    }
    segment = FileAuditLog.segments(dir).get(0);
    assertThat(verify(null).problem()).isNull();
  }

  private AuditVerifier.Result verify(String older) throws Exception {
    return AuditVerifier.verify(dir, t.verifier, older);
  }

  private List<String> lines() throws Exception {
    return new ArrayList<>(Files.readAllLines(segment, StandardCharsets.US_ASCII));
  }

  private void write(List<String> lines) throws Exception {
    Files.writeString(segment, String.join("\n", lines) + "\n", StandardCharsets.US_ASCII);
  }

  @Test
  void oneFlippedByte_isNamed() throws Exception {
    List<String> l = lines();
    l.set(5, l.get(5).replace("\"e5\"", "\"f5\""));
    write(l);
    assertThat(verify(null).problem()).startsWith("seq 5 ").contains("hash does not match its content");
  }

  @Test
  void aDeletedLine_isNamed() throws Exception {
    List<String> l = lines();
    l.remove(7);
    write(l);
    assertThat(verify(null).problem()).startsWith("seq 7 ").contains("found seq 8 instead");
  }

  @Test
  void twoSwappedLines_areNamed() throws Exception {
    List<String> l = lines();
    String three = l.get(3);
    l.set(3, l.get(4));
    l.set(4, three);
    write(l);
    assertThat(verify(null).problem()).startsWith("seq 3 ").contains("found seq 4 instead");
  }

  @Test
  void aTruncatedTail_isNamed() throws Exception {
    List<String> l = lines();
    write(l.subList(0, 17));
    assertThat(verify(null).problem()).contains("has 17 entries but a checkpoint signed 20")
        .contains("from seq 17 on are missing");
  }

  @Test
  void aRewrittenHistory_withRecomputedChainTreeAndSignature_isCaughtByAnOlderCheckpoint() throws Exception {
    // The attacker holds the signing key: rewrites entry 3, recomputes every hash after it,
    // and signs a fresh checkpoint. The log alone now verifies...
    List<String> l = lines();
    List<String> forged = new ArrayList<>();
    String prev = AuditRecord.GENESIS;
    CompactRange range = new CompactRange();
    for (int i = 0; i < l.size(); i++) {
      AuditRecord r = AuditRecord.parse(l.get(i).getBytes(StandardCharsets.US_ASCII));
      AuditEvent e = new AuditEvent(r.type(), r.actor(), i == 3 ? "nothing happened here" : r.target(), r.outcome(),
          r.details());
      AuditRecord f = AuditRecord.create(i, r.time(), e, prev);
      forged.add(new String(f.line(), StandardCharsets.US_ASCII));
      range.append(Rfc6962.leafHash(f.line()));
      prev = f.hash();
    }
    write(forged);
    Files.writeString(dir.resolve(FileAuditLog.CHECKPOINT_FILE),
        new Checkpoint(t.verifier.name(), range.size(), range.root()).sign(t.verifier, t.keys.getPrivate()));
    assertThat(verify(null).problem()).isNull();
    // ... but not against the checkpoint the owner kept elsewhere.
    assertThat(verify(olderCheckpoint).problem()).contains("not an extension of the given checkpoint (size 12)")
        .contains("history before seq 12 was rewritten");
  }

  @Test
  void aRewrittenHistory_withoutTheKey_isCaughtByTheLatestCheckpoint() throws Exception {
    List<String> l = lines();
    List<String> forged = new ArrayList<>();
    String prev = AuditRecord.GENESIS;
    for (int i = 0; i < l.size(); i++) {
      AuditRecord r = AuditRecord.parse(l.get(i).getBytes(StandardCharsets.US_ASCII));
      AuditRecord f = AuditRecord.create(i, r.time(), new AuditEvent(r.type(), r.actor(),
          i == 2 ? "forged" : r.target(), r.outcome(), r.details()), prev);
      forged.add(new String(f.line(), StandardCharsets.US_ASCII));
      prev = f.hash();
    }
    write(forged);
    assertThat(verify(null).problem()).contains("differs from the latest checkpoint");
  }

  @Test
  void anOlderCheckpoint_ofAnIntactLog_isConsistent() throws Exception {
    assertThat(verify(olderCheckpoint).problem()).isNull();
    assertThat(verify(olderCheckpoint).older().size()).isEqualTo(12);
  }

  @Test
  void aCheckpointSignedByAnotherKey_isRefused() throws Exception {
    AuditTesting other = new AuditTesting();
    Files.writeString(dir.resolve(FileAuditLog.CHECKPOINT_FILE),
        new Checkpoint(t.verifier.name(), 20, new byte[32]).sign(t.verifier, other.keys.getPrivate()));
    assertThat(verify(null).problem()).startsWith("checkpoint: ").contains("signature is wrong");
  }
}
