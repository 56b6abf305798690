package dev.gatehouse.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ExecHost;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs real commands without the sandbox (see CommandRunnerSandboxTest for the sandbox, and
 * CommandRunnerCgroupTest for the cgroup each command runs in).
 */
class CommandRunnerTest {
  private static final Duration SHORT_GRACE = Duration.ofMillis(500);
  private static final Duration GONE_WITHIN = Duration.ofSeconds(10);

  @TempDir
  Path temp;

  private final CommandRunner runner = new CommandRunner(Path.of("/nonexistent/bwrap"), SHORT_GRACE);

  @BeforeEach
  void commandsCanRunHere() {
    ExecHost.requireCgroups();
  }

  private RunResult run(String... argv) throws IOException {
    return runner.run(new RunSpec(List.of(argv), Duration.ofSeconds(30), RunSpec.DEFAULT_MAX_OUTPUT, false));
  }

  private static final List<String> HOSTILE = List.of(
      "; rm -rf /tmp/x", "$(id)", "`id`", "*", "'quoted'", "\"double\"", "a && b", "|", "> /tmp/out",
      "$HOME", "\\n", "-n", "--", " leading and trailing ", "", "tab\there", "ünï©ødé");

  @Test
  void arguments_reachPrintfLiterally() throws Exception {
    List<String> argv = new ArrayList<>(List.of("/usr/bin/printf", "%s\\n"));
    argv.addAll(HOSTILE);
    RunResult r = run(argv.toArray(String[]::new));

    assertThat(r.exitCode()).isZero();
    assertThat(r.stdout()).isEqualTo((String.join("\n", HOSTILE) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void arguments_reachEchoLiterally() throws Exception {
    // echo would read a leading -n as an option, so it gets a plain first word.
    List<String> args = HOSTILE.stream().filter(a -> !a.equals("-n")).toList();
    List<String> argv = new ArrayList<>(List.of("/bin/echo", "first"));
    argv.addAll(args);
    RunResult r = run(argv.toArray(String[]::new));

    assertThat(r.stdoutText()).isEqualTo("first " + String.join(" ", args) + "\n"); // no shell saw "> /tmp/out"
  }

  @Test
  void environment_isExactlyPath() throws Exception {
    RunResult r = run("/usr/bin/env");

    assertThat(r.exitCode()).isZero();
    assertThat(r.stdoutText()).isEqualTo("PATH=" + CommandRunner.PATH + "\n");
  }

  @Test
  void workingDirectory_isRoot_andStdinIsDevNull() throws Exception {
    RunResult r = run("/bin/sh", "-c", "pwd; readlink /proc/self/fd/0; cat; echo end");

    assertThat(r.stdoutText()).isEqualTo("/\n/dev/null\nend\n");
  }

  @Test
  void onlyStandardDescriptors_areInherited() throws Exception {
    RunResult r = run("/bin/ls", "/proc/self/fd");

    // ls itself opens one descriptor for the directory it lists.
    assertThat(r.stdoutText().lines().toList()).hasSizeLessThanOrEqualTo(4).contains("0", "1", "2");
  }

  @Test
  void command_leadsItsOwnSessionAndProcessGroup() throws Exception {
    // Fields 5 and 6 of /proc/PID/stat are pgrp and session; comm is "sh", without spaces.
    RunResult r = run("/bin/sh", "-c", "echo $$; cut -d' ' -f5,6 /proc/$$/stat");

    List<String> lines = r.stdoutText().lines().toList();
    String pid = lines.get(0);
    assertThat(lines.get(1)).isEqualTo(pid + " " + pid);
    assertThat(Long.parseLong(pid)).isNotEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void timeout_killsTheCommandAndItsChildren() throws Exception {
    Path pidFile = temp.resolve("pid");
    RunResult r = runner.run(new RunSpec(
        List.of("/bin/sh", "-c", "sleep 300 & echo $! > " + pidFile + "; sleep 300"),
        Duration.ofSeconds(1), RunSpec.DEFAULT_MAX_OUTPUT, false));

    assertThat(r.timedOut()).isTrue();
    assertThat(r.exitCode()).isEqualTo(143); // SIGTERM was enough
    assertThat(r.duration()).isGreaterThanOrEqualTo(Duration.ofSeconds(1)); // it waited for the timeout
    long background = Procs.awaitPid(pidFile, Duration.ZERO);
    assertThat(Procs.awaitGone(background, GONE_WITHIN)).as("background sleep %d is gone", background).isTrue();
  }

  @Test
  void timeout_sigkillsACommandThatIgnoresSigterm() throws Exception {
    Path pidFile = temp.resolve("pid");
    RunResult r = runner.run(new RunSpec(
        List.of("/bin/sh", "-c", "trap '' TERM; sleep 300 & echo $! > " + pidFile + "; wait; wait; sleep 300"),
        Duration.ofSeconds(1), RunSpec.DEFAULT_MAX_OUTPUT, false));

    assertThat(r.timedOut()).isTrue();
    assertThat(r.exitCode()).isEqualTo(137);
    assertThat(r.duration()).isGreaterThanOrEqualTo(Duration.ofSeconds(1).plus(SHORT_GRACE));
    long background = Procs.awaitPid(pidFile, Duration.ZERO);
    assertThat(Procs.awaitGone(background, GONE_WITHIN)).as("background sleep %d is gone", background).isTrue();
  }

  @Test
  void normalExit_endsWhatTheCommandLeftInItsGroup() throws Exception {
    // The background sleep also keeps stdout open: the run must neither hang on it nor leave it.
    Path pidFile = temp.resolve("pid");
    RunResult r = runner.run(new RunSpec(
        List.of("/bin/sh", "-c", "sleep 300 & echo $! > " + pidFile + "; echo started"),
        Duration.ofSeconds(60), RunSpec.DEFAULT_MAX_OUTPUT, false));

    assertThat(r.timedOut()).isFalse();
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdoutText()).isEqualTo("started\n");
    assertThat(r.stdoutTruncated()).isFalse();
    long background = Procs.awaitPid(pidFile, Duration.ZERO);
    assertThat(Procs.awaitGone(background, GONE_WITHIN)).as("background sleep %d is gone", background).isTrue();
  }

  /**
   * An executable script that starts a daemon the classic way: a subshell forks a process that
   * calls setsid (a new session and group), ignores SIGTERM and sleeps; the subshell exits, so
   * the daemon is a grandchild that no longer has the script as its parent. The script waits
   * until the daemon runs, writes its pid to {@code pid}, prints "pid pgrp session" for itself
   * and for the daemon, says whether the daemon is alive, then runs {@code rest}.
   */
  private Path daemonScript(String marker, String rest) throws IOException {
    Path script = temp.resolve("start-daemon");
    Files.writeString(script, """
        #!/bin/sh
        set -e
        dir=%s
        mkfifo "$dir/ready"
        (setsid /bin/sh -c 'trap "" TERM; echo $$ > "$1/ready"; exec sleep %s' sh "$dir" </dev/null >/dev/null 2>&1 &)
        read pid < "$dir/ready"
        echo "$pid" > "$dir/pid"
        echo "command $$ $(cut -d' ' -f5,6 /proc/$$/stat)"
        echo "daemon $pid $(cut -d' ' -f5,6 /proc/$pid/stat)"
        kill -0 "$pid" && echo "daemon alive"
        %s
        """.formatted(temp, marker, rest));
    Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  /** The daemon had left the command's session and group, and was alive when the script printed. */
  private static void assertDaemonLeftTheGroup(RunResult r, long daemon) {
    List<String> lines = r.stdoutText().lines().toList();
    assertThat(lines).as(r.stdoutText() + r.stderrText()).hasSizeGreaterThanOrEqualTo(3);
    String command = lines.get(0).split(" ")[1];
    assertThat(lines.get(0)).isEqualTo("command " + command + " " + command + " " + command);
    assertThat(lines.get(1)).isEqualTo("daemon " + daemon + " " + daemon + " " + daemon);
    assertThat(daemon).isNotEqualTo(Long.parseLong(command));
    assertThat(lines.get(2)).isEqualTo("daemon alive");
  }

  @Test
  void normalExit_endsADaemonThatLeftTheSession() throws Exception {
    String marker = "40" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
    Path script = daemonScript(marker, "echo exiting");

    RunResult r = runner.run(new RunSpec(List.of(script.toString()), Duration.ofSeconds(60),
        RunSpec.DEFAULT_MAX_OUTPUT, false));

    // Checked at once: the guarantee holds when run() returns, not some time later.
    long daemon = Procs.awaitPid(temp.resolve("pid"), Duration.ZERO);
    assertThat(Procs.alive(daemon)).as("daemon %d is alive after the run", daemon).isFalse();
    assertThat(Procs.withCommandLine("sleep " + marker)).isEmpty();
    assertThat(r.timedOut()).isFalse();
    assertThat(r.exitCode()).as(r.stderrText()).isZero();
    assertThat(r.stdoutText()).endsWith("daemon alive\nexiting\n");
    assertThat(r.stdoutTruncated()).isFalse();
    assertDaemonLeftTheGroup(r, daemon);
  }

  @Test
  void timeout_endsADaemonThatLeftTheSession() throws Exception {
    String marker = "41" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
    Path script = daemonScript(marker, "exec sleep 300");

    RunResult r = runner.run(new RunSpec(List.of(script.toString()), Duration.ofSeconds(3),
        RunSpec.DEFAULT_MAX_OUTPUT, false));

    long daemon = Procs.awaitPid(temp.resolve("pid"), Duration.ZERO);
    assertThat(Procs.alive(daemon)).as("daemon %d is alive after the run", daemon).isFalse();
    assertThat(Procs.withCommandLine("sleep " + marker)).isEmpty();
    assertThat(r.timedOut()).isTrue();
    assertThat(r.exitCode()).isEqualTo(143); // the script itself went at SIGTERM; the daemon needed SIGKILL
    assertDaemonLeftTheGroup(r, daemon);
  }

  @Test
  void interrupt_killsTheCommandAndItsChildren() throws Exception {
    Path pidFile = temp.resolve("pid");
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        runner.run(new RunSpec(List.of("/bin/sh", "-c", "sleep 300 & echo $! > " + pidFile + "; sleep 300"),
            Duration.ofSeconds(60), RunSpec.DEFAULT_MAX_OUTPUT, false));
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    caller.start();
    long background = Procs.awaitPid(pidFile, GONE_WITHIN);
    assertThat(Procs.alive(background)).isTrue();

    caller.interrupt();
    caller.join(GONE_WITHIN);

    assertThat(caller.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class);
    assertThat(Procs.awaitGone(background, GONE_WITHIN)).as("background sleep %d is gone", background).isTrue();
  }

  @Test
  void bigOutput_isCappedAndDrained() throws Exception {
    RunResult r = runner.run(new RunSpec(List.of("/usr/bin/head", "-c", "5000000", "/dev/zero"),
        Duration.ofSeconds(60), 1 << 20, false));

    assertThat(r.timedOut()).isFalse();
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdout()).hasSize(1 << 20).containsOnly(0);
    assertThat(r.stdoutTruncated()).isTrue();
    assertThat(r.stderr()).isEmpty();
    assertThat(r.stderrTruncated()).isFalse();
  }

  @Test
  void bothStreams_areReadConcurrently() throws Exception {
    // Far more than a pipe buffer on stderr before anything on stdout: a sequential reader hangs.
    RunResult r = runner.run(new RunSpec(
        List.of("/bin/sh", "-c", "head -c 3000000 /dev/zero >&2; echo done; head -c 3000000 /dev/zero >&2"),
        Duration.ofSeconds(60), 1000, false));

    assertThat(r.timedOut()).isFalse();
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdoutText()).isEqualTo("done\n");
    assertThat(r.stdoutTruncated()).isFalse();
    assertThat(r.stderr()).hasSize(1000);
    assertThat(r.stderrTruncated()).isTrue();
  }

  @Test
  void outputAtTheCap_isNotTruncated() throws Exception {
    RunResult r = runner.run(new RunSpec(List.of("/usr/bin/printf", "12345"), Duration.ofSeconds(30), 5, false));

    assertThat(r.stdoutText()).isEqualTo("12345");
    assertThat(r.stdoutTruncated()).isFalse();
  }

  @Test
  void exitCode_isPassedThrough() throws Exception {
    assertThat(run("/bin/sh", "-c", "exit 7").exitCode()).isEqualTo(7);
    assertThat(run("/bin/sh", "-c", "echo oops >&2; exit 1").stderrText()).isEqualTo("oops\n");
  }

  @Test
  void killedBySignal_reportsItAsAShellDoes() throws Exception {
    assertThat(run("/bin/sh", "-c", "kill -9 $$").exitCode()).isEqualTo(137);
    assertThat(run("/bin/sh", "-c", "kill -TERM $$").exitCode()).isEqualTo(143);
  }

  @Test
  void duration_coversTheRun() throws Exception {
    RunResult r = run("/bin/sleep", "0.3");

    assertThat(r.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  void missingProgram_isRefused() {
    assertThatThrownBy(() -> run("/nonexistent/program")).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> run("/tmp")).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void programNotExecutable_isRefused() throws Exception {
    Path script = Files.writeString(temp.resolve("script"), "#!/bin/sh\necho ran\n");

    assertThatThrownBy(() -> run(script.toString())).isInstanceOf(AccessDeniedException.class);
  }

  @Test
  void programThatCannotBeExecuted_exitsLikeAShellReportsIt() throws Exception {
    Path script = Files.writeString(temp.resolve("script"), "#!/nonexistent/interpreter\n");
    Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    RunResult r = run(script.toString());

    assertThat(r.exitCode()).isIn(126, 127);
    assertThat(r.stdout()).isEmpty();
  }
}
