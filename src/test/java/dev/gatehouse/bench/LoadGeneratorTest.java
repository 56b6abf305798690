package dev.gatehouse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.identity.SignatureException;
import dev.gatehouse.identity.SignedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
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
  void ticksWithReapedOf_addsTheReapedChildrensTicks() {
    String stat = "4242 (postgres) S 1 4242 4242 0 -1 4194560 900 0 3 0 1234 567 8 9 20 0 31 0 100 0 0";

    assertThat(LoadGenerator.ticksWithReapedOf(stat)).isEqualTo(1234 + 567 + 8 + 9);
  }

  @Test
  void treeTicks_ofThisProcessWithItsDescendants_countsAtLeastItsOwn_andAGoneRootIsUnknown() {
    String self = Long.toString(ProcessHandle.current().pid());
    long own = LoadGenerator.treeTicks(List.of(self));

    assertThat(LoadGenerator.treeTicks(List.of(self + "+"))).isGreaterThanOrEqualTo(own);
    assertThat(LoadGenerator.treeTicks(List.of(self, "999999999+"))).isEqualTo(-1);
  }

  @Test
  void targets_spreadOverTheirUrlsRoundRobin_andTakeTheirProcessesWholeOrInParts() {
    var uris = new LinkedHashMap<String, List<URI>>();
    uris.put("embedded", LoadGenerator.Target.parseUris("http://127.0.0.1:1/a"));
    uris.put("pg3", LoadGenerator.Target.parseUris("http://127.0.0.1:1/a|http://127.0.0.1:2/a|http://127.0.0.1:3/a"));
    var pids = new LinkedHashMap<String, List<String>>();
    pids.put("embedded", LoadGenerator.parsePids("10"));
    pids.put("pg3.daemons", LoadGenerator.parsePids("11,12,13"));
    pids.put("pg3.postgres", LoadGenerator.parsePids("14+"));

    List<LoadGenerator.Target> targets = LoadGenerator.targets(uris, pids);

    LoadGenerator.Target pg3 = targets.get(1);
    assertThat(List.of(0, 1, 2, 3, 4, 5).stream().map(w -> pg3.uriFor(w).getPort()).toList())
        .containsExactly(1, 2, 3, 1, 2, 3);
    assertThat(targets.get(0).uriFor(7).getPort()).isEqualTo(1);
    assertThat(pg3.parts()).containsOnlyKeys("daemons", "postgres");
    assertThat(pg3.pids()).containsExactly("11", "12", "13", "14+");
    assertThat(targets.get(0).parts()).containsOnlyKeys("");
  }

  @Test
  void targets_refuseAnEmptyUrl_aBadPid_anUnknownTarget_andAWholeBesideParts() {
    assertThatThrownBy(() -> LoadGenerator.Target.parseUris("http://127.0.0.1:1/a|")).hasMessageContaining("empty URL");
    assertThatThrownBy(() -> LoadGenerator.parsePids("12,x")).hasMessageContaining("not x");
    var uris = Map.of("pg2", List.of(URI.create("http://127.0.0.1:1/a")));
    assertThatThrownBy(() -> LoadGenerator.targets(uris, Map.of("pg3.daemons", List.of("1"))))
        .hasMessageContaining("pg3.daemons, which is no --target");
    var both = new LinkedHashMap<String, List<String>>();
    both.put("pg2", List.of("1"));
    both.put("pg2.postgres", List.of("2+"));
    assertThatThrownBy(() -> LoadGenerator.targets(uris, both)).hasMessageContaining("both as a whole and in parts");
  }

  @Test
  void saturate_overSeveralUrls_signsEachRequestForTheAuthorityItIsSentTo() throws Exception {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) 7);
    AtomicLong rejected = new AtomicLong();
    try (VerifyingServer a = new VerifyingServer(key, rejected); VerifyingServer b = new VerifyingServer(key, rejected)) {
      var target = new LoadGenerator.Target("pg2", List.of(a.uri(), b.uri()), Map.of());

      LoadGenerator.Result r = new LoadGenerator("bench-bot", key).saturate(target, 4, 1.0, 1);

      assertThat(rejected).hasValue(0);
      assertThat(r.errors()).isZero();
      assertThat(a.accepted).hasPositiveValue();
      assertThat(b.accepted).hasPositiveValue();
      assertThat(a.accepted.get() + b.accepted.get()).isEqualTo(r.ok());
    }
  }

  /**
   * A loopback server that verifies each request's signature against its OWN authority (not the
   * Host header the client sent), as the daemon does: 200 when it holds, 401 otherwise.
   */
  private static final class VerifyingServer implements AutoCloseable {
    final AtomicLong accepted = new AtomicLong();
    private final HttpServer server;

    VerifyingServer(byte[] key, AtomicLong rejected) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      String authority = "127.0.0.1:" + server.getAddress().getPort();
      server.createContext("/v1/actions/bench.get", ex -> {
        ex.getRequestBody().readAllBytes();
        Map<String, String> headers = new LinkedHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
        int status;
        try {
          MessageSignatures.verify(MessageSignatures.parse(headers.get("signature-input"), headers.get("signature")),
              new SignedRequest(ex.getRequestMethod(), authority, ex.getRequestURI().getRawPath(),
                  ex.getRequestURI().getRawQuery(), headers), key);
          accepted.incrementAndGet();
          status = 200;
        } catch (SignatureException | RuntimeException e) {
          rejected.incrementAndGet();
          status = 401;
        }
        byte[] body = "{}".getBytes(StandardCharsets.US_ASCII);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
      });
      server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
      server.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/actions/bench.get");
    }

    @Override
    public void close() {
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  @Test
  void cpuTicks_ofThisProcess_andAMissingProcessIsUnknown() {
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
