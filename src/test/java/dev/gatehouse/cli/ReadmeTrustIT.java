package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Processes;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** README's "Decide how much your agent may do alone", run as written by a script, with the real launcher and daemon. */
class ReadmeTrustIT {
  @Test
  void theReadmeBlock_waitsForTheOwner_runsOnce_andRollsBack() throws Exception {
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-decide-how-much.sh").redirectErrorStream(true).start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(3), "readme-decide-how-much.sh");
    String output = r.out();
    assertThat(r.exit()).as(output).isZero();
    assertThat(output).contains("waiting for the owner's approval").contains("Ok.").contains("rollback of #10")
        .contains("readme-decide-how-much: ok");
  }
}
