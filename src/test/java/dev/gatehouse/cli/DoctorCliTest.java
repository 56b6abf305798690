package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.testing.TestCertificates;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * `gatehouse doctor` over real homes broken on purpose, one check at a time: each breakage is
 * found under its id, fixed by --fix where it may be, and then no longer found.
 */
class DoctorCliTest extends CliTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private JsonNode report;

  /** doctor --json with the test's sudoers root (empty unless a test writes one); parses what it printed. */
  private int doctor(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("doctor", "--json", "--sudoers-root", etc().toString()));
    all.addAll(List.of(args));
    int code = run(all.toArray(String[]::new));
    report = JSON.readTree(out);
    return code;
  }

  /** As {@link #doctor}, without the password file: the vault stays sealed unless its machine seal opens it. */
  private int doctorSealed(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("doctor", "--json", "--sudoers-root", etc().toString()));
    all.addAll(List.of(args));
    int code = runRaw(terminal, all.toArray(String[]::new));
    report = JSON.readTree(out);
    return code;
  }

  private Path etc() throws Exception {
    return Files.createDirectories(temp.resolve("etc"));
  }

  private List<JsonNode> found(String id) {
    List<JsonNode> out = new ArrayList<>();
    report.get("findings").forEach(f -> {
      if (f.get("id").asText().equals(id)) {
        out.add(f);
      }
    });
    return out;
  }

  private String severity(String id) {
    assertThat(found(id)).as(report.toPrettyString()).isNotEmpty();
    return found(id).get(0).get("severity").asText();
  }

  private List<String> ids() {
    List<String> out = new ArrayList<>();
    report.get("findings").forEach(f -> out.add(f.get("id").asText()));
    return out;
  }

  private void config(String from, String to) throws Exception {
    Path config = home.resolve("gatehouse.yaml");
    String text = Files.readString(config);
    assertThat(text).contains(from);
    Files.writeString(config, text.replace(from, to));
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static UserPrincipal nobody(Path p) throws Exception {
    return p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
  }

  // ---- the whole

  @Test
  void doctor_enrolledHome_isClean_exit0_andJsonHasTheContractFields() throws Exception {
    enroll();

    assertThat(doctor()).isZero();

    assertThat(report.get("home").asText()).isEqualTo(home.toString());
    assertThat(report.get("changes")).isEmpty();
    assertThat(report.get("findings")).as(report.toPrettyString()).isEmpty();
  }

  @Test
  void doctor_human_namesSeverityIdAndFix_andExit1OnCritical() throws Exception {
    enroll();
    Files.setPosixFilePermissions(home.resolve("gatehouse.yaml"), PosixFilePermissions.fromString("rw-r--r--"));

    assertThat(run("doctor", "--sudoers-root", etc().toString())).isEqualTo(ExitCodes.NO);

    assertThat(out).contains("CRITICAL home.perms").contains("gatehouse.yaml is accessible to group or others")
        .contains("fix: `chmod 600 " + home.resolve("gatehouse.yaml") + "`").contains("1 critical, 0 warn, 1 info.")
        .contains("INFO     doctor.not_checked\n  vault.unreadable, vault.kdf_weak, ").contains("not checked: the home cannot "
        + "be opened: ");
  }

  @Test
  void doctor_noHome_isCriticalHomeMissing() throws Exception {
    assertThat(doctor()).isEqualTo(ExitCodes.NO);

    assertThat(severity("home.missing")).isEqualTo("critical");
  }

  // ---- files

  @Test
  void homePerms_looseFileAndFolder_found_fixed_thenClean() throws Exception {
    enroll();
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(home.resolve("state.db"), PosixFilePermissions.fromString("rw-rw-r--"));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("home.perms")).hasSize(2);
    assertThat(severity("home.perms")).isEqualTo("critical");

    assertThat(doctor("--fix")).as(out).isZero();
    assertThat(report.get("changes").toString()).contains("rwxr-xr-x -> rwx------ " + home)
        .contains("rw-rw-r-- -> rw------- " + home.resolve("state.db"));
    assertThat(ids()).isEmpty();
    assertThat(mode(home)).isEqualTo("rwx------");
    assertThat(mode(home.resolve("state.db"))).isEqualTo("rw-------");

    assertThat(doctor()).isZero();
    assertThat(report.get("changes")).isEmpty();
  }

  @Test
  void homePerms_symbolicLinkInside_isFound_andNotTouchedByFix() throws Exception {
    enroll();
    Path target = temp.resolve("elsewhere.yaml");
    Files.writeString(target, "x");
    Files.createSymbolicLink(home.resolve("services"), target);

    assertThat(doctor("--fix")).isEqualTo(ExitCodes.NO);

    assertThat(found("home.perms").get(0).get("message").asText()).contains("is a symbolic link");
    assertThat(report.get("changes")).isEmpty();
    assertThat(Files.isSymbolicLink(home.resolve("services"))).isTrue();
  }

  @Test
  void homePerms_fileOwnedByAnotherUser_rootOnRootsHome_isChownedBack() throws Exception {
    assumeTrue(root(), "only root can give a file away and take it back");
    enroll();
    Path otp = home.resolve(Gatehouse.OTP_STATE_FILE);
    Files.setOwner(otp, nobody(otp));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("home.perms").get(0).get("message").asText()).contains("is owned by nobody, not root");

    assertThat(doctor("--fix")).isZero();
    assertThat(report.get("changes").toString()).contains("chown nobody -> root " + otp);
    assertThat(Files.getOwner(otp).getName()).isEqualTo("root");
  }

  @Test
  void homePerms_rootOnAUsersHome_judgesByTheHomesOwner_andGivesAStrayRootFileBack() throws Exception {
    assumeTrue(root(), "only root can give files away");
    enroll();
    try (var all = Files.walk(home)) {
      for (Path p : all.toList()) {
        Files.setOwner(p, nobody(p));
      }
    }
    Path left = home.resolve(Gatehouse.OTP_STATE_FILE); // as `sudo gatehouse ...` leaves one
    Files.setOwner(left, root(left));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("home.perms")).singleElement().satisfies(f -> assertThat(f.get("message").asText())
        .contains(left + " is owned by root, not nobody"));

    assertThat(doctor("--fix")).isZero();
    assertThat(report.get("changes").toString()).contains("chown root -> nobody " + left);
    assertThat(Files.getOwner(left).getName()).isEqualTo("nobody");
    assertThat(found("home.perms")).isEmpty();
  }

  private static UserPrincipal root(Path p) throws Exception {
    return p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
  }

  @Test
  void vaultPerms_groupReadableVault_found_fixed() throws Exception {
    enroll();
    Path vault = home.resolve(Gatehouse.VAULT_FILE);
    Files.setPosixFilePermissions(vault, PosixFilePermissions.fromString("rw-r-----"));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(severity("vault.perms")).isEqualTo("critical");
    assertThat(found("home.perms")).isEmpty();

    assertThat(doctor("--fix")).isZero();
    assertThat(mode(vault)).isEqualTo("rw-------");
    assertThat(ids()).isEmpty();
  }

  @Test
  void agentKeyFilePerms_readableKey_found_fixed_alsoThroughTheEnvironment() throws Exception {
    enroll();
    Path key = temp.resolve("bot.key");
    assertThat(run("agent", "add", "bot", "--allow", "x.*", "--key-file", key.toString())).as(err).isZero();
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

    assertThat(doctor("--key-file", key.toString())).isEqualTo(ExitCodes.NO);
    assertThat(severity("agent.key_file_perms")).isEqualTo("critical");

    extraEnv.put("GATEHOUSE_AGENT_KEY_FILE", key.toString());
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("agent.key_file_perms")).hasSize(1);

    assertThat(doctor("--fix")).isZero();
    assertThat(mode(key)).isEqualTo("rw-------");
    assertThat(found("agent.key_file_perms")).isEmpty();
  }

  // ---- vault

  @Test
  void kdfWeak_vaultBelowTheFloor_isWarned() throws Exception {
    home = TestHome.create(temp); // Argon2id at 256 KiB: the tests' speed, below the 8 MiB floor

    assertThat(doctor()).isZero();

    assertThat(severity("vault.kdf_weak")).isEqualTo("warn");
    assertThat(found("vault.kdf_weak").get(0).get("message").asText()).contains("password slot").contains("m=256 KiB");
  }

  @Test
  void machineOnly_sealedModeWithoutPassword_isWarned_andDoctorUnsealsWithTheMachine() throws Exception {
    assertThat(runRaw(terminal, "init", "--sealed", "--kdf-memory-mib", "8", "--kdf-iterations", "1")).isZero();

    assertThat(doctorSealed()).isZero();

    assertThat(severity("vault.machine_only")).isEqualTo("warn");
    assertThat(found("vault.machine_only").get(0).get("message").asText()).contains("another machine");
    assertThat(found("totp.not_configured").get(0).get("message").asText()).doesNotContain("sealed vault's header");
  }

  @Test
  void totpNotConfigured_found_unsealedAndSealed_thenGoneAfterEnrolling() throws Exception {
    assertThat(run("init")).isZero();

    assertThat(doctor()).isZero();
    assertThat(severity("totp.not_configured")).isEqualTo("warn");
    assertThat(doctorSealed()).isZero();
    assertThat(found("totp.not_configured").get(0).get("message").asText()).contains("sealed vault's header");

    assertThat(run("totp", "setup", "--account", "owner@test")).isZero();
    var uri = printedUri();
    assertThat(doctor()).isZero();
    assertThat(found("totp.not_configured").get(0).get("message").asText()).contains("not confirmed");
    assertThat(run("totp", "setup", "--confirm", code(uri))).as(err).isZero();
    assertThat(doctor()).isZero();
    assertThat(found("totp.not_configured")).isEmpty();
  }

  // ---- audit

  @Test
  void auditUnwritable_logFolderReplacedByAFile_isCritical() throws Exception {
    enroll();
    Path audit = home.resolve(Gatehouse.AUDIT_DIR);
    Path moved = temp.resolve("audit-moved");
    Files.move(audit, moved);
    Files.writeString(audit, "");
    Files.setPosixFilePermissions(audit, PosixFilePermissions.fromString("rw-------"));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);

    assertThat(severity("audit.unwritable")).isEqualTo("critical");
  }

  @Test
  void chainBroken_editedEntry_isCritical_andRemovedLogToo() throws Exception {
    enroll();
    Path dir = home.resolve(Gatehouse.AUDIT_DIR);
    Path segment = FileAuditLog.segments(dir).get(0);
    String text = Files.readString(segment);
    Files.writeString(segment, text.replaceFirst("\"home.init\"", "\"home.inix\""));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(severity("audit.chain_broken")).isEqualTo("critical");
    assertThat(found("audit.chain_broken").get(0).get("message").asText()).contains("does not verify");

    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
    assertThat(doctorSealed()).isEqualTo(ExitCodes.NO);
    assertThat(found("audit.chain_broken").get(0).get("message").asText()).contains("the audit history was removed");
  }

  @Test
  void checkpointStale_entriesAfterTheCheckpoint_olderThanTheInterval_areWarned() throws Exception {
    enroll();
    Path checkpoint = home.resolve(Gatehouse.AUDIT_DIR).resolve(FileAuditLog.CHECKPOINT_FILE);
    byte[] before = Files.readAllBytes(checkpoint);
    assertThat(run("agent", "add", "bot", "--allow", "x.*", "--key-file", temp.resolve("k").toString())).isZero();
    Files.write(checkpoint, before); // as if the process died before signing what it wrote

    clock.advance(Duration.ofMinutes(1));
    assertThat(doctorSealed()).isZero();
    assertThat(found("audit.checkpoint_stale")).as("within the interval").isEmpty();

    clock.advance(Duration.ofMinutes(10));
    assertThat(doctorSealed()).isZero();
    assertThat(severity("audit.checkpoint_stale")).isEqualTo("warn");
    assertThat(found("audit.chain_broken")).isEmpty();

    assertThat(doctor()).isZero(); // unsealing signs a checkpoint when it ends
    assertThat(doctor()).isZero();
    assertThat(found("audit.checkpoint_stale")).isEmpty();
  }

  // ---- daemon settings

  @Test
  void bind_nonLoopbackWithoutTls_isCritical() throws Exception {
    enroll();
    config("bind: 127.0.0.1", "bind: 0.0.0.0");

    assertThat(doctor()).isEqualTo(ExitCodes.NO);

    assertThat(severity("bind.non_loopback_without_tls")).isEqualTo("critical");
    assertThat(found("bind.non_loopback_without_tls").get(0).get("message").asText()).contains("server.tls");
  }

  private TestCertificates.Made tlsHome(String bind, int days) throws Exception {
    enroll();
    Path tls = Files.createDirectory(home.resolve("tls"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    TestCertificates.Made made = TestCertificates.make(tls, "gatehouse", "EC", clock.instant().minus(Duration.ofDays(1)),
        days);
    config("bind: 127.0.0.1", "bind: " + bind);
    config("  # tls:\n  #   certificate: tls/gatehouse.crt\n  #   key: tls/gatehouse.key\n",
        "  tls:\n    certificate: tls/gatehouse.crt\n    key: tls/gatehouse.key\n");
    return made;
  }

  @Test
  void bind_beyondLoopbackWithTls_noOwner_thenOwnerWithoutTotp() throws Exception {
    tlsHome("0.0.0.0", 365);

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(severity("bind.no_owner_account")).isEqualTo("critical");
    assertThat(found("bind.non_loopback_without_tls")).isEmpty();

    stdin = "a long enough password\n".getBytes(StandardCharsets.UTF_8);
    assertThat(run("user", "add", "alice", "--role", "owner", "--password-stdin")).as(err).isZero();
    stdin = new byte[0];
    assertThat(doctor()).isZero();
    assertThat(found("bind.no_owner_account")).isEmpty();
    assertThat(severity("owner.no_totp")).isEqualTo("warn");
    assertThat(found("owner.no_totp").get(0).get("message").asText()).contains("alice (owner)");

    assertThat(doctorSealed()).isZero();
    assertThat(found("doctor.not_checked").toString()).contains("owner.no_totp not checked");
  }

  @Test
  void tls_expiringSoon_isWarned_andLooseKey_isCritical() throws Exception {
    TestCertificates.Made made = tlsHome("127.0.0.1", 10);

    assertThat(doctor()).isZero();
    assertThat(severity("tls.expiring")).isEqualTo("warn");

    Files.setPosixFilePermissions(made.key(), PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(severity("tls.invalid")).isEqualTo("critical");
  }

  // ---- state

  @Test
  void agentKeyOld_keyOlderThan90Days_isWarned_sealedToo() throws Exception {
    enroll();
    assertThat(run("agent", "add", "bot", "--allow", "x.*", "--key-file", temp.resolve("k").toString())).isZero();

    clock.advance(Duration.ofDays(89));
    assertThat(doctor()).isZero();
    assertThat(found("agent.key_old")).isEmpty();

    clock.advance(Duration.ofDays(2));
    assertThat(doctor()).isZero();
    assertThat(severity("agent.key_old")).isEqualTo("warn");
    assertThat(found("agent.key_old").get(0).get("fix").asText()).contains("gatehouse agent rotate bot");
    assertThat(doctorSealed()).isZero();
    assertThat(found("agent.key_old").get(0).get("message").asText()).contains("sealed vault's header");

    assertThat(run("agent", "rotate", "bot", "--key-file", temp.resolve("k").toString())).as(err).isZero();
    assertThat(doctor()).isZero();
    assertThat(found("agent.key_old")).isEmpty();
  }

  @Test
  void catalogInvalid_brokenServiceFile_isCritical() throws Exception {
    enroll();
    Path services = Files.createDirectory(home.resolve("services"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Path bad = services.resolve("media.yaml");
    TestCertificates.writePrivate(bad, "name: media\nbase_url: [not a url\n");

    assertThat(doctor()).isEqualTo(ExitCodes.NO);

    assertThat(severity("catalog.invalid")).isEqualTo("critical");
    assertThat(found("catalog.invalid").get(0).get("message").asText()).contains("media.yaml");
  }

  @Test
  void chatGateOff_globallyAndPerChannel_isWarned() throws Exception {
    enroll();
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config) + "\nchat:\n  gate: off\n");

    assertThat(doctor()).isZero();
    assertThat(severity("chat.gate_off")).isEqualTo("warn");

    Files.writeString(config, Files.readString(config).replace("\nchat:\n  gate: off\n",
        "\nchat:\n  gate: on\n  channels:\n    family: {gate: off}\n"));
    assertThat(doctor()).isZero();
    assertThat(found("chat.gate_off").get(0).get("message").asText()).contains("channel family");
  }

  @Test
  void trustHigh_fullTrustInSystem_isWarned_butNotInWeb() throws Exception {
    enroll();
    try (Gatehouse g = TestHome.open(home, clock)) {
      g.trust().set(Domain.WEB, Level.FULL, "cli:test", "fine here");
      g.trust().set(Domain.SYSTEM, Level.FULL, "cli:test", "a test");
    }

    assertThat(doctor()).isZero();

    assertThat(found("trust.high")).hasSize(1);
    assertThat(found("trust.high").get(0).get("message").asText()).contains("system");
  }

  // ---- exec and sudoers

  private void sudoers(String line) throws Exception {
    Path d = Files.createDirectories(etc().resolve("sudoers.d"));
    Files.writeString(d.resolve("gatehouse"), "# written by a test\n" + line + "\n");
  }

  /** A root-owned launcher in a root-owned folder: what a careful install looks like. */
  private Path launcher() throws Exception {
    Path bin = Files.createDirectories(temp.resolve("bin"));
    Path launcher = bin.resolve("gatehouse");
    Files.writeString(launcher, "#!/bin/sh\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    return launcher;
  }

  @Test
  void sudoersTooBroad_anyArguments_orSetenv_isCritical_thePrintedLineIsNot() throws Exception {
    assumeTrue(root(), "the files must be root's for the clean case");
    enroll();
    Path launcher = launcher();

    sudoers("agent ALL=(root) NOPASSWD: " + launcher);
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(severity("exec.sudoers_too_broad")).isEqualTo("critical");

    sudoers("agent ALL=(root) NOPASSWD: " + launcher + " * exec *");
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("exec.sudoers_too_broad")).hasSize(1);

    sudoers("agent ALL=(root) SETENV: NOPASSWD: " + launcher + " --home " + home + " exec *");
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("exec.sudoers_too_broad").get(0).get("message").asText()).contains("SETENV");

    extraEnv.put("GATEHOUSE_LAUNCHER", launcher.toString());
    String printed = Sudoers.instructions("agent", home, new CliEnvironment(clock, null, extraEnv, null, null, null,
        null, null));
    sudoers(printed.lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow());
    assertThat(doctor()).as(out).isZero();
    assertThat(ids()).doesNotContain("exec.sudoers_too_broad", "exec.sudoers_target_writable",
        "exec.policy_writable_by_agent");
  }

  @Test
  void sudoersTargetWritable_launcherOrItsFolderNotRoots_isCritical() throws Exception {
    assumeTrue(root(), "only root can give a file away");
    enroll();
    Path launcher = launcher();
    sudoers("agent ALL=(root) NOPASSWD: " + launcher + " --home " + home + " exec *");
    assertThat(doctor()).isZero();

    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("exec.sudoers_target_writable").get(0).get("message").asText())
        .contains(launcher + " is writable by every user");

    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setOwner(launcher.getParent(), nobody(launcher));
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("exec.sudoers_target_writable").get(0).get("message").asText())
        .contains(launcher.getParent() + " is owned by uid");

    // A launcher in a checkout rebuilds its jar from the sources beside it: those count too.
    Files.setOwner(launcher.getParent(), root(launcher));
    Files.writeString(launcher.resolveSibling("pom.xml"), "<project/>");
    Path sources = Files.createDirectories(launcher.resolveSibling("src").resolve("main"));
    assertThat(doctor()).isZero();
    Files.setOwner(sources, nobody(sources));
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("exec.sudoers_target_writable").get(0).get("message").asText()).contains(sources + " is owned by");
  }

  @Test
  void policyWritableByAgent_execHomeOwnedByTheAgent_isCritical() throws Exception {
    assumeTrue(root(), "only root can give a folder away");
    enroll();
    Path execHome = Files.createDirectory(temp.resolve("exec-home"));
    sudoers("agent ALL=(root) NOPASSWD: " + launcher() + " --home " + execHome + " exec *");
    assertThat(doctor()).isZero();

    Files.setOwner(execHome, nobody(execHome));
    assertThat(doctor()).isEqualTo(ExitCodes.NO);

    assertThat(severity("exec.policy_writable_by_agent")).isEqualTo("critical");
    assertThat(found("exec.policy_writable_by_agent").get(0).get("message").asText())
        .contains(execHome.resolve("exec.yaml").toString());
  }

  // ---- --deep

  private HttpServer health(int status) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/health", x -> {
      byte[] body = ("{\"status\":\"" + (status == 200 ? "ok" : "degraded") + "\",\"sealed\":" + (status != 200) + "}")
          .getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(status, body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    server.start();
    return server;
  }

  @Test
  void deep_answersHealth_degraded_unreachable_andPlainHttpWhereTlsIsSet() throws Exception {
    enroll();
    HttpServer ok = health(200);
    try {
      config("port: 19999", "port: " + ok.getAddress().getPort());
      assertThat(doctor("--deep")).isZero();
      assertThat(severity("deep.daemon")).isEqualTo("info");
      assertThat(found("deep.daemon").get(0).get("message").asText()).contains("plain HTTP").contains("\"status\":\"ok\"");
    } finally {
      ok.stop(0);
    }
    assertThat(doctor("--deep")).isZero();
    assertThat(severity("deep.daemon_unreachable")).isEqualTo("warn");

    HttpServer degraded = health(503);
    try {
      config("port: " + ok.getAddress().getPort(), "port: " + degraded.getAddress().getPort());
      assertThat(doctor("--deep")).isZero();
      assertThat(severity("deep.health_degraded")).isEqualTo("warn");

      Path tls = Files.createDirectory(home.resolve("tls"), PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
      TestCertificates.make(tls, "gatehouse", "EC", clock.instant().minus(Duration.ofDays(1)), 365);
      config("  # tls:\n  #   certificate: tls/gatehouse.crt\n  #   key: tls/gatehouse.key\n",
          "  tls:\n    certificate: tls/gatehouse.crt\n    key: tls/gatehouse.key\n");
      assertThat(doctor("--deep")).isEqualTo(ExitCodes.NO);
      assertThat(found("deep.tls_not_offered").get(0).get("message").asText()).contains("answers plain HTTP");
    } finally {
      degraded.stop(0);
    }
  }

  private static dev.gatehouse.http.Daemon tlsDaemon(TestCertificates.Made cert) {
    return dev.gatehouse.http.Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024,
        dev.gatehouse.http.ServerTls.load(cert.certificate(), cert.key(), java.time.Clock.systemUTC()), false,
        dev.gatehouse.http.Daemon.table(null, null, null, () -> new dev.gatehouse.http.Daemon.Health(false, true, true,
            0, 0)));
  }

  @Test
  void deep_realDaemonOverTls_withTheConfiguredCertificate_isOffered_anotherCertificateIsNot() throws Exception {
    TestCertificates.Made configured = tlsHome("127.0.0.1", 365);
    try (var daemon = tlsDaemon(configured)) {
      config("port: 19999", "port: " + daemon.port());
      assertThat(doctor("--deep")).as(out).isZero();
      assertThat(found("deep.daemon").get(0).get("message").asText())
          .contains("over TLS 1.3 with the configured certificate").contains("\"status\":\"ok\"");
      assertThat(ids()).doesNotContain("deep.tls_not_offered", "deep.bind_mismatch");
    }

    TestCertificates.Made other = TestCertificates.make(Files.createDirectory(temp.resolve("other")), "other", "EC",
        clock.instant().minus(Duration.ofDays(1)), 365);
    try (var daemon = tlsDaemon(other)) {
      Path config = home.resolve("gatehouse.yaml");
      Files.writeString(config, Files.readString(config).replaceFirst("port: \\d+", "port: " + daemon.port()));
      assertThat(doctor("--deep")).isEqualTo(ExitCodes.NO);
      assertThat(found("deep.tls_not_offered").get(0).get("message").asText())
          .contains("no TLS 1.3 handshake with the certificate of server.tls succeeds");
    }
  }

  @Test
  void deep_configSaysLoopback_butThePortAnswersOnAnotherAddress_isBindMismatch() throws Exception {
    java.util.List<InetAddress> others = new ArrayList<>();
    for (var n : java.net.NetworkInterface.networkInterfaces().toList()) {
      if (n.isUp() && !n.isLoopback()) {
        n.inetAddresses().filter(a -> a instanceof java.net.Inet4Address && !a.isLinkLocalAddress()).forEach(others::add);
      }
    }
    assumeTrue(!others.isEmpty(), "needs an address other than loopback");
    enroll();
    HttpServer everywhere = HttpServer.create(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 0);
    everywhere.createContext("/v1/health", x -> {
      byte[] body = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(200, body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    everywhere.start();
    try {
      config("port: 19999", "port: " + everywhere.getAddress().getPort());
      assertThat(doctor("--deep")).isEqualTo(ExitCodes.NO);
      assertThat(severity("deep.bind_mismatch")).isEqualTo("critical");
    } finally {
      everywhere.stop(0);
    }
  }

  @Test
  void doctor_neverAsksForThePassword_evenAtATerminal() throws Exception {
    enroll();
    Terminal asking = new Terminal() {
      @Override
      public boolean interactive() {
        return true;
      }

      @Override
      public String readLine(String prompt) {
        throw new AssertionError("asked: " + prompt);
      }

      @Override
      public char[] readSecret(String prompt) {
        throw new AssertionError("asked for a secret: " + prompt);
      }
    };
    config("bind: 127.0.0.1", "bind: 0.0.0.0");

    assertThat(runRaw(asking, "doctor", "--json", "--sudoers-root", etc().toString())).isEqualTo(ExitCodes.NO);

    report = JSON.readTree(out);
    assertThat(found("doctor.not_checked").get(0).get("message").asText())
        .contains("the vault is sealed and doctor never asks for its password");
    assertThat(found("doctor.not_checked").get(0).get("fix").asText()).contains("--password-file");
  }

  @Test
  void configInvalid_badLine_isCritical_andTheChecksThatNeedItSaySo() throws Exception {
    enroll();
    config("bind: 127.0.0.1", "bind: 127.0.0.1\n  no_such_setting: 1");

    assertThat(doctor()).isEqualTo(ExitCodes.NO);

    assertThat(severity("config.invalid")).isEqualTo("critical");
    assertThat(found("config.invalid").get(0).get("message").asText()).containsPattern("gatehouse.yaml:\\d+: unknown key");
    assertThat(found("doctor.not_checked").toString()).contains("bind.non_loopback_without_tls");
  }

  @Test
  void vaultUnreadable_missingOrDamagedHeader_isCritical() throws Exception {
    enroll();
    Path vault = home.resolve(Gatehouse.VAULT_FILE);
    byte[] good = Files.readAllBytes(vault);
    Files.write(vault, "gatehouse-vault 2 garbage\n".getBytes(StandardCharsets.US_ASCII));

    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(severity("vault.unreadable")).isEqualTo("critical");

    Files.delete(vault);
    assertThat(doctor()).isEqualTo(ExitCodes.NO);
    assertThat(found("vault.unreadable").get(0).get("message").asText()).contains("has no vault");

    Files.write(vault, good);
    Files.setPosixFilePermissions(vault, PosixFilePermissions.fromString("rw-------"));
    assertThat(doctor()).isZero();
    assertThat(ids()).isEmpty();
  }
}
