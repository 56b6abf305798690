package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.fail;

import dev.gatehouse.exec.CommandRunner;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether this machine can run exec commands at all: each needs a cgroup v2 of its own (root,
 * or a delegated cgroup; see CommandRunner). Without it a test that runs commands is skipped,
 * loudly and saying why; with CI=true it fails instead, because CI runs as root on a host
 * that has cgroup v2, so a refusal there is a real fault.
 */
public final class ExecHost {
  private static Optional<String> problem;

  private ExecHost() {}

  public static synchronized void requireCgroups() {
    if (problem == null) {
      problem = new CommandRunner().cgroupProblem();
      problem.ifPresent(p -> System.err.printf("""

          ****************************************************************
          *  EXEC TESTS SKIPPED: commands cannot run here: %s
          *  (needs root, or a delegated cgroup v2, and Linux 5.14 or later)
          ****************************************************************
          %n""", p));
    }
    if (problem.isPresent()) {
      if ("true".equals(System.getenv("CI"))) {
        fail("commands cannot run here: " + problem.get() + " (CI=true: this is a failure here)");
      }
      Assumptions.abort("SKIPPED, commands cannot run here: " + problem.get());
    }
  }
}
