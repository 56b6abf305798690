package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Two replicas' homes on one database, as their owner runs the command line on each machine. */
class SharedVaultCliTest extends CliTestBase {
  static final byte[] MACHINE_B = "machine-id=4567\nhostname=other".getBytes(StandardCharsets.UTF_8);

  private void on(Path replica, byte[] machineOf) {
    home = replica;
    machine = machineOf;
  }

  @Test
  void vaultSeal_onEachReplica_letsEachStartWithoutThePassword_andBothSeeOneVault() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    Path a = temp.resolve("a");
    Path b = temp.resolve("b");
    for (Path r : new Path[] {a, b}) {
      home = r;
      assertThat(run("init")).as(err).isZero();
      PgDatabases.usePostgres(r, d);
    }
    on(a, MACHINE);
    assertThat(run("vault", "seal", "--kdf-memory-mib", "8", "--kdf-iterations", "1")).as(err).isZero();
    assertThat(out).contains("the other replicas' stay");
    on(b, MACHINE_B);
    assertThat(run("vault", "seal", "--kdf-memory-mib", "8", "--kdf-iterations", "1")).as(err).isZero();
    stdin = "v1\n".getBytes(StandardCharsets.UTF_8);
    assertThat(runRaw(terminal, "vault", "add", "service.key")).as(err).isZero(); // no password: b's machine
    on(a, MACHINE);
    assertThat(runRaw(terminal, "vault", "list")).as(err).isZero(); // no password: a's machine
    assertThat(out).contains("service.key");
    assertThat(runRaw(terminal, "vault", "status")).as(err).isZero();
    assertThat(out).contains("this replica's vault.gh").contains("for this machine");
    on(a, MACHINE_B); // a's home on b's machine: neither slot of a's vault.gh is this machine's
    assertThat(runRaw(terminal, "vault", "list")).isNotZero();
    assertThat(Files.readString(a.resolve("gatehouse.yaml"))).contains("backend: postgres");
  }

  @Test
  void vaultPasswd_onAReplica_changesItsVaultGhAndTheSharedVault() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    assertThat(run("init")).as(err).isZero();
    PgDatabases.usePostgres(home, d);
    stdin = "a new password\n".getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "passwd", "--password-stdin", "--kdf-memory-mib", "8", "--kdf-iterations", "1"))
        .as(err).isZero();
    assertThat(run("vault", "list")).as("the old password opens neither").isNotZero();
    Files.writeString(passwordFile, "a new password\n");
    assertThat(run("vault", "list")).as(err).isZero();
  }

  @Test
  void backup_ofAHomeWhoseVaultIsInTheDatabase_isRefusedByName() throws Exception {
    assertThat(run("init")).as(err).isZero();
    PgDatabases.usePostgres(home, TestPostgres.shared().newDatabase());
    assertThat(run("backup", temp.resolve("b.ghb").toString())).isNotZero();
    assertThat(err).contains("the vault is in the database").doesNotContain("Exception");
  }
}
