package dev.gatehouse.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.ExecHost;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox. Tests that need a working bubblewrap install it when missing (as root, with
 * apt-get; see {@link DebianPackages}) and are skipped, loudly, when it cannot be made to work
 * here; the refusal tests always run.
 */
class CommandRunnerSandboxTest {
  private static final Duration GONE_WITHIN = Duration.ofSeconds(10);
  private static String unavailable; // null when the sandbox works here

  @TempDir
  Path temp;

  private final CommandRunner runner = new CommandRunner(CommandRunner.DEFAULT_BWRAP, Duration.ofMillis(500));

  @BeforeAll
  static void installBubblewrapIfMissing() throws Exception {
    // When bubblewrap cannot be installed, assumeSandbox() says so (DebianPackages.require).
    if (DebianPackages.install("bwrap", "bubblewrap").isPresent() || new CommandRunner().sandboxAvailable()) {
      return;
    }
    unavailable = "bubblewrap is not working on this machine (" + CommandRunner.DEFAULT_BWRAP
        + (Files.exists(CommandRunner.DEFAULT_BWRAP) ? " exists but cannot create its namespaces" : " is missing")
        + ")";
    System.err.println("""

        ****************************************************************
        *  SANDBOX TESTS SKIPPED: %s
        *  The sandbox guarantees were NOT verified on this machine.
        ****************************************************************
        """.formatted(unavailable));
  }

  private static void assumeSandbox() throws Exception {
    ExecHost.requireCgroups();
    DebianPackages.require("bwrap", "bubblewrap");
    assumeTrue(unavailable == null, () -> "SKIPPED, sandbox not verified: " + unavailable);
  }

  private RunResult sandboxed(Duration timeout, String... argv) throws IOException {
    return runner.run(new RunSpec(List.of(argv), timeout, RunSpec.DEFAULT_MAX_OUTPUT, true));
  }

  // --- refusal: always runs -------------------------------------------------------------

  @Test
  void missingBwrap_refusesAndDoesNotRunTheCommand() throws Exception {
    CommandRunner noBwrap = new CommandRunner(temp.resolve("no-such-bwrap"));
    Path marker = temp.resolve("ran");
    RunSpec spec = new RunSpec(List.of("/bin/sh", "-c", "touch " + marker), Duration.ofSeconds(30), 1000, true);

    assertThat(noBwrap.sandboxAvailable()).isFalse();
    assertThatThrownBy(() -> noBwrap.run(spec))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("apt-get install bubblewrap");
    assertThat(marker).doesNotExist();

    // The same command without the sandbox does run: the marker would have shown it.
    ExecHost.requireCgroups();
    noBwrap.run(new RunSpec(spec.argv(), spec.timeout(), 1000, false));
    assertThat(marker).exists();
  }

  @Test
  void bwrapThatCannotStartSandboxes_refusesAndDoesNotRunTheCommand() throws Exception {
    // An executable that fails like a bwrap without namespace support (exit 1, a message).
    Path broken = Files.writeString(temp.resolve("bwrap"), "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n");
    Files.setPosixFilePermissions(broken, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    CommandRunner brokenBwrap = new CommandRunner(broken);
    Path marker = temp.resolve("ran");

    assertThat(brokenBwrap.sandboxAvailable()).isFalse();
    assertThatThrownBy(() -> brokenBwrap.run(new RunSpec(List.of("/bin/sh", "-c", "touch " + marker),
        Duration.ofSeconds(30), 1000, true)))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("No permissions to create new namespace")
        .hasMessageContaining("apt-get install bubblewrap");
    assertThat(marker).doesNotExist();
  }

  // --- a working sandbox: skipped loudly where bwrap cannot run ---------------------------

  @Test
  void sandboxed_echoWorks() throws Exception {
    assumeSandbox();
    assertThat(runner.sandboxAvailable()).isTrue();

    RunResult r = sandboxed(Duration.ofSeconds(30), "/bin/echo", "ok", "$(id)", "; ls");

    assertThat(r.exitCode()).isZero();
    assertThat(r.stdoutText()).isEqualTo("ok $(id) ; ls\n");
  }

  @Test
  void sandboxed_environmentIsExactlyPath_andWorkingDirectoryIsRoot() throws Exception {
    assumeSandbox();

    assertThat(sandboxed(Duration.ofSeconds(30), "/usr/bin/env").stdoutText()).isEqualTo("PATH=" + CommandRunner.PATH + "\n");
    assertThat(sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "pwd; readlink /proc/self/fd/0").stdoutText())
        .isEqualTo("/\n/dev/null\n");
  }

  @Test
  void sandboxed_exitCodeIsPassedThrough() throws Exception {
    assumeSandbox();

    assertThat(sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "exit 7").exitCode()).isEqualTo(7);
    assertThat(sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "kill -9 $$").exitCode()).isEqualTo(137);
  }

  @Test
  void sandboxed_cannotWriteTheHostFileSystem() throws Exception {
    assumeSandbox();
    Path etc = Path.of("/etc/gatehouse-sandbox-test");
    Files.deleteIfExists(etc);
    // A writable host folder outside /tmp (the sandbox has its own /tmp, where a write to the
    // host's temp folder would fail for want of the folder, read-only mount or not; the
    // checkout itself may be under /tmp, as CI's is).
    Path hostDir = Files.createTempDirectory(Path.of("/var/tmp"), "gatehouse-sandbox-write-");
    Path work = hostDir.resolve("written");
    Files.writeString(hostDir.resolve("control"), "x"); // writable from outside the sandbox

    RunResult toEtc = sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "echo x > " + etc);
    RunResult toTemp = sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "echo x > " + work);
    RunResult toOwnTmp = sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "echo x > /tmp/private && cat /tmp/private");

    assertThat(toEtc.exitCode()).isNotZero();
    assertThat(toEtc.stderrText()).contains("Read-only file system");
    assertThat(etc).doesNotExist();
    assertThat(toTemp.exitCode()).isNotZero();
    assertThat(toTemp.stderrText()).contains("Read-only file system");
    assertThat(work).doesNotExist();
    assertThat(toOwnTmp.stdoutText()).isEqualTo("x\n");
    assertThat(Path.of("/tmp/private")).doesNotExist();
    Files.delete(hostDir.resolve("control"));
    Files.delete(hostDir);
  }

  @Test
  void sandboxed_hasNoCapabilities() throws Exception {
    assumeSandbox();

    RunResult r = sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c", "grep ^CapEff /proc/self/status");

    assertThat(r.stdoutText()).isEqualTo("CapEff:\t0000000000000000\n");
  }

  @Test
  void sandboxed_cannotReachTheHostNetwork() throws Exception {
    assumeSandbox();
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      server.configureBlocking(false);
      String connect = "echo hi > /dev/tcp/127.0.0.1/" + server.socket().getLocalPort();

      // Control: outside the sandbox the same command connects, so the check below can fail.
      RunResult open = new CommandRunner().run(new RunSpec(List.of("/bin/bash", "-c", connect),
          Duration.ofSeconds(30), 1000, false));
      assertThat(open.exitCode()).isZero();
      try (SocketChannel seen = server.accept()) {
        assertThat(seen).as("control connection").isNotNull();
      }

      RunResult r = sandboxed(Duration.ofSeconds(30), "/bin/bash", "-c", connect);

      assertThat(r.exitCode()).isNotZero();
      // A completed TCP connection waits in the accept queue even after the client is gone.
      try (SocketChannel seen = server.accept()) {
        assertThat(seen).as("connection from the sandbox").isNull();
      }
    }
  }

  @Test
  void sandboxed_timeoutEndsEverythingInside_evenWhatLeftTheGroup() throws Exception {
    assumeSandbox();
    String marker = "30" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);
    CompletableFuture<RunResult> result = CompletableFuture.supplyAsync(() -> {
      try {
        return sandboxed(Duration.ofSeconds(2), "/bin/sh", "-c",
            "setsid sleep " + marker + "1 & sleep " + marker + "2 & sleep " + marker + "3");
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    // Control: the processes exist and the search finds them, so the final check can fail.
    long deadline = System.nanoTime() + GONE_WITHIN.toNanos();
    while (Procs.withCommandLineStarting("sleep " + marker).size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(Procs.withCommandLineStarting("sleep " + marker)).hasSize(3);
    assertThat(result).isNotDone();

    RunResult r = result.get(30, TimeUnit.SECONDS);

    assertThat(r.timedOut()).isTrue();
    assertThat(Procs.awaitNoneWith(marker, GONE_WITHIN)).as("no process with %s left", marker).isTrue();
  }

  @Test
  void sandboxed_normalExitEndsEverythingInside_evenWhatLeftTheGroup() throws Exception {
    assumeSandbox();
    String marker = "31" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999);

    RunResult r = sandboxed(Duration.ofSeconds(30), "/bin/sh", "-c",
        "mkfifo /tmp/ready; (setsid /bin/sh -c 'echo $$ > /tmp/ready; exec sleep " + marker + "' </dev/null"
            + " >/dev/null 2>&1 &); read pid < /tmp/ready; kill -0 $pid && echo 'daemon alive'; echo exiting");

    assertThat(r.exitCode()).as(r.stderrText()).isZero();
    assertThat(r.stdoutText()).isEqualTo("daemon alive\nexiting\n");
    assertThat(Procs.withCommandLine("sleep " + marker)).as("checked at once").isEmpty();
  }

  @Test
  void sandboxed_programPathWithEquals_isRefused() throws Exception {
    assumeSandbox();
    Path odd = temp.resolve("a=b");
    Files.writeString(odd, "#!/bin/sh\necho ran\n");
    Files.setPosixFilePermissions(odd, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    assertThatThrownBy(() -> sandboxed(Duration.ofSeconds(30), odd.toString()))
        .isInstanceOf(IOException.class).hasMessageContaining("'='");
  }
}
