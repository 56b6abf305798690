package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** README's "Give an agent a capability", run as written by a script, with the real launcher and daemon. */
class ReadmeAgentIT {
  @Test
  void theReadmeBlock_takesANewUserToAWorkingCall() throws Exception {
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-give-an-agent.sh").redirectErrorStream(true).start();
    boolean done = p.waitFor(3, TimeUnit.MINUTES);
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done).as(output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("Dune Part Two 2160p").contains("intact");
  }
}
