package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.testing.ExecHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exec gate in real processes: the caller's environment never reaches the command; the
 * lockout is shared; nothing the command starts outlives the exec.
 */
class ExecProcessIT {
  static final String CANARY = "gh-env-CANARY-5d1f0a";

  @TempDir
  Path temp;
  JarProcesses jar;
  OtpAuthUri uri;
  /** Every code is computed from one instant, so a step boundary during the test cannot shift them apart. */
  final Instant base = Instant.now();

  @BeforeEach
  void setUp() throws Exception {
    ExecHost.requireCgroups();
    jar = new JarProcesses(temp, "exec-it-password");
    assertThat(jar.run("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1").exit()).isZero();
    JarProcesses.Result setup = jar.run("totp", "setup", "--account", "owner@it");
    Matcher m = Pattern.compile("otpauth URI: (\\S+)").matcher(setup.out());
    assertThat(m.find()).as(setup.out()).isTrue();
    uri = OtpAuthUri.parse(m.group(1));
    assertThat(jar.run("totp", "setup", "--confirm", code(Duration.ZERO)).exit()).isZero();
    Path policy = jar.home.resolve("exec.yaml");
    Files.writeString(policy, "allow:\n  - { program: /usr/bin/env, args: [] }\n  - { program: /bin/echo, args: [\"**\"] }\n");
    Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rw-------"));
  }

  String code(Duration offset) {
    return Hotp.totp(uri.secret(), base.plus(offset), uri.params());
  }

  @Test
  void theCallersEnvironment_neverReachesTheCommand() throws Exception {
    jar.env.put("GH_CANARY", CANARY);
    jar.env.put("LD_PRELOAD", "/tmp/evil.so");

    JarProcesses.Result r = jar.run("exec", "--code", code(Duration.ofSeconds(30)), "--", "/usr/bin/env");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
    assertThat(r.out() + r.err()).doesNotContain(CANARY);
  }

  @Test
  void theLockout_holdsAcrossProcesses() throws Exception {
    assertThat(jar.run("exec", "--code", "000000", "--", "/bin/echo", "x").exit()).isEqualTo(1);
    assertThat(jar.run("exec", "--code", "000001", "--", "/bin/echo", "x").exit()).isEqualTo(1);
    assertThat(jar.run("exec", "--code", "000002", "--", "/bin/echo", "x").exit()).isEqualTo(1);

    JarProcesses.Result locked = jar.run("exec", "--code", code(Duration.ofSeconds(30)), "--", "/bin/echo", "x");

    assertThat(locked.exit()).isEqualTo(3);
    assertThat(locked.out()).isEmpty();
    assertThat(jar.run("totp", "verify", code(Duration.ofSeconds(-30))).exit()).as("the same lockout").isEqualTo(3);
  }

  /**
   * An allowed script that starts a daemon the classic way: a subshell forks a process that
   * calls setsid and ignores SIGTERM, then the subshell exits. The script waits until the
   * daemon runs, writes its pid to {@code pid}, prints both sessions and whether the daemon
   * is alive, writes its own pid to {@code command-pid}, then runs {@code rest}.
   */
  private Path daemonScript(String rest) throws Exception {
    String marker = "42" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
    Path script = temp.resolve("start-daemon");
    Files.writeString(script, """
        #!/bin/sh
        set -e
        mkfifo %1$s/ready
        (setsid /bin/sh -c 'trap "" TERM; echo $$ > %1$s/ready; exec sleep %2$s' </dev/null >/dev/null 2>&1 &)
        read pid < %1$s/ready
        echo "$pid" > %1$s/pid
        echo "command session $(cut -d' ' -f6 /proc/$$/stat)"
        echo "daemon session $(cut -d' ' -f6 /proc/$pid/stat)"
        kill -0 "$pid" && echo "daemon alive"
        echo $$ > %1$s/command-pid
        %3$s
        """.formatted(temp, marker, rest));
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(jar.home.resolve("exec.yaml"), "allow:\n  - { program: " + script + ", args: [] }\n");
    return script;
  }

  @Test
  void aDaemonTheAllowedScriptStarts_isGoneWhenExecReturns() throws Exception {
    Path script = daemonScript("");

    JarProcesses.Result r = jar.run("exec", "--code", code(Duration.ofSeconds(30)), "--", script.toString());

    long daemon = Long.parseLong(Files.readString(temp.resolve("pid")).strip());
    assertThat(state(daemon)).as("daemon %d after exec returned", daemon).isIn("gone", "Z");
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1)).as("the daemon left the command's session").isEqualTo("daemon session " + daemon)
        .isNotEqualTo(lines.get(0).replace("command", "daemon"));
    assertThat(lines.get(2)).isEqualTo("daemon alive");
  }

  @Test
  void gatehouseStoppedBySigterm_endsTheCommandAndItsDaemonFirst() throws Exception {
    // What the agent can do to a running `sudo gatehouse exec`: sudo passes SIGTERM on.
    Path script = daemonScript("exec sleep 300");
    Process gatehouse = jar.start("exec", "--code", code(Duration.ofSeconds(30)), "--", script.toString());
    Path commandPid = temp.resolve("command-pid");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(commandPid) || !Files.readString(commandPid).endsWith("\n")) {
      assertThat(gatehouse.isAlive()).as("exec is still running").isTrue();
      assertThat(System.nanoTime() - deadline).as("the script started within 60 s").isNegative();
      Thread.sleep(20);
    }
    long command = Long.parseLong(Files.readString(commandPid).strip());
    long daemon = Long.parseLong(Files.readString(temp.resolve("pid")).strip());
    assertThat(state(command)).as("control: the command runs").isNotIn("gone", "Z");
    assertThat(state(daemon)).as("control: the daemon runs").isNotIn("gone", "Z");

    gatehouse.toHandle().destroy(); // SIGTERM (Process.destroy would also close our ends of its pipes)
    JarProcesses.finish(gatehouse);

    assertThat(state(command)).as("command %d after Gatehouse exited", command).isIn("gone", "Z");
    assertThat(state(daemon)).as("daemon %d after Gatehouse exited", daemon).isIn("gone", "Z");
  }

  /** The state letter from /proc/PID/stat, or "gone". */
  private static String state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch (java.io.IOException e) {
      return "gone";
    }
  }
}
