package dev.gatehouse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The arithmetic behind bench/broker.sh's figures: a wrong figure would steer the issue's decision. */
class LoadGeneratorTest {
  @Test
  void ticksOf_addsUtimeAndStime_evenWhenTheCommandNameHoldsParentheses() {
    // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    String stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 900 0 3 0 1234 567 8 9 20 0 31 0 100 0 0";

    assertThat(LoadGenerator.ticksOf(stat)).isEqualTo(1234 + 567);
  }

  @Test
  void cpuTicks_ofThisProcess_isReadFromProc_andAMissingProcessIsUnknown() {
    assertThat(LoadGenerator.cpuTicks(List.of(ProcessHandle.current().pid()))).isGreaterThanOrEqualTo(0);
    assertThat(LoadGenerator.cpuTicks(List.of(ProcessHandle.current().pid(), Long.MAX_VALUE))).isEqualTo(-1);
  }

  @Test
  void cpuMicrosPerCall_isTicksOverCountedCalls() {
    var r = new LoadGenerator.Result("helidon", "saturate", 1, 6.0, 50_000, 0, new long[0], new long[0], 300);

    assertThat(r.cpuMicrosPerCall(100)).isEqualTo(60.0); // 3 s of CPU over 50,000 calls
    assertThat(new LoadGenerator.Result("x", "saturate", 1, 6.0, 1, 0, new long[0], new long[0], -1)
        .cpuMicrosPerCall(100)).isNaN();
  }

  private static LoadGenerator.RunInfo run() {
    return new LoadGenerator.RunInfo(new int[] {1000, 200}, 32, 32, 3, 6, 8, 8, 100, "1.00 1.00 1.00",
        "2.00 2.00 2.00", Map.of());
  }

  @Test
  void figures_followTheIssuesDefinitions() {
    Map<String, Map<String, Double>> medians = Map.of(
        "direct", Map.of("rps", 40_000.0, "rate@1000.p50_ms", 0.2, "rate@1000.p99_ms", 0.5),
        "proxy", Map.of("rps", 30_000.0),
        "gatehouse", Map.of("rps", 9_000.0, "cpu_us_per_call", 90.0, "rate@1000.p50_ms", 0.5,
            "rate@1000.p99_ms", 2.0),
        "helidon", Map.of("rps", 15_000.0, "cpu_us_per_call", 60.0, "rate@1000.p99_ms", 1.5),
        "vertx", Map.of("cpu_us_per_call", 30.0),
        "jetty", Map.of("cpu_us_per_call", 48.0));
    BiFunction<String, String, Double> med = (t, k) -> medians.getOrDefault(t, Map.of()).getOrDefault(k, Double.NaN);
    ObjectNode json = new ObjectMapper().createObjectNode();

    String text = LoadGenerator.figures(json, medians.keySet(), med,
        Map.of("vertx", List.of(0.5, 0.55), "jetty", List.of(0.8)), run());

    assertThat(json.path("gatehouse_own_cpu_us_per_call").path("value").asDouble()).isEqualTo(30.0);
    assertThat(json.path("gatehouse_own_cpu_us_per_call").path("met").asBoolean()).isTrue();
    assertThat(json.path("throughput_vs_bare_stack").path("value").asDouble()).isEqualTo(0.6);
    assertThat(json.path("throughput_vs_bare_stack").path("met").asBoolean()).isTrue();
    assertThat(json.path("throughput_vs_nginx_proxy").path("value").asDouble()).isEqualTo(0.3);
    assertThat(json.path("throughput_vs_nginx_proxy").path("met").asBoolean()).isFalse();
    assertThat(json.path("added_p50_ms").path("value").asDouble()).isEqualTo(0.3, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(json.path("p99_over_bare_stack_ms").path("value").asDouble()).isEqualTo(0.5);
    assertThat(json.path("p99_over_bare_stack_ms").path("met").asBoolean()).isTrue();
    assertThat(json.path("vertx_cpu_vs_helidon").path("value").asDouble()).isEqualTo(0.5);
    assertThat(json.path("vertx_cpu_vs_helidon").path("met").asBoolean()).isTrue();
    assertThat(json.path("jetty_cpu_vs_helidon").path("value").asDouble()).isEqualTo(0.8);
    assertThat(json.path("jetty_cpu_vs_helidon").path("met").asBoolean()).isFalse();
    assertThat(text).contains("load average 1.00 1.00 1.00 at the start, 2.00 2.00 2.00 at the end")
        .contains("per round 0.50, 0.55");
  }

  @Test
  void figures_whoseTargetsDidNotRun_sayWhatTheyNeed() {
    ObjectNode json = new ObjectMapper().createObjectNode();
    BiFunction<String, String, Double> med = (t, k) -> k.equals("cpu_us_per_call") ? 50.0 : Double.NaN;

    String text = LoadGenerator.figures(json, Set.of("helidon", "vertx"), med, Map.of(), run());

    assertThat(json.path("gatehouse_own_cpu_us_per_call").path("value").isNull()).isTrue();
    assertThat(text).contains("n/a (needs gatehouse)").contains("n/a (needs gatehouse, proxy)")
        .contains("n/a (needs jetty)");
    assertThat(json.path("vertx_cpu_vs_helidon").path("value").asDouble()).isEqualTo(1.0);
  }
}
