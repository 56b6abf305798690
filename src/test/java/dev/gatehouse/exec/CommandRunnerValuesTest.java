package dev.gatehouse.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RunSpec and RunResult: checked when built, immutable afterwards. */
class CommandRunnerValuesTest {
  private static RunSpec spec(List<String> argv) {
    return new RunSpec(argv, RunSpec.DEFAULT_TIMEOUT, RunSpec.DEFAULT_MAX_OUTPUT, false);
  }

  @Test
  void runSpec_refusesBadValues() {
    assertThatThrownBy(() -> spec(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec(List.of("echo", "hi"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec(List.of("bin/echo"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec(List.of("/bin/echo", "a\0b"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec(List.of("/bin/ec\0ho"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec(Arrays.asList("/bin/echo", null))).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new RunSpec(List.of("/bin/echo"), Duration.ZERO, 1, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RunSpec(List.of("/bin/echo"), Duration.ofSeconds(-1), 1, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RunSpec(List.of("/bin/echo"), Duration.ofSeconds(1), 0, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RunSpec(List.of("/bin/echo"), null, 1, false))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void runSpec_copiesTheList() {
    List<String> argv = new ArrayList<>(List.of("/bin/echo", "a"));
    RunSpec s = spec(argv);
    argv.add("b");

    assertThat(s.argv()).containsExactly("/bin/echo", "a");
    assertThatThrownBy(() -> s.argv().add("c")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void runResult_copiesBytesInAndOut() {
    byte[] out = {1, 2, 3};
    RunResult r = new RunResult(0, out, new byte[0], false, false, false, Duration.ofMillis(1));
    out[0] = 9;
    r.stdout()[1] = 9;

    assertThat(r.stdout()).containsExactly(1, 2, 3);
    assertThat(r).isEqualTo(new RunResult(0, new byte[] {1, 2, 3}, new byte[0], false, false, false, Duration.ofMillis(1)));
    assertThat(r.toString()).contains("3 bytes").doesNotContain("[B@");
  }

  @Test
  void runResult_textReplacesMalformedUtf8() {
    RunResult r = new RunResult(0, new byte[] {'o', 'k', (byte) 0xff}, "é".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        false, false, false, Duration.ZERO);

    assertThat(r.stdoutText()).isEqualTo("ok\uFFFD");
    assertThat(r.stderrText()).isEqualTo("é");
  }
}
