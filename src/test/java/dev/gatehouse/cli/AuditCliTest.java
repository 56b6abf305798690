package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.MerkleProofs;
import dev.gatehouse.audit.Rfc6962;
import dev.gatehouse.testing.TestHome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit log as the owner meets it: every decision recorded, verify, tail, prove, checkpoints. */
class AuditCliTest extends CliTestBase {
  private void someActivity() {
    assertThat(run("init")).isZero();
    stdin = "value-of-the-secret\n".getBytes();
    assertThat(run("vault", "add", "sonarr.apikey")).isZero();
    assertThat(run("totp", "setup")).isZero();
    assertThat(run("totp", "status")).isEqualTo(4);
  }

  @Test
  void everyDecision_isRecorded_andTheLogVerifies() {
    someActivity();
    assertThat(run("audit", "verify")).as(err).isZero();
    // the four decisions (init's trust levels among them), and the vault's generations: adopted at init,
    // intended and committed per write
    assertThat(out).contains("audit log intact: 9 entries").contains("signature and root verified");
    assertThat(run("audit", "tail", "-n", "10")).isZero();
    assertThat(out.lines()).hasSize(9);
    assertThat(out.lines().filter(l -> !l.contains("\"type\":\"vault.write\""))).hasSize(4);
    assertThat(out).contains("\"type\":\"home.init\"").contains("\"type\":\"trust.change\"").contains("\"type\":\"vault.add\"")
        .contains("\"type\":\"totp.setup\"").doesNotContain("value-of-the-secret");
    assertThat(run("audit", "tail", "--type", "vault.add")).isZero();
    assertThat(out.lines()).hasSize(1);
  }

  @Test
  void prove_printsAnInclusionProofThatVerifiesOffline() throws Exception {
    someActivity();
    assertThat(run("audit", "prove", "1")).as(err).isZero();
    JsonNode p = new ObjectMapper().readTree(out);
    List<byte[]> proof = new ArrayList<>();
    p.get("inclusion_proof").forEach(h -> proof.add(HexFormat.of().parseHex(h.asText())));
    byte[] leaf = Rfc6962.leafHash(p.get("entry").asText().getBytes(StandardCharsets.US_ASCII));
    assertThat(HexFormat.of().formatHex(leaf)).isEqualTo(p.get("leaf_hash").asText());
    MerkleProofs.verifyInclusion(1, p.get("tree_size").asLong(), leaf, proof,
        Base64.getDecoder().decode(p.get("root").asText()));
    assertThat(p.get("checkpoint").asText()).contains(p.get("root").asText());
    assertThat(run("audit", "prove", "99")).isEqualTo(2);
  }

  @Test
  void aKeptCheckpoint_laterProvesTheLogStillExtendsIt() throws Exception {
    someActivity();
    assertThat(run("audit", "checkpoint")).isZero();
    Path kept = temp.resolve("kept-checkpoint.txt");
    Files.writeString(kept, out);
    assertThat(err).contains("verifier key: gatehouse.audit/");
    stdin = "another\n".getBytes();
    run("vault", "add", "other.secret");
    assertThat(run("audit", "verify", "--checkpoint", kept.toString())).as(err).isZero();
    assertThat(out).contains("older checkpoint (size 9): consistent");
  }

  @Test
  void aChangedEntry_makesVerifyExitOne_namingIt() throws Exception {
    someActivity();
    Path seg = home.resolve("audit").resolve("segment-000001.jsonl");
    Files.writeString(seg, Files.readString(seg).replace("sonarr.apikey", "radarr.apikey"));
    assertThat(run("audit", "verify")).isEqualTo(1);
    assertThat(err).startsWith("gatehouse: audit log NOT intact: seq 3 ").contains("hash does not match");
  }

  @Test
  void auditHash_givesTheTagThatStandsForAValue_inTheLog() throws Exception {
    someActivity();
    stdin = "value-of-the-secret\n".getBytes();
    assertThat(run("audit", "hash")).isZero();
    String tag = out.strip();
    assertThat(tag).matches("hmac-sha256:[0-9a-f]{64}");
    // An event that mentions the secret (say, an upstream echoed it) is written with the tag.
    try (Gatehouse g = TestHome.open(home, clock, "test-password")) {
      g.audit().record(new AuditEvent("broker.call", "agent", "sonarr", "ok", Map.of("echo", "value-of-the-secret")));
    }
    String log = Files.readString(home.resolve("audit").resolve("segment-000001.jsonl"));
    assertThat(log).contains(tag).doesNotContain("value-of-the-secret");
  }

  @Test
  void whenTheAuditLogCannotBeWritten_theDecisionIsRefused() throws Exception {
    someActivity();
    Path seg = home.resolve("audit").resolve("segment-000001.jsonl");
    Files.delete(seg);
    Files.createDirectories(seg.resolve("blocked"));
    Files.setPosixFilePermissions(seg, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(seg.resolve("blocked"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    stdin = "x-value\n".getBytes();
    assertThat(run("vault", "add", "new.secret")).isEqualTo(1);
    assertThat(err).contains("audit log in").contains("cannot be").contains("fail closed");
  }
}
