package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Processes;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** README's "Let the assistant ask for root" with a real agent user, sudo and oathtool (needs root). */
class ReadmeRootIT {
  @Test
  void theAgentAsks_theOwnerApproves_theCommandRunsOnceAsRoot() throws Exception {
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-ask-for-root.sh").redirectErrorStream(true).start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(3), "readme-ask-for-root.sh");
    String output = r.out();
    if (r.exit() == 77) {
      System.err.println("ReadmeRootIT NOT RUN: " + output.strip());
      Assumptions.abort(output.strip());
    }
    assertThat(r.exit()).as(output).isZero();
    assertThat(output).contains("README root flow: OK");
  }
}
