package dev.gatehouse.exec;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.RefusedException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate refuses on a host where commands cannot be contained, before any code is used. */
class ExecGateHostTest {
  private static final ExecPolicy POLICY = ExecPolicy.parse("exec.yaml", """
      allow:
        - { program: /bin/echo, args: ["**"] }
      """);

  @Test
  void noCgroup_isRefusedBeforeTheCodeOrTheApprovalsAreUsed() {
    CommandRunner runner = new CommandRunner(Path.of("/nonexistent/bwrap"), Duration.ofMillis(500), () -> {
      throw new CgroupUnavailableException("this process is in no cgroup v2 hierarchy");
    });
    // No TOTP core, approvals or audit log: using any of them would fail differently.
    ExecGate gate = new ExecGate(POLICY, null, null, runner, null, Clock.systemUTC());

    assertThatThrownBy(() -> gate.runWithCode(List.of("/bin/echo", "hi"), "123456", "cli:test"))
        .isInstanceOf(RefusedException.class)
        .hasMessageContaining("no cgroup v2 hierarchy")
        .hasMessageContaining("nothing ran and no code was used");
    assertThatThrownBy(() -> gate.request(List.of("/bin/echo", "hi"), "cli:test"))
        .isInstanceOf(RefusedException.class)
        .hasMessageContaining("no cgroup v2 hierarchy");
  }
}
