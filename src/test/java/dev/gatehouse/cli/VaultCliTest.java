package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.otp.Enrollment;
import dev.gatehouse.otp.FileEnrollmentStore;
import dev.gatehouse.otp.TotpParameters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The vault as the owner uses it from the command line. */
class VaultCliTest extends CliTestBase {
  private int add(String name, String value, String... extra) {
    stdin = (value + "\n").getBytes(StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>(List.of("vault", "add", name));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  @Test
  void addListRemove_neverPrintTheValue() {
    assertThat(run("init")).isZero();
    assertThat(add("sonarr.apikey", "value-123")).isZero();
    assertThat(out).contains("Stored sonarr.apikey (9 bytes)").doesNotContain("value-123");
    assertThat(run("vault", "list")).isZero();
    assertThat(out).contains("sonarr.apikey").doesNotContain("value-123");
    assertThat(add("sonarr.apikey", "other")).isEqualTo(2);
    assertThat(err).contains("--replace");
    assertThat(add("sonarr.apikey", "other", "--replace")).isZero();
    assertThat(add("Bad Name", "x")).isEqualTo(2);
    assertThat(add("gatehouse.totp", "x")).isEqualTo(2);
    assertThat(err).contains("Gatehouse's own");
    assertThat(run("vault", "rm", "sonarr.apikey")).isZero();
    assertThat(run("vault", "rm", "sonarr.apikey")).isEqualTo(2);
    assertThat(run("vault", "list")).isZero();
    assertThat(out).doesNotContain("sonarr.apikey").contains("gatehouse.audit.signing-key");
  }

  @Test
  void vaultAdd_whileTheDaemonRuns_isRedactedByTheDaemon_fromItsNextLookup() throws Exception {
    assertThat(run("init")).isZero();
    String canary = "sk-CANARY-cli-while-serving-93b2";
    try (Gatehouse serving = dev.gatehouse.testing.TestHome.open(home, clock)) { // what `serve` holds open
      assertThat(serving.vault().contains("svc.apikey")).isFalse();
      assertThat(add("svc.apikey", canary)).as(err).isZero(); // another process
      assertThat(serving.vault().contains("svc.apikey")).as("the daemon's next lookup sees it").isTrue();
      serving.audit().record(new dev.gatehouse.audit.AuditEvent("test.echo", "agent:bot", "svc.search", "allowed",
          java.util.Map.of("q", "the agent sent " + canary)));
      String log = dev.gatehouse.testing.AgentCalls.auditText(home);
      assertThat(log).doesNotContain(canary).contains("the agent sent " + serving.redactor().tag(canary));
    }
  }

  @Test
  void init_atATerminal_asksForThePasswordTwice() {
    String[] init = {"init", "--kdf-memory-mib", "8", "--kdf-iterations", "1"};
    assertThat(runRaw(typing("pw-one", "pw-two"), init)).isEqualTo(2);
    assertThat(err).contains("the two entries differ; nothing was changed");
    assertThat(runRaw(typing("pw-one", "pw-one"), init)).isZero();
    assertThat(runRaw(typing("pw-one", "value", "value"), "vault", "add", "a")).as(err).isZero();
    assertThat(runRaw(typing("wrong"), "vault", "list")).isEqualTo(1);
    assertThat(runRaw(typing("pw-one"), "vault", "list")).isZero();
    assertThat(out).contains("a ");
  }

  @Test
  void wrongPassword_andDamagedFile_giveTheSameOneLine_exitOne() throws Exception {
    run("init");
    add("a", "1");
    Files.writeString(passwordFile, "not-the-password\n");
    assertThat(run("vault", "list")).isEqualTo(1);
    String wrong = err;
    assertThat(wrong).isEqualTo("gatehouse: wrong password or damaged vault file\n");

    Files.writeString(passwordFile, "test-password\n");
    Path vault = home.resolve(Gatehouse.VAULT_FILE);
    byte[] bytes = Files.readAllBytes(vault);
    for (int i : new int[] {0, bytes.length / 3, bytes.length / 2, bytes.length - 5}) {
      byte[] bad = bytes.clone();
      bad[i] ^= 0x04;
      Files.write(vault, bad);
      assertThat(run("vault", "list")).as("flip at %d", i).isEqualTo(1);
      assertThat(err).isEqualTo(wrong);
    }
  }

  @Test
  void passwordFile_mustBeOwnerOnly() throws Exception {
    run("init");
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(run("vault", "list")).isEqualTo(2);
    assertThat(err).contains("chmod 600");
  }

  @Test
  void passwd_andRotate_keepEverySecret() throws Exception {
    run("init");
    add("a", "1");
    stdin = "a brand new password\n".getBytes();
    assertThat(run("vault", "passwd", "--password-stdin", "--kdf-memory-mib", "8", "--kdf-iterations", "1")).isZero();
    assertThat(run("vault", "list")).isEqualTo(1);
    Files.writeString(passwordFile, "a brand new password\n");
    assertThat(run("vault", "rotate")).isZero();
    assertThat(out).contains("data key 2");
    assertThat(run("vault", "list")).isZero();
    assertThat(out).contains("a ");
  }

  @Test
  void status_needsNoPassword_andShowsParameters() throws Exception {
    run("init");
    add("a", "1");
    assertThat(runRaw(terminal, "vault", "status")).isZero();
    assertThat(out).contains("mode rw-------").contains("master password (Argon2id m=8 MiB, t=1, p=1)")
        .contains("Entries: 3").contains("Sealed mode: off"); // a, and the audit log's two keys
  }

  @Test
  void sealedMode_opensOnThisMachineOnly() {
    assertThat(runRaw(terminal, "init", "--sealed", "--kdf-memory-mib", "8", "--kdf-iterations", "1")).isZero();
    stdin = "v\n".getBytes();
    assertThat(runRaw(terminal, "vault", "add", "a")).as(err).isZero();
    assertThat(runRaw(terminal, "vault", "status")).isZero();
    assertThat(out).contains("sealed mode, for this machine");
    machine = "machine-id=9999\nhostname=elsewhere".getBytes();
    assertThat(runRaw(terminal, "vault", "list")).isEqualTo(2);
    assertThat(err).contains("the vault is locked");
    assertThat(runRaw(terminal, "vault", "status")).isZero();
    assertThat(out).contains("for ANOTHER machine");
  }

  @Test
  void sealedModeWithPin_needsThePin() {
    stdin = "4321\n".getBytes();
    assertThat(runRaw(terminal, "init", "--sealed", "--pin-stdin", "--kdf-memory-mib", "8", "--kdf-iterations", "1"))
        .isZero();
    assertThat(runRaw(terminal, "vault", "list")).isEqualTo(2);
    assertThat(err).contains("needs its PIN");
  }

  @Test
  void aPreVaultHome_getsItsVault_andTheTotpKeyMovesIn_overwritten() throws Exception {
    // A home as the foundation release left it: config, plaintext totp.json.
    Files.createDirectory(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.write(home.resolve("gatehouse.yaml"), new byte[0]);
    Files.setPosixFilePermissions(home.resolve("gatehouse.yaml"), PosixFilePermissions.fromString("rw-------"));
    byte[] key = "12345678901234567890".getBytes();
    Path legacy = home.resolve(Gatehouse.LEGACY_TOTP_FILE);
    new FileEnrollmentStore(legacy).save(new Enrollment(Enrollment.Status.ACTIVE, "Gatehouse", "old@host", key,
        TotpParameters.DEFAULT, Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:01:00Z"),
        List.of()));
    Path peek = temp.resolve("peek"); // a second name for the same inode: shows what was left on disk
    Files.createLink(peek, legacy);
    long size = Files.size(legacy);

    assertThat(run("init")).as(err).isZero();
    assertThat(run("totp", "status")).isZero();
    assertThat(out).contains("TOTP: active").contains("old@host");
    assertThat(Files.exists(legacy)).isFalse();
    assertThat(Files.readAllBytes(peek)).hasSize((int) size).containsOnly(0);
    assertThat(run("vault", "list")).isZero();
    assertThat(out).contains("gatehouse.totp").contains("(Gatehouse's own)");
  }

  @Test
  void canary_neverAppears_inOutput_errors_orAnyFileOfTheHome() throws Exception {
    String canary = "CANARY-" + HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(8));
    StringBuilder seen = new StringBuilder();
    run("init");
    seen.append(out).append(err);
    add("canary.secret", canary);
    seen.append(out).append(err);
    add("canary.secret", canary); // refused: exists
    seen.append(out).append(err);
    for (String[] cmd : List.of(new String[] {"vault", "list"}, new String[] {"vault", "status"},
        new String[] {"vault", "rotate"}, new String[] {"totp", "setup"}, new String[] {"totp", "status"},
        new String[] {"vault", "rm", "nope"}, new String[] {"totp", "verify", "12x"})) {
      run(cmd);
      seen.append(out).append(err);
    }
    Files.writeString(passwordFile, "wrong\n");
    run("vault", "list");
    seen.append(out).append(err);

    List<String> forms = List.of(canary, Base64.getEncoder().encodeToString(canary.getBytes()),
        HexFormat.of().formatHex(canary.getBytes()));
    for (String form : forms) {
      assertThat(seen.toString()).doesNotContain(form);
    }
    try (Stream<Path> files = Files.walk(home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String form : forms) {
          assertThat(content).as(f.toString()).doesNotContain(form);
        }
      }
    }
  }
}
