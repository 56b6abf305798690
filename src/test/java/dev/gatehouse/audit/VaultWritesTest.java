package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.vault.VaultVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the log knows of the vault's generations: the fold, the verdicts, the signed form. */
class VaultWritesTest {
  @TempDir
  Path temp;

  private static VaultVersion v(long generation, int hash) {
    return new VaultVersion(generation, HexFormat.of().formatHex(dev.gatehouse.Sha256.of(new byte[] {(byte) hash})));
  }

  private static VaultWrites fold(Object... outcomeAndVersion) {
    VaultWrites w = VaultWrites.NONE;
    for (int i = 0; i < outcomeAndVersion.length; i += 2) {
      w = w.apply(VaultWrites.TYPE, (String) outcomeAndVersion[i], VaultWrites.details((VaultVersion) outcomeAndVersion[i + 1]));
    }
    return w;
  }

  @Test
  void judge_admitsCurrentPendingAndNewer_refusesOlderAndDifferent() {
    VaultWrites w = fold(VaultWrites.ADOPTED, v(3, 3), VaultWrites.INTENDED, v(4, 4), VaultWrites.COMMITTED, v(4, 4));
    assertThat(w).isEqualTo(new VaultWrites(v(4, 4), null, 4));
    assertThat(w.judge(v(4, 4))).isEqualTo(VaultWrites.Verdict.CURRENT);
    assertThat(w.judge(v(5, 9))).isEqualTo(VaultWrites.Verdict.NEWER);
    assertThat(w.judge(v(3, 3))).isEqualTo(VaultWrites.Verdict.ROLLED_BACK);
    assertThat(w.judge(v(4, 7))).isEqualTo(VaultWrites.Verdict.DIFFERENT);

    VaultWrites pending = w.apply(VaultWrites.TYPE, VaultWrites.INTENDED, VaultWrites.details(v(5, 5)));
    assertThat(pending.judge(v(5, 5))).as("the write reached its rename").isEqualTo(VaultWrites.Verdict.COMPLETED);
    assertThat(pending.judge(v(4, 4))).as("the write never did").isEqualTo(VaultWrites.Verdict.NOT_CARRIED_OUT);
    assertThat(pending.judge(v(5, 6))).isEqualTo(VaultWrites.Verdict.DIFFERENT);
    assertThat(pending.judge(v(3, 3))).isEqualTo(VaultWrites.Verdict.ROLLED_BACK);
    assertThat(pending.apply(VaultWrites.TYPE, VaultWrites.ABANDONED, VaultWrites.details(v(5, 5))))
        .isEqualTo(new VaultWrites(v(4, 4), null, 5));
  }

  @Test
  void afterAnAcceptance_theDiscardedNewerFile_isNotNewer_andTheNextWriteGoesAboveIt() {
    VaultWrites w = fold(VaultWrites.ADOPTED, v(1, 1), VaultWrites.COMMITTED, v(2, 2), VaultWrites.COMMITTED, v(3, 3),
        VaultWrites.ACCEPTED, v(1, 1));
    assertThat(w.judge(v(1, 1))).isEqualTo(VaultWrites.Verdict.CURRENT);
    assertThat(w.judge(v(3, 3))).isEqualTo(VaultWrites.Verdict.DIFFERENT);
    assertThat(w.generationAfter(v(1, 1))).isEqualTo(4);
    assertThat(w.extensions()).containsExactly("gatehouse.vault 1 " + v(1, 1).sha256(), "gatehouse.vault-highest 3");
  }

  @Test
  void otherTypes_andMalformedDetails_changeNothing() {
    VaultWrites w = fold(VaultWrites.ADOPTED, v(1, 1));
    assertThat(w.apply("vault.add", VaultWrites.COMMITTED, VaultWrites.details(v(9, 9)))).isEqualTo(w);
    assertThat(w.apply(VaultWrites.TYPE, VaultWrites.COMMITTED, Map.of("generation", "09", "sha256", v(9, 9).sha256())))
        .isEqualTo(w);
    assertThat(w.apply(VaultWrites.TYPE, VaultWrites.COMMITTED, Map.of("generation", "9", "sha256", "[REDACTED]")))
        .isEqualTo(w);
  }

  @Provide
  Arbitrary<VaultWrites> states() {
    Arbitrary<VaultVersion> version = Combinators.combine(Arbitraries.longs().between(0, 1L << 40),
        Arbitraries.integers().between(0, 255)).as(VaultWritesTest::v);
    return Combinators.combine(version.injectNull(0.3), version.injectNull(0.5), Arbitraries.longs().between(0, 5))
        .as((c, p, extra) -> new VaultWrites(c, p, Math.max(c == null ? -1 : c.generation(),
            p == null ? -1 : p.generation()) + extra));
  }

  @Property(tries = 300)
  void extensions_roundTrip(@ForAll("states") VaultWrites state) {
    assertThat(VaultWrites.fromExtensions(state.extensions())).isEqualTo(state);
  }

  @Test
  void fromExtensions_refusesMalformedLines() {
    String two = "gatehouse.vault 2 " + v(2, 2).sha256();
    for (List<String> bad : List.of(List.of("gatehouse.vault 1"), List.of("gatehouse.vault 01 " + v(1, 1).sha256()),
        List.of("gatehouse.vault 1 " + v(1, 1).sha256().toUpperCase()), List.of(two, two),
        List.of(two, "gatehouse.vault-highest 2"), List.of("gatehouse.vault-highest 3", "gatehouse.vault-highest 3"))) {
      assertThatThrownBy(() -> VaultWrites.fromExtensions(bad)).as(bad.toString())
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(VaultWrites.fromExtensions(List.of("someone.else's extension"))).isEqualTo(VaultWrites.NONE);
  }

  @Test
  void theLog_signsItsVaultState_andReadsItBackFromTheCheckpoint_orFromEveryEntry() throws Exception {
    AuditTesting t = new AuditTesting();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    Path dir = temp.resolve("audit");
    VaultWrites expected;
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      log.recordVaultWrite("cli:t", VaultWrites.ADOPTED, VaultWrites.details(v(1, 1)), false);
      log.record(AuditTesting.event("between"));
      log.recordVaultWrite("cli:t", VaultWrites.INTENDED, VaultWrites.details(v(2, 2)), true);
      assertThat(Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE)))
          .contains("\ngatehouse.vault 1 " + v(1, 1).sha256() + "\ngatehouse.vault-pending 2 " + v(2, 2).sha256() + "\n");
      log.recordVaultWrite("cli:t", VaultWrites.COMMITTED, VaultWrites.details(v(2, 2)), false);
      expected = log.vaultWrites();
    }
    assertThat(expected).isEqualTo(new VaultWrites(v(2, 2), null, 2));
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      assertThat(log.vaultWrites()).as("from the checkpoint and tip").isEqualTo(expected);
    }
    Files.writeString(dir.resolve(FileAuditLog.TIP_FILE), "{}");
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      assertThat(log.vaultWrites()).as("from every entry").isEqualTo(expected);
    }
    Files.delete(dir.resolve(FileAuditLog.CHECKPOINT_FILE));
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      assertThat(log.vaultWrites()).as("without a checkpoint").isEqualTo(expected);
    }
    assertThat(AuditVerifier.verify(dir, t.verifier, null).problem()).isNull();
  }

  @Test
  void aCheckpointThatMisstatesTheVault_isCaughtByVerify() throws Exception {
    AuditTesting t = new AuditTesting();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    Path dir = temp.resolve("audit");
    try (FileAuditLog log = t.open(dir, clock, FileAuditLog.Settings.DEFAULT)) {
      log.recordVaultWrite("cli:t", VaultWrites.ADOPTED, VaultWrites.details(v(1, 1)), false);
      log.recordVaultWrite("cli:t", VaultWrites.COMMITTED, VaultWrites.details(v(2, 2)), true);
    }
    Checkpoint cp = AuditVerifier.latestCheckpoint(dir, t.verifier);
    Checkpoint lying = new Checkpoint(cp.origin(), cp.size(), cp.root(), new VaultWrites(v(1, 1), null, 1).extensions());
    Files.writeString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), lying.sign(t.verifier, t.keys.getPrivate()),
        StandardCharsets.UTF_8);
    assertThat(AuditVerifier.verify(dir, t.verifier, null).problem())
        .startsWith("the latest checkpoint (size 2) states the vault as generation 1")
        .contains("but its entries say generation 2");
  }

  @Test
  void vaultWriteDetails_areNotScrubbed_butOnlyDecimalOrHexGoesThroughThatWay() throws Exception {
    AuditTesting t = new AuditTesting();
    Path dir = temp.resolve("audit");
    try (FileAuditLog log = t.open(dir, new MutableClock(Instant.parse("2026-11-22T10:00:00Z")),
        FileAuditLog.Settings.DEFAULT)) {
      assertThatThrownBy(() -> log.recordVaultWrite("cli:t", VaultWrites.ADOPTED,
          Map.of("generation", AuditTesting.CANARY), false)).isInstanceOf(IllegalArgumentException.class);
      log.recordVaultWrite(AuditTesting.CANARY, VaultWrites.ADOPTED, VaultWrites.details(v(1, 1)), false);
    }
    String log = Files.readString(FileAuditLog.segments(dir).get(0));
    assertThat(log).doesNotContain(AuditTesting.CANARY).contains(v(1, 1).sha256());
  }
}
