package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.vault.MachineIdentity;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's verdicts: a stand-in media server that misbehaves makes the step that relies on it
 * fail, by name, with a non-zero exit, and the run still leaves nothing behind. The daemon is
 * the real `serve`, a child process, so the clock is the real one (it checks signatures' age).
 */
class DemoTest {
  @TempDir
  Path userHome;

  private record Run(int exit, String out) {}

  private Run run(Demo.StandIn standIn) throws Exception {
    StringWriter s = new StringWriter();
    CliEnvironment env = new CliEnvironment(Clock.systemUTC(), new SecureRandom(), Map.of(), userHome.toString(),
        "tester", new CliTestBase.ScriptedTerminal(), InputStream.nullInputStream(), MachineIdentity.host());
    int exit = new Demo(env, new PrintWriter(s), false, standIn).run();
    return new Run(exit, s.toString());
  }

  @Test
  void run_withAStandInThatWantsAnotherKey_failsStep1ByName_andCleansUp() throws Exception {
    Run r = run(key -> DemoUpstream.start("not-" + key));

    assertThat(r.exit()).as(r.out()).isEqualTo(ExitCodes.NO);
    assertThat(r.out()).contains("1. FAILED credential injected")
        .contains("Demo FAILED at step 1 (credential injected)")
        .contains("2. ok     replay refused").contains("3. ok     path refused").contains("ok     egress denied");
    assertNothingLeft(r.out());
  }

  @Test
  void run_withAStandInThatDoesNotEcho_failsStep4Alone() throws Exception {
    Run r = run(key -> DemoUpstream.start(key, false));

    assertThat(r.exit()).as(r.out()).isEqualTo(ExitCodes.NO);
    assertThat(r.out()).contains("4. FAILED secret scrubbed").contains("Demo FAILED at step 4 (secret scrubbed).")
        .contains("1. ok     credential injected").contains("5. ok     audit verify");
    assertNothingLeft(r.out());
  }

  @Test
  void run_whenTheStandInCannotStart_failsAtSetup_andCleansUp() throws Exception {
    Run r = run(key -> {
      throw new java.net.BindException("no port left for the stand-in");
    });

    assertThat(r.exit()).as(r.out()).isEqualTo(ExitCodes.NO);
    assertThat(r.out()).contains("Demo FAILED at setup: BindException no port left for the stand-in.")
        .doesNotContain("1. ");
    Matcher home = Pattern.compile("Working in (/\\S+) ").matcher(r.out());
    assertThat(home.find()).as(r.out()).isTrue();
    assertThat(Path.of(home.group(1))).doesNotExist();
  }

  @Test
  void run_withTheRealStandIn_passesEveryStep() throws Exception {
    Run r = run(DemoUpstream::start);

    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).doesNotContain("FAILED").contains("Demo passed: every step behaved as promised.");
    assertNothingLeft(r.out());
  }

  private static void assertNothingLeft(String out) {
    Matcher home = Pattern.compile("Working in (/\\S+) ").matcher(out);
    assertThat(home.find()).as(out).isTrue();
    assertThat(Path.of(home.group(1))).doesNotExist();
    Matcher pid = Pattern.compile("\\(pid ([0-9]+)\\)").matcher(out);
    assertThat(pid.find()).as(out).isTrue();
    assertThat(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }
}
