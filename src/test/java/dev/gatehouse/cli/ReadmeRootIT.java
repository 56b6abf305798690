package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** README's "Let the assistant ask for root" with a real agent user, sudo and oathtool (needs root). */
class ReadmeRootIT {
  @Test
  void theAgentAsks_theOwnerApproves_theCommandRunsOnceAsRoot() throws Exception {
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-ask-for-root.sh").redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    if (p.exitValue() == 77) {
      System.err.println("ReadmeRootIT NOT RUN: " + output.strip());
      Assumptions.abort(output.strip());
    }
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("README root flow: OK");
  }
}
