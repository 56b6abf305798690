package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InclusionEvidenceTest {
  @TempDir
  Path temp;

  private final AuditTesting t = new AuditTesting();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T17:00:00Z"));

  private Path dir() {
    return temp.resolve("audit");
  }

  /** 30 entries under a checkpoint of size 30, then 5 that no checkpoint covers. */
  private void thirtySignedFiveNot() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 0; i < 30; i++) {
        log.record(AuditTesting.event("e" + i));
      }
    }
    String at30 = note();
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 30; i < 35; i++) {
        log.record(AuditTesting.event("e" + i));
      }
    }
    // Closing signed size 35; put back the one of size 30 (what a writer still running shows).
    Files.writeString(dir().resolve(FileAuditLog.CHECKPOINT_FILE), at30);
  }

  private String note() throws Exception {
    return Files.readString(dir().resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8);
  }

  @Test
  void of_anEntryTheCheckpointCovers_isProvedAgainstIt() throws Exception {
    thirtySignedFiveNot();
    InclusionEvidence e = InclusionEvidence.of(dir(), t.verifier, 10);
    assertThat(e.newerThanCheckpoint()).isFalse();
    assertThat(e.treeSize()).isEqualTo(30);
    assertThat(e.checkpoint()).isEqualTo(note());
    assertThat(e.verifierKey()).isEqualTo(t.verifier.text());
    assertThat(Checkpoint.verify(e.checkpoint(), t.verifier).root()).isEqualTo(e.root());
    assertThat(e.entry()).startsWith("{\"v\":1,\"seq\":10,").contains("\"target\":\"e10\"");
    assertThat(e.leafHash()).isEqualTo(Rfc6962.leafHash(e.entry().getBytes(StandardCharsets.US_ASCII)));
    MerkleProofs.verifyInclusion(10, 30, e.leafHash(), e.proof(), e.root());
  }

  @Test
  void of_anEntryNewerThanTheCheckpoint_saysSo_andIsProvedAgainstTheWholeLog() throws Exception {
    thirtySignedFiveNot();
    InclusionEvidence e = InclusionEvidence.of(dir(), t.verifier, 32);
    assertThat(e.newerThanCheckpoint()).isTrue();
    assertThat(e.checkpoint()).isNull();
    assertThat(e.verifierKey()).isNull();
    assertThat(e.treeSize()).isEqualTo(35);
    MerkleProofs.verifyInclusion(32, 35, e.leafHash(), e.proof(), e.root());
    assertThat(e.toJson().get("newer_than_checkpoint").asBoolean()).isTrue();
    assertThat(e.toJson().has("checkpoint")).isFalse();
  }

  @Test
  void signed_signsACheckpointFirst_whenTheEntryIsNewer() throws Exception {
    try (FileAuditLog log = t.open(dir(), clock, FileAuditLog.Settings.DEFAULT)) {
      for (int i = 0; i < 12; i++) {
        log.record(AuditTesting.event("e" + i));
      }
      log.checkpoint();
      long seq = log.record(AuditTesting.event("late"));
      assertThat(InclusionEvidence.of(dir(), t.verifier, seq).newerThanCheckpoint()).isTrue();
      InclusionEvidence e = InclusionEvidence.signed(log, seq);
      assertThat(e.newerThanCheckpoint()).isFalse();
      assertThat(e.treeSize()).isEqualTo(13);
      assertThat(Checkpoint.verify(note(), t.verifier).size()).isEqualTo(13);
      // Covered already: no new checkpoint is signed for an older entry.
      String before = note();
      log.record(AuditTesting.event("later"));
      assertThat(InclusionEvidence.signed(log, 3).treeSize()).isEqualTo(13);
      assertThat(note()).isEqualTo(before);
    }
  }

  @Test
  void of_aCoveredEntry_ignoresALineBeingAppendedAfterTheSignedPrefix() throws Exception {
    thirtySignedFiveNot();
    Path segment = FileAuditLog.segments(dir()).getLast();
    Files.write(segment, "{\"v\":1,\"seq\":35,\"ti".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
    assertThat(InclusionEvidence.of(dir(), t.verifier, 10).treeSize()).isEqualTo(30);
    // An entry past the checkpoint needs the whole log, which now ends torn.
    assertThatThrownBy(() -> InclusionEvidence.of(dir(), t.verifier, 32)).isInstanceOf(RefusedException.class)
        .hasMessageStartingWith("audit log NOT intact: seq 35: ").hasMessageContaining("torn line");
  }

  @Test
  void of_aChangedEntryInTheSignedPrefix_isRefused() throws Exception {
    thirtySignedFiveNot();
    Path segment = FileAuditLog.segments(dir()).getFirst();
    Files.writeString(segment, Files.readString(segment).replace("\"target\":\"e7\"", "\"target\":\"e8\""));
    assertThatThrownBy(() -> InclusionEvidence.of(dir(), t.verifier, 20)).isInstanceOf(RefusedException.class)
        .hasMessageStartingWith("audit log NOT intact: seq 7 ");
  }

  @Test
  void of_aCheckpointOverAnotherTree_isRefused_notServed() throws Exception {
    thirtySignedFiveNot();
    String forged = new Checkpoint(t.verifier.name(), 30, new byte[32]).sign(t.verifier, t.keys.getPrivate());
    Files.writeString(dir().resolve(FileAuditLog.CHECKPOINT_FILE), forged);
    assertThatThrownBy(() -> InclusionEvidence.of(dir(), t.verifier, 3)).isInstanceOf(RefusedException.class)
        .hasMessage("audit log NOT intact: the Merkle root at size 30 differs from the latest checkpoint's: "
            + "entries before seq 30 were rewritten");
  }

  @Test
  void of_aCheckpointByAnotherKey_isRefused() throws Exception {
    thirtySignedFiveNot();
    var other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier otherKey = Checkpoint.Verifier.of(t.verifier.name(), Checkpoint.rawPublicKey(other.getPublic()));
    Checkpoint real = Checkpoint.verify(note(), t.verifier);
    Files.writeString(dir().resolve(FileAuditLog.CHECKPOINT_FILE), real.sign(otherKey, other.getPrivate()));
    assertThatThrownBy(() -> InclusionEvidence.of(dir(), t.verifier, 3)).isInstanceOf(RefusedException.class)
        .hasMessage("the latest audit checkpoint does not verify: no signature by " + t.verifier.name()
            + " on the checkpoint");
  }

  @Test
  void of_aLogShorterThanItsCheckpoint_isRefused() throws Exception {
    thirtySignedFiveNot();
    Path segment = FileAuditLog.segments(dir()).getFirst();
    List<String> lines = Files.readAllLines(segment);
    Files.write(segment, lines.subList(0, 20));
    assertThatThrownBy(() -> InclusionEvidence.of(dir(), t.verifier, 3)).isInstanceOf(RefusedException.class)
        .hasMessage("audit log NOT intact: the log has 20 entries but the latest checkpoint signed 30 (truncated)");
  }

  @Test
  void of_noSuchEntry_isBadInput_namingTheRange() throws Exception {
    thirtySignedFiveNot();
    for (long seq : new long[] {35, -1, Long.MAX_VALUE}) {
      assertThatThrownBy(() -> InclusionEvidence.of(dir(), t.verifier, seq)).isInstanceOf(BadInputException.class)
          .hasMessage("no entry " + seq + "; the log has 35 (0 to 34)");
    }
  }

  @Test
  void toJson_hasTheDocumentedFields_inOrder() throws Exception {
    thirtySignedFiveNot();
    ObjectNode n = InclusionEvidence.of(dir(), t.verifier, 5).toJson();
    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("seq", "entry", "leaf_hash", "tree_size", "root", "inclusion_proof",
        "checkpoint", "verifier_key", "newer_than_checkpoint");
    assertThat(n.get("root").asText()).isEqualTo(note().split("\n")[2]);
    assertThat(n.get("inclusion_proof").size()).isEqualTo(5); // ceil(log2 30)
  }
}
