package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.testing.ExecHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The exec gate through the command line, running real processes. */
class ExecCliTest extends CliTestBase {
  OtpAuthUri uri;

  @BeforeEach
  void enrollAndAllow() throws Exception {
    ExecHost.requireCgroups();
    uri = enroll();
    Path policy = home.resolve("exec.yaml");
    Files.writeString(policy, """
        allow:
          - { program: /bin/echo, args: ["**"] }
          - { program: /bin/sh, args: [-c, "exit 7"] }
          - { program: /bin/sh, args: [-c, "head -c 3000000 /dev/zero >&2"] }
          - { program: /usr/bin/head, args: [-c, "*", /dev/zero] }
          - { program: /usr/bin/systemctl, args: [restart, "*"] }
        deny:
          - { program: /usr/bin/systemctl, args: [restart, "ssh*"] }
        """);
    Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rw-------"));
  }

  String fresh() {
    clock.advance(Duration.ofSeconds(30));
    return code(uri);
  }

  String audit() throws Exception {
    return dev.gatehouse.testing.AgentCalls.auditText(home);
  }

  @Test
  void aValidCode_runsTheCommandOnce_argumentsLiteral_outputAndExitPassedThrough() throws Exception {
    String c = fresh();

    assertThat(run("exec", "--code", c, "--", "/bin/echo", "hi", ";", "rm", "-rf", "/tmp/x", "$(id)", "`id`", "*",
        "'q'", "a && b", "|")).isZero();
    assertThat(out).isEqualTo("hi ; rm -rf /tmp/x $(id) `id` * 'q' a && b |\n");

    assertThat(run("exec", "--code", c, "--", "/bin/echo", "again")).isEqualTo(1);
    assertThat(err).contains("already used");
    assertThat(out).doesNotContain("again");

    assertThat(run("exec", "--code", fresh(), "--", "sh", "-c", "exit 7")).isEqualTo(7);
    String log = audit();
    assertThat(log).contains("\"type\":\"exec.run\"").contains("\"type\":\"exec.result\"").contains("stdout_sha256")
        .doesNotContain(c);
    assertThat(run("audit", "verify")).isZero();
  }

  @Test
  void aCommandNoRuleAllows_isRefusedBeforeTheCodeIsLookedAt() throws Exception {
    assertThat(run("exec", "--code", "000000", "--", "/usr/bin/id")).isEqualTo(1);
    assertThat(err).contains("not allowed").contains("no code was used");
    assertThat(run("exec", "--code", "000000", "--", "sh", "-c", "echo hi")).as("sh -c needs its own rule").isEqualTo(1);
    assertThat(run("exec", "--code", "000000", "--", "/usr/bin/systemctl", "restart", "sshd")).isEqualTo(1);
    assertThat(err).contains("deny rule");

    // None of those counted: the first wrong code still leaves two attempts.
    assertThat(run("exec", "--code", "000000", "--", "/bin/echo", "x")).isEqualTo(1);
    assertThat(err).contains("2 attempts left");
  }

  @Test
  void wrongCodes_lockOut_andTheLockoutHoldsForTheNextCommand() {
    assertThat(run("exec", "--code", "000000", "--", "/bin/echo", "x")).isEqualTo(1);
    assertThat(run("exec", "--code", "000001", "--", "/bin/echo", "x")).isEqualTo(1);
    assertThat(run("exec", "--code", "000002", "--", "/bin/echo", "x")).isEqualTo(1);
    assertThat(err).contains("too many failures");

    assertThat(run("exec", "--code", fresh(), "--", "/bin/echo", "x")).isEqualTo(3);
    assertThat(out).isEmpty();
    assertThat(err).contains("locked out");
  }

  @Test
  void hugeOutput_isTruncatedAndMarked() {
    assertThat(run("exec", "--code", fresh(), "--", "/usr/bin/head", "-c", "3000000", "/dev/zero")).isZero();
    assertThat(out.length()).isEqualTo(1 << 20);
    assertThat(err).contains("standard output truncated after 1048576 bytes").doesNotContain("standard error");

    assertThat(run("exec", "--code", fresh(), "--", "/bin/sh", "-c", "head -c 3000000 /dev/zero >&2")).isZero();
    assertThat(out).isEmpty();
    assertThat(err).contains("standard error truncated after 1048576 bytes").doesNotContain("standard output");
  }

  @Test
  void boundApproval_runsThatArgvOnce_forWhoAsked() throws Exception {
    assertThat(run("exec", "--request", "--", "/bin/echo", "approved", "text")).isZero();
    Matcher m = Pattern.compile("Request ([a-z0-9]{10}) ").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    String id = m.group(1);
    assertThat(out).contains("/bin/echo approved text").doesNotContain("...");

    assertThat(run("exec", "--run", id)).as("not approved yet").isEqualTo(1);
    assertThat(err).contains("not approved yet");
    assertThat(run("exec", "--approve", id, "--code", fresh())).isZero();
    assertThat(run("exec", "--run", id, "--", "/bin/echo", "other")).as("--run takes no command").isEqualTo(2);
    assertThat(run("exec", "--run", id)).isZero();
    assertThat(out).isEqualTo("approved text\n");
    assertThat(run("exec", "--run", id)).isEqualTo(1);
    assertThat(err).contains("already run");
  }

  @Test
  void anUnansweredRequest_andAnUnusedApproval_expire() {
    assertThat(run("exec", "--request", "--", "/bin/echo", "late")).isZero();
    String first = requestId();
    clock.advance(Duration.ofSeconds(121));
    assertThat(run("exec", "--approve", first, "--code", code(uri))).isEqualTo(1);
    assertThat(err).contains("expired");

    assertThat(run("exec", "--request", "--", "/bin/echo", "late")).isZero();
    String second = requestId();
    assertThat(run("exec", "--approve", second, "--code", fresh())).isZero();
    clock.advance(Duration.ofSeconds(121));
    assertThat(run("exec", "--run", second)).isEqualTo(1);
    assertThat(err).contains("expired");
    assertThat(out).doesNotContain("late");
  }

  @Test
  void theCode_canStayOutOfArgv_piped_orAskedForWithoutEcho() throws Exception {
    stdin = (fresh() + "\n").getBytes();
    assertThat(run("exec", "--code", "-", "--", "/bin/echo", "piped")).isZero();
    assertThat(out).isEqualTo("piped\n");
    assertThat(err).as("no warning when the code is not in argv").doesNotContain("process list");

    String typed = fresh();
    assertThat(run(typing(typed), "exec", "--code", "--", "/bin/echo", "asked")).isZero();
    assertThat(out).isEqualTo("asked\n");

    assertThat(run("exec", "--request", "--", "/bin/echo", "approved")).isZero();
    assertThat(out).contains("exec --approve " + requestId() + " --code\n");
    String id = requestId();
    assertThat(run(typing(fresh()), "exec", "--approve", id, "--code")).isZero();
    assertThat(run("exec", "--run", id)).isZero();
    assertThat(out).isEqualTo("approved\n");
  }

  @Test
  void aCodeInArgv_stillWorks_butSaysWhoCanReadIt() {
    assertThat(run("exec", "--code", fresh(), "--", "/bin/echo", "argv")).isZero();
    assertThat(err).contains("process list").contains("write - and pipe it in");
  }

  @Test
  void aMissingCode_isAClearError_andNothingRuns() {
    assertThat(run("exec", "--code", "--", "/bin/echo", "no terminal")).as("no terminal to ask on").isEqualTo(2);
    assertThat(err).contains("no terminal to ask").contains("`-`");
    stdin = new byte[0];
    assertThat(run("exec", "--code", "-", "--", "/bin/echo", "empty")).isEqualTo(2);
    assertThat(err).contains("standard input is empty");
    stdin = ("1".repeat(200) + "\n").getBytes();
    assertThat(run("exec", "--code", "-", "--", "/bin/echo", "long")).isEqualTo(2);
    assertThat(err).contains("longer than a code");
    assertThat(out).isEmpty();
  }

  @Test
  void homeOptionsAfterExec_areRefused() {
    assertThat(run("exec", "--home", temp.resolve("elsewhere").toString(), "--code", "123456", "--", "/bin/echo"))
        .isEqualTo(2);
    assertThat(err).contains("before `exec`");
  }

  @Test
  void printSudoers_givesOneNarrowLine() {
    assertThat(run("totp", "setup", "--print-sudoers", "media-bot")).isZero();
    assertThat(out).containsPattern("(?m)^media-bot ALL=\\(root\\) NOPASSWD: /\\S+.* --home " + Pattern.quote(
        home.toAbsolutePath().toString()) + " exec \\*$").contains("visudo -f /etc/sudoers.d/gatehouse");
    assertThat(run("totp", "setup", "--print-sudoers", "bad;user")).isEqualTo(2);
  }

  private String requestId() {
    Matcher m = Pattern.compile("Request ([a-z0-9]{10}) ").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }
}
