package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Processes;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** README's "Give an agent a capability", run as written by a script, with the real launcher and daemon. */
class ReadmeAgentIT {
  @Test
  void theReadmeBlock_takesANewUserToAWorkingCall() throws Exception {
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-give-an-agent.sh").redirectErrorStream(true).start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(3), "readme-give-an-agent.sh");
    String output = r.out();
    assertThat(r.exit()).as(output).isZero();
    assertThat(output).contains("Dune Part Two 2160p").contains("intact");
  }
}
