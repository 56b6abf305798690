package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Processes;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** `gatehouse demo` run whole, as a newcomer runs it: README's quick start command, then with --keep. */
class DemoIT {
  private static final List<String> STEPS = List.of(
      "1. ok     credential injected: media.series answered 200",
      "2. ok     replay refused: the same signed request sent again got 401 replayed-nonce",
      "3. ok     path refused: media.api with /api/v3/series/../../../admin got 403 path-refused",
      "   ok     egress denied: cloud.metadata (http://169.254.169.254",
      "4. ok     secret scrubbed: media.host_config answered 200 with the API key in it; the agent got \"apiKey\":\"[REDACTED]\"",
      "5. ok     audit verify: ");

  /** The first command block of README's quick start: what a newcomer runs first. */
  static String quickStartRunCommand() throws Exception {
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("\n## Quick start");
    assertThat(start).as("README's quick start").isPositive();
    String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
    Matcher block = Pattern.compile("```sh\n(.*?)\n```", Pattern.DOTALL).matcher(section);
    assertThat(block.find()).as("a sh block in the quick start").isTrue();
    return block.group(1).strip();
  }

  @Test
  void theQuickStartsRunCommand_showsEveryStep_andLeavesNothingBehind() throws Exception {
    String command = quickStartRunCommand();
    assertThat(command).isEqualTo("./gatehouse demo");

    Process p = new ProcessBuilder("bash", "-c", command).start(); // the launcher, from the checkout, as written
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(3), command);

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains(STEPS).contains("Demo passed: every step behaved as promised.")
        .doesNotContain("FAILED");
    assertThat(r.err()).isEmpty();
    Path work = Path.of(find(r.out(), "Working in (/\\S+) "));
    assertThat(work).doesNotExist();
    assertThat(r.out()).contains("Cleaned up: the daemon and the stand-in stopped, " + work + " removed.");
    assertStopped(r.out());
  }

  @Test
  void keep_keepsTheHome_whichVerifiesAndOpensSealed() throws Exception {
    Path work = null;
    try {
      JarProcesses.Result r = JarProcesses.finish(new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
          "-jar", System.getProperty("gatehouse.jar"), "demo", "--keep").start());
      assertThat(r.exit()).as(r.out() + r.err()).isZero();
      assertThat(r.out()).contains(STEPS);
      work = Path.of(find(r.out(), "Kept (/\\S+):"));
      Path home = work.resolve("home");
      assertThat(r.out()).contains("--home " + home + " audit tail").contains("rm -rf " + work);
      assertStopped(r.out());

      JarProcesses.Result verify = run("--home", home.toString(), "audit", "verify");
      assertThat(verify.exit()).as(verify.err()).isZero();
      assertThat(verify.out()).contains("audit log intact").contains("signature and root verified");
      if (r.out().contains("sealed to this machine")) { // opens with no password, as `serve` did
        JarProcesses.Result agents = run("--home", home.toString(), "agent", "list");
        assertThat(agents.exit()).as(agents.err()).isZero();
        assertThat(agents.out()).contains("media-bot");
      }
    } finally {
      delete(work);
    }
  }

  private static JarProcesses.Result run(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-jar",
        System.getProperty("gatehouse.jar")));
    cmd.addAll(List.of(args));
    return JarProcesses.finish(new ProcessBuilder(cmd).start());
  }

  /** The daemon the demo printed is gone, and nothing listens on its port. */
  private static void assertStopped(String out) throws Exception {
    long pid = Long.parseLong(find(out, "\\(pid ([0-9]+)\\)"));
    int port = Integer.parseInt(find(out, "`gatehouse serve` on http://127\\.0\\.0\\.1:([0-9]+) "));
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("daemon pid " + pid).isFalse();
    assertThatThrownBy(() -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      }
    }).as("something still listens on " + port).isInstanceOf(ConnectException.class);
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as(regex + " in: " + text).isTrue();
    return m.group(1);
  }

  private static void delete(Path dir) throws Exception {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
