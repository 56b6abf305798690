package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.vault.VaultVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract of {@link HeldAuditLog}, run against both backends: a home's files and PostgreSQL. */
class HeldAuditLogContractTest {
  private static final FileAuditLog.Settings RARELY = AuditTesting.RARELY;

  private final AuditTesting t = new AuditTesting();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));

  @TempDir
  Path tmp;

  private HeldAuditLog open(String backend) throws Exception {
    if (backend.equals("file")) {
      return t.open(tmp.resolve("audit"), clock, RARELY);
    }
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    return PgAuditLog.open(d.connector(), clock, t.redactor, t.verifier, t.keys.getPrivate(), RARELY,
        Metrics.NONE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "postgres"})
  void record_consecutiveSeqs_redacted_vaultState_checkpoints_andEvidence(String backend) throws Exception {
    List<String> witnessed = new ArrayList<>();
    try (HeldAuditLog log = open(backend)) {
      log.onCheckpoint(witnessed::add);
      long first = log.record(AuditTesting.event("zero"));
      assertThat(log.record(new AuditEvent("t", "a", "uses " + AuditTesting.CANARY, "ok", java.util.Map.of())))
          .isEqualTo(first + 1);
      log.recordEventually(AuditTesting.event("eventually"));
      VaultVersion v = new VaultVersion(3, HexFormat.of().formatHex(dev.gatehouse.Sha256.of(new byte[] {3})));
      log.recordVaultWrite("cli:t", VaultWrites.ADOPTED, VaultWrites.details(v), true); // signed at once
      assertThat(log.vaultWrites()).isEqualTo(new VaultWrites(v, null, 3));
      assertThat(log.size()).isEqualTo(first + 4);
      assertThat(witnessed).isNotEmpty();
      Checkpoint cp = Checkpoint.verify(witnessed.get(witnessed.size() - 1), t.verifier);
      assertThat(cp.size()).isEqualTo(first + 4);
      assertThat(cp.extensions()).containsExactly("gatehouse.vault 3 " + v.sha256());

      InclusionEvidence e = log.evidence(first + 1);
      assertThat(e.entry()).contains("hmac-sha256:").doesNotContain(AuditTesting.CANARY);
      MerkleProofs.verifyInclusion(first + 1, e.treeSize(), e.leafHash(), e.proof(), cp.root());
      assertThat(AuditRecord.parse(e.entry().getBytes(StandardCharsets.US_ASCII)).seq()).isEqualTo(first + 1);
      assertThatThrownBy(() -> log.evidence(first + 99)).hasMessageContaining("no entry");
      assertThatThrownBy(() -> log.recordVaultWrite("cli:t", VaultWrites.ADOPTED, java.util.Map.of("generation",
          "not hex"), false)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
