package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a process that adds entries in a loop, 50 times at random moments: after each
 * kill the vault opens and holds every entry whose add had returned.
 */
class VaultCrashTest {
  private static final int KILLS = 50;

  @TempDir
  Path temp;

  @Test
  void sigkillDuringAdds_losesNoEntryWhoseAddReturned() throws Exception {
    Path file = temp.resolve("vault.gh");
    new Vault(file, new SecureRandom(), Clock.systemUTC()).create(new Credential.Password("pw".toCharArray()),
        VaultTest.FAST);
    String java = ProcessHandle.current().info().command().orElseThrow();
    Random random = new Random();
    Set<String> returned = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < KILLS; i++) {
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          VaultAddLoop.class.getName(), file.toString(), "run" + i).redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      Thread.sleep(random.nextInt(150)); // spreads the kills over the loop; not a wait for correctness
      child.toHandle().destroyForcibly(); // SIGKILL; unlike Process.destroyForcibly it leaves the pipe readable
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("added ")) {
          returned.add(line.substring(6));
        }
      }
      Vault v = new Vault(file, new SecureRandom(), Clock.systemUTC());
      v.unseal(new Credential.Password("pw".toCharArray()));
      Set<String> present = new HashSet<>();
      v.list().forEach(e -> present.add(e.name()));
      for (String name : returned) {
        if (!present.contains(name)) {
          problems.add("after kill " + i + ": " + name + " is missing");
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(returned).as("the loop really added entries").hasSizeGreaterThan(KILLS / 2);
  }
}
