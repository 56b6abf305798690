package dev.gatehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.PgVaultStorage;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code storage: backend: postgres}, the vault every store uses is the database's, shared
 * by the replicas; each replica's {@code vault.gh} opens first, for the database's password.
 */
class GatehouseSharedVaultTest {
  @TempDir
  Path temp;
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));

  Path replica(String name, TestPostgres.Database d) throws Exception {
    Path dir = TestHome.create(Files.createDirectories(temp.resolve(name)));
    PgDatabases.usePostgres(dir, d);
    return dir;
  }

  private static byte[] row(TestPostgres.Database d) throws Exception {
    try (Connection c = d.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT image FROM vault_images ORDER BY generation DESC LIMIT 1")) {
      return r.next() ? r.getBytes(1) : null;
    }
  }

  @Test
  void unseal_onAnEmptyDatabase_copiesThisHomesVault_andTheNextReplicaOpensThatCopy() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    Path b = replica("b", d);
    byte[] fileA = Files.readAllBytes(a.resolve(Gatehouse.VAULT_FILE));
    try (Gatehouse ga = TestHome.open(a, clock)) {
      assertThat(ga.vault().storage()).isInstanceOf(PgVaultStorage.class);
      assertThat(ga.localVault().file()).isEqualTo(a.resolve(Gatehouse.VAULT_FILE));
      assertThat(row(d)).as("a's vault.gh, byte for byte").isEqualTo(fileA);
    }
    try (Gatehouse gb = TestHome.open(b, clock)) {
      assertThat(row(d)).as("b opened the database's vault and left it as it was").isEqualTo(fileA);
      assertThat(gb.vault().list()).extracting(e -> e.name()).containsAll(ga(a).names());
    }
  }

  /** The entry names of a's vault.gh as a fresh embedded composition would list them. */
  private record Names(List<String> names) {}

  private Names ga(Path a) throws Exception {
    try (Gatehouse g = TestHome.open(a, clock)) {
      return new Names(g.localVault().list().stream().map(e -> e.name()).toList());
    }
  }

  @Test
  void anAgentAddedOnOneReplica_isKnownOnTheOtherAtOnce_andItsRevokeAtTheNextLookup() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    Path b = replica("b", d);
    try (Gatehouse ga = TestHome.open(a, clock); Gatehouse gb = TestHome.open(b, clock)) {
      var alice = ga.agents().add("alice", List.of("*"), "cli:test");
      assertThat(gb.agents().byKeyId(alice.keyId())).as("b knows a's new agent").isPresent();
      ga.agents().revoke("alice", "cli:test");
      assertThat(gb.agents().byKeyId(alice.keyId())).as("b's very next lookup refuses it").isEmpty();
      assertThat(gb.localVault().list()).as("b's own vault.gh never held it")
          .noneMatch(e -> e.name().contains("alice"));
    }
  }

  @Test
  void aSecretAddedOnOneReplica_isRedactedByTheOther_fromItsNextLookup_andAfterItsRemoval() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    Path b = replica("b", d);
    String canary = "sk-CANARY-replica-a-4d7e91";
    try (Gatehouse ga = TestHome.open(a, clock); Gatehouse gb = TestHome.open(b, clock)) {
      assertThat(gb.vault().contains("svc.apikey")).as("b has read the vault before a's change").isFalse();
      ga.vaultService().add("svc.apikey", canary.getBytes(StandardCharsets.UTF_8), false, "cli:test");
      try (SecretValue v = gb.vault().reveal("svc.apikey", SecretAccess.get()).orElseThrow()) {
        assertThat(v.bytes(SecretAccess.get())).as("b's next lookup uses a's new secret")
            .isEqualTo(canary.getBytes(StandardCharsets.UTF_8));
      }
      gb.audit().record(new AuditEvent("test.echo", "agent:bot", "svc.search", "allowed",
          Map.of("q", "the agent sent " + canary)));
      ga.vaultService().remove("svc.apikey", "cli:test");
      assertThat(gb.vault().contains("svc.apikey")).isFalse();
      gb.audit().record(new AuditEvent("test.echo", "agent:bot", "svc.search", "allowed",
          Map.of("q", "after its removal " + canary)));

      String log = PgDatabases.auditText(d);
      assertThat(log).as("the shared log never holds the value").doesNotContain(canary)
          .contains("the agent sent " + gb.redactor().tag(canary))
          .contains("after its removal " + gb.redactor().tag(canary));
    }
  }

  @Test
  void theDatabasePassword_isReadFromVaultGh_notFromTheSharedVault() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    try (Gatehouse ga = TestHome.open(a, clock)) {
      ga.vault().remove(PgDatabases.PASSWORD_ENTRY); // gone from the shared vault only
    }
    try (Gatehouse ga = TestHome.open(a, clock)) {
      assertThat(ga.vault().contains(PgDatabases.PASSWORD_ENTRY)).isFalse();
      assertThat(ga.localVault().contains(PgDatabases.PASSWORD_ENTRY)).isTrue();
      assertThat(ga.stateDb()).isNotNull();
    }
  }

  @Test
  void aReplicaSealedToItsMachine_opensTheSharedVaultUnattended_withItsOwnSlot() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    Path b = replica("b", d);
    Credential.MachineSeal hostA = seal("a");
    Credential.MachineSeal hostB = seal("b");
    try (Gatehouse ga = TestHome.open(a, clock)) {
      ga.localVault().sealToMachine(hostA, TestHome.FAST_KDF);
      ga.vault().sealToMachine(hostA, TestHome.FAST_KDF);
    }
    try (Gatehouse gb = TestHome.open(b, clock)) {
      gb.localVault().sealToMachine(hostB, TestHome.FAST_KDF);
      gb.vault().sealToMachine(hostB, TestHome.FAST_KDF); // keeps a's slot
      gb.vault().put("service.key", "v".getBytes(StandardCharsets.UTF_8), false);
    }
    for (var boot : List.of(List.of(a, hostA), List.of(b, hostB))) {
      try (Gatehouse g = Gatehouse.open((Path) boot.get(0), clock, new SecureRandom())) {
        g.unseal((Credential) boot.get(1)); // no password: this machine's slots in vault.gh and in the database
        assertThat(g.vault().contains("service.key")).isTrue();
      }
    }
    try (Gatehouse g = Gatehouse.open(a, clock, new SecureRandom())) {
      assertThatThrownBy(() -> g.unseal(hostB)).isInstanceOf(RefusedException.class)
          .hasMessageContaining("sealed to another machine");
    }
  }

  /** Replica {@code name} made as docs/storage.md says: a copy of {@code from}'s home, its vault.gh included. */
  private Path copyOf(Path from, String name) throws Exception {
    Path dir = Files.createDirectory(temp.resolve(name), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    for (String f : List.of(dev.gatehouse.store.Home.CONFIG_FILE, Gatehouse.VAULT_FILE)) {
      Files.copy(from.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }
    return dir;
  }

  /**
   * `vault passwd` on one replica changes its vault.gh and the shared vault; another replica's
   * vault.gh keeps its own password, and opens the shared vault with it: one master key.
   */
  @Test
  void aPasswordChangedOnOneReplica_leavesAnotherOpeningWithItsOwn() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    TestHome.open(a, clock).close(); // the database's vault: a copy of a's vault.gh
    Path b = copyOf(a, "b");
    try (Gatehouse ga = TestHome.open(a, clock);
        Credential.Password changed = new Credential.Password("changed-on-a".toCharArray())) {
      ga.vault().setPassword(changed, TestHome.FAST_KDF);
      ga.localVault().setPassword(changed, TestHome.FAST_KDF);
      ga.vault().put("added.on.a", "v".getBytes(StandardCharsets.UTF_8), false);
    }
    try (Gatehouse gb = TestHome.open(b, clock)) { // b's own (old) password
      assertThat(gb.vault().contains("added.on.a")).isTrue();
    }
    assertThatThrownBy(() -> TestHome.open(b, clock, "changed-on-a")).as("b's vault.gh has its own password")
        .hasMessageContaining("wrong password");
    try (Gatehouse ga = TestHome.open(a, clock, "changed-on-a")) {
      assertThat(ga.vault().contains("added.on.a")).isTrue();
    }
  }

  /** A replica whose vault.gh is sealed to its machine with a PIN starts with that alone: no slot of it in the database. */
  @Test
  void aReplicaSealedToItsMachineWithAPin_opensTheSharedVault_withoutASlotThere() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    TestHome.open(a, clock).close();
    Path b = copyOf(a, "b");
    Credential.MachineSeal hostB = new Credential.MachineSeal("machine-id=b\nhostname=b".getBytes(StandardCharsets.UTF_8),
        "4711".toCharArray());
    try (Gatehouse gb = TestHome.open(b, clock)) {
      gb.localVault().sealToMachine(hostB, TestHome.FAST_KDF); // vault.gh only
      gb.vault().put("service.key", "v".getBytes(StandardCharsets.UTF_8), false);
    }
    try (Gatehouse gb = Gatehouse.open(b, clock, new SecureRandom())) {
      gb.unseal(hostB);
      assertThat(gb.vault().contains("service.key")).isTrue();
      assertThat(gb.vault().status().slots()).as("the shared vault has no slot for b's machine")
          .containsExactly("password");
    }
  }

  private static Credential.MachineSeal seal(String host) {
    return new Credential.MachineSeal(("machine-id=" + host + "\nhostname=" + host).getBytes(StandardCharsets.UTF_8),
        new char[0]);
  }

  @Test
  void theSharedVaultRolledBackByHand_isRefusedByARunningReplica() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = replica("a", d);
    try (Gatehouse ga = TestHome.open(a, clock)) {
      var alice = ga.agents().add("alice", List.of("*"), "cli:test");
      byte[] before = row(d);
      ga.agents().revoke("alice", "cli:test");
      assertThat(ga.agents().byKeyId(alice.keyId())).isEmpty();
      try (Connection c = d.connect(); PreparedStatement s = c.prepareStatement(
          "DELETE FROM vault_images; INSERT INTO vault_images (generation, image) VALUES (?, ?)")) {
        s.setLong(1, Long.parseLong(new String(before, 0, 40, StandardCharsets.US_ASCII).split("[ \n]")[2]));
        s.setBytes(2, before);
        s.execute();
      }
      assertThatThrownBy(() -> ga.agents().byKeyId(alice.keyId())).isInstanceOf(RefusedException.class)
          .hasMessageContaining("refusing to use it");
    }
    // A replica that starts now never read the newer generation: the shared audit log, the
    // shared vault's ledger, still knows it.
    assertThatThrownBy(() -> TestHome.open(a, clock)).isInstanceOf(RefusedException.class)
        .hasMessageContaining("the database's vault is generation").hasMessageContaining("older than the audit log's");
  }
}
