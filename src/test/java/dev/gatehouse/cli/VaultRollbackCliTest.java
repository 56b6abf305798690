package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An older copy of vault.gh put in place is refused; the newer one opens; the owner may accept the older one. */
class VaultRollbackCliTest extends CliTestBase {
  private Path vault;
  private Path older;
  private Path newer;

  private int add(String name, String value) {
    stdin = (value + "\n").getBytes(StandardCharsets.UTF_8);
    return run("vault", "add", name);
  }

  /** A home whose vault held {@code old.secret} in the older copy and {@code new.secret} (not old) in the newer. */
  private void twoGenerations() throws Exception {
    assertThat(run("init")).isZero();
    assertThat(add("old.secret", "old-value-1")).isZero();
    vault = home.resolve(Gatehouse.VAULT_FILE);
    older = temp.resolve("vault.older");
    Files.copy(vault, older);
    assertThat(add("new.secret", "new-value-2")).isZero();
    assertThat(run("vault", "rm", "old.secret")).isZero();
    newer = temp.resolve("vault.newer");
    Files.copy(vault, newer);
  }

  private void put(Path copy) throws Exception {
    Files.copy(copy, vault, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void olderCopy_isRefused_exitOne_andTheNewerOneOpensAgain() throws Exception {
    twoGenerations();
    put(older);
    for (List<String> command : List.of(List.of("vault", "list"), List.of("vault", "add", "x"),
        List.of("agent", "list"), List.of("audit", "hash"), List.of("totp", "status"))) {
      stdin = "v\n".getBytes(StandardCharsets.UTF_8);
      assertThat(run(command.toArray(String[]::new))).as(command + ": " + err).isEqualTo(1);
      assertThat(err).startsWith("gatehouse: vault.gh is generation ")
          .contains(", older than the audit log's record of it: the log expects generation ")
          .contains("gatehouse vault accept-rollback")
          .doesNotContain("old-value-1");
    }
    put(newer);
    assertThat(run("vault", "list")).as(err).isZero();
    assertThat(out).contains("new.secret").doesNotContain("old.secret");
    assertThat(run("audit", "verify")).as(out + err).isZero();
    assertThat(run("audit", "tail", "-n", "1000")).isZero();
    assertThat(out).contains("\"type\":\"vault.open\"").contains("refused-rollback");
  }

  @Test
  void aVaultOlderThanTheAuditLog_withoutItsKeys_isRefused_andNoKeyIsMadeAnew() throws Exception {
    twoGenerations();
    Path fresh = temp.resolve("fresh.gh"); // as vault.gh was before init gave the log its keys
    new dev.gatehouse.vault.Vault(fresh, new java.security.SecureRandom(), java.time.Clock.systemUTC())
        .create(new dev.gatehouse.vault.Credential.Password("test-password".toCharArray()),
            new dev.gatehouse.vault.KdfParams(8 * 1024, 1, 1));
    put(fresh);
    byte[] before = Files.readAllBytes(vault);
    assertThat(run("vault", "list")).isEqualTo(1);
    assertThat(err).contains("vault.gh has no audit keys, but the audit log in").contains("older than the log");
    assertThat(Files.readAllBytes(vault)).isEqualTo(before);
  }

  @Test
  void aRunningHome_likeTheDaemon_refusesAnOlderCopySwappedInUnderIt() throws Exception {
    twoGenerations();
    try (Gatehouse daemon = dev.gatehouse.testing.TestHome.open(home, clock, "test-password")) {
      assertThat(daemon.vault().contains("new.secret")).isTrue();
      assertThat(add("while.open", "value-while-open")).isZero(); // another process writes: the daemon follows
      assertThat(daemon.vault().contains("while.open")).isTrue();
      Path newest = temp.resolve("vault.newest");
      Files.copy(vault, newest);
      put(older);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> daemon.vault().contains("old.secret"))
          .isInstanceOf(dev.gatehouse.error.RefusedException.class)
          .hasMessageContaining("older than the audit log's record of it");
      put(newer);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> daemon.vault().contains("new.secret"))
          .as("newer than the pair, but older than the write made while open")
          .isInstanceOf(dev.gatehouse.error.RefusedException.class);
      put(newest);
      assertThat(daemon.vault().contains("while.open")).isTrue();
    }
  }

  @Test
  void olderCopy_acceptedByTheOwner_opensAndTheAcceptanceIsAudited() throws Exception {
    twoGenerations();
    put(older);
    assertThat(run("vault", "accept-rollback")).isEqualTo(2);
    assertThat(err).contains("--yes");
    assertThat(run(answering("no"), "vault", "accept-rollback")).isEqualTo(1);
    assertThat(out).contains("vault.gh is generation ").contains("The audit log expects generation ")
        .contains("Nothing changed.");
    assertThat(run("vault", "list")).isEqualTo(1);

    assertThat(run(answering("accept"), "vault", "accept-rollback")).as(err).isZero();
    assertThat(out).contains("Accepted: generation ");
    assertThat(run("vault", "list")).as(err).isZero();
    assertThat(out).contains("old.secret").doesNotContain("new.secret");
    assertThat(run("audit", "tail", "-n", "1000")).isZero();
    assertThat(out).contains("\"outcome\":\"accepted\"").contains("\"actor\":\"cli:tester\"")
        .contains("expected_generation");
    assertThat(run("audit", "verify")).as(out + err).isZero();

    // the newer file is now the one that does not match what the log accepted
    put(newer);
    assertThat(run("vault", "list")).isEqualTo(1);
    put(older);
    assertThat(add("after.accept", "v3-value")).as(err).isZero();
    assertThat(run("vault", "accept-rollback")).isZero();
    assertThat(out).contains("Nothing to accept");
  }

  @Test
  void everyWrite_isRecordedWithItsGenerationAndHash_andSignedInTheCheckpoint() throws Exception {
    assertThat(run("init")).isZero();
    assertThat(add("a.secret", "value-a")).isZero();
    String sha = dev.gatehouse.Sha256.hex(Files.readAllBytes(home.resolve(Gatehouse.VAULT_FILE)));
    String header = new String(Files.readAllBytes(home.resolve(Gatehouse.VAULT_FILE)), StandardCharsets.UTF_8)
        .lines().findFirst().orElseThrow();
    assertThat(header).matches("gatehouse-vault 2 [1-9][0-9]*");
    String generation = header.substring("gatehouse-vault 2 ".length());
    assertThat(run("vault", "status")).isZero();
    assertThat(out).contains("Generation: " + generation + " (unverified here");
    assertThat(run("audit", "tail", "-n", "1000")).isZero();
    assertThat(out.lines().filter(l -> l.contains("\"type\":\"vault.write\"") && l.contains("\"outcome\":\"intended\""))
        .allMatch(l -> l.contains("\"actor\":\"cli:tester\""))).isTrue();
    assertThat(out).contains("\"type\":\"vault.write\"").contains("\"outcome\":\"intended\"")
        .contains("\"outcome\":\"committed\"")
        .contains("\"generation\":\"" + generation + "\",\"sha256\":\"" + sha + "\"");
    String checkpoint = Files.readString(home.resolve(Gatehouse.AUDIT_DIR).resolve("checkpoint"));
    assertThat(checkpoint).contains("\ngatehouse.vault " + generation + " " + sha + "\n");
  }
}
