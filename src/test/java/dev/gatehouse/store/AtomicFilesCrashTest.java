package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills a process that is rewriting a file with SIGKILL at random moments: after each kill the
 * file must hold one whole version, never a torn or empty one.
 */
class AtomicFilesCrashTest {
  private static final int KILLS = 30;

  @TempDir
  Path temp;

  @ParameterizedTest
  @ValueSource(strings = {"write", "replace"})
  void sigkillAtAnyMoment_leavesAWholeVersion(String how) throws Exception {
    Path target = temp.resolve("state.json");
    String java = ProcessHandle.current().info().command().orElseThrow();
    Random random = new Random();
    List<String> problems = new ArrayList<>();
    long highest = -1;
    for (int i = 0; i < KILLS; i++) {
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          AtomicWriteLoop.class.getName(), target.toString(), how).redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      // Not a wait for correctness: it only spreads the kills over the write loop.
      Thread.sleep(random.nextInt(40));
      child.destroyForcibly(); // SIGKILL on Linux
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isEqualTo(137);

      long gen = AtomicWriteLoop.check(Files.readAllBytes(target));
      if (gen < 0) {
        problems.add("kill " + i + ": torn file of " + Files.size(target) + " bytes");
      }
      highest = Math.max(highest, gen);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
    }
    assertThat(problems).isEmpty();
    assertThat(highest).as("the loop got past its first versions").isGreaterThan(1);
  }
}
