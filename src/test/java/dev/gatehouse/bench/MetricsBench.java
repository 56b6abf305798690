package dev.gatehouse.bench;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.Upstream;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.metrics.MicrometerMetrics;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What /metrics costs a broker call, in one run: the recording a call makes (one call timer
 * and refusal counter, one audit-append timer, a batch's timer and summary) on Micrometer,
 * beside the same calls on {@link Metrics#NONE}; and a whole in-process broker call
 * ({@link Broker#handle}: signature, replay record, durable audit, credential injection,
 * scrubbing; the upstream answered from memory) with and without Micrometer behind the seam.
 * Run with bench/jmh.sh MetricsBench; see bench/README.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MetricsBench {
  static final Set<String> CAUSES = Set.of("path-refused", "replayed-nonce", "unknown-action", "upstream-error");

  @State(Scope.Benchmark)
  public static class Recording {
    @Param({"micrometer", "none"})
    public String metrics;
    Metrics m;

    @Setup
    public void setUp() {
      Set<String> actions = Set.of("media.item", "media.search", "media.files", "bench.get");
      m = metrics.equals("none") ? Metrics.NONE : new MicrometerMetrics(actions::contains, CAUSES,
          new MicrometerMetrics.Gauges(() -> 0, () -> 0, () -> 0));
    }
  }

  /** Everything one answered broker call records: its call, its durable decision, and a batch (one per call at worst). */
  @Benchmark
  public void recordOneCall(Recording r) {
    long t0 = System.nanoTime();
    r.m.auditAppend(System.nanoTime() - t0);
    r.m.auditBatch(1, 150_000);
    r.m.call("bench.get", Metrics.Outcome.ANSWERED, null, System.nanoTime() - t0);
  }

  @State(Scope.Benchmark)
  public static class Home {
    @Param({"micrometer", "none"})
    public String metrics;
    Path dir;
    Gatehouse g;
    Broker broker;
    Agent agent;
    final URI uri = URI.create("http://127.0.0.1:19999/v1/actions/bench.get");
    final byte[] body = "{}".getBytes(StandardCharsets.UTF_8);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      dir = AuditBench.benchDir("metrics");
      Path home = TestHome.create(dir);
      Path config = home.resolve("gatehouse.yaml");
      Files.writeString(config, Files.readString(config)
          .replaceAll("(?m)^(  per_(agent|action|source)): [^ \\n]+", "$1: 100000/second"));
      g = TestHome.open(home, Clock.systemUTC());
      g.vaultService().add("bench.apikey", "sk-bench-0123456789abcdef".getBytes(StandardCharsets.UTF_8), false, "bench");
      Path services = home.resolve(Catalog.DIR);
      Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path f = services.resolve("bench.yaml");
      Files.writeString(f, "service: bench\nbase_url: http://127.0.0.1:18081\nallow_private: [\"127.0.0.1/32\"]\n"
          + "auth: { type: header, name: X-Api-Key, secret: bench.apikey }\n"
          + "actions:\n  get: { method: GET, path: /data.json }\n");
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
      AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
      agent = g.agents().add("bot", List.of("bench.*"), "cli:bench");
      TestHome.fullTrust(g);
      byte[] answer = "{\"items\":[{\"id\":1,\"title\":\"Dune\"},{\"id\":2,\"title\":\"Arrival\"}]}"
          .getBytes(StandardCharsets.UTF_8);
      Upstream upstream = request -> new Upstream.Response(200, Map.of("Content-Type", List.of("application/json")),
          answer, false);
      if (metrics.equals("micrometer")) {
        g.startMetrics(catalog);
      }
      broker = g.broker(catalog, upstream);
    }

    Broker.Call call() {
      Map<String, String> headers = new TreeMap<>();
      MessageSignatures.sign("POST", uri, body, agent.keyId(), agent.key(), System.currentTimeMillis() / 1000,
          AgentCalls.nonce()).forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
      headers.put("content-type", "application/json");
      return new Broker.Call("POST", "127.0.0.1:19999", uri.getRawPath(), null, headers, body, "127.0.0.1");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
      g.close();
      AuditBench.delete(dir);
    }
  }

  /**
   * The same comparison in process CPU time rather than wall time, for a machine whose other
   * load makes wall-clock iterations useless: after a warm-up, alternating rounds of
   * {@code calls} broker calls on a home with Micrometer and one without (each round's first
   * alternating), and rounds of
   * recordings alone; prints the CPU per call (all threads: the audit and nonce writers
   * included) and per recording, with the medians. Run: bench/metrics-cpu.sh [calls] [rounds].
   */
  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    Home with = new Home();
    with.metrics = "micrometer";
    with.setUp();
    Home without = new Home();
    without.metrics = "none";
    without.setUp();
    Recording rec = new Recording();
    rec.metrics = "micrometer";
    rec.setUp();
    Recording none = new Recording();
    none.metrics = "none";
    none.setUp();
    MetricsBench b = new MetricsBench();
    int recordings = 200 * calls;
    for (int i = 0; i < 2 * calls; i++) { // warm-up: JIT, pools, the first segments
      b.brokerCall(with);
      b.brokerCall(without);
    }
    for (int i = 0; i < recordings; i++) {
      b.recordOneCall(rec);
      b.recordOneCall(none);
    }
    List<double[]> rows = new java.util.ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      double[] row = new double[4];
      if (r % 2 == 0) { // alternating which goes first, so neither always inherits the other's garbage
        row[0] = cpuPer(os, calls, () -> b.brokerCall(with));
        row[1] = cpuPer(os, calls, () -> b.brokerCall(without));
      } else {
        row[1] = cpuPer(os, calls, () -> b.brokerCall(without));
        row[0] = cpuPer(os, calls, () -> b.brokerCall(with));
      }
      row[2] = cpuPer(os, recordings, () -> b.recordOneCall(rec));
      row[3] = cpuPer(os, recordings, () -> b.recordOneCall(none));
      rows.add(row);
      System.out.printf(Locale.ROOT, "round %d: broker call %.1f us (micrometer) / %.1f us (none); recording %.0f ns"
          + " (micrometer) / %.0f ns (none)%n", r + 1, row[0] / 1000, row[1] / 1000, row[2], row[3]);
    }
    double[] med = new double[4];
    for (int c = 0; c < 4; c++) {
      final int col = c;
      double[] v = rows.stream().mapToDouble(x -> x[col]).sorted().toArray();
      med[c] = v[v.length / 2];
    }
    System.out.printf(Locale.ROOT, "median CPU per broker call: %.1f us with Micrometer, %.1f us without (difference"
        + " %.1f us); per call's recording: %.0f ns on Micrometer, %.0f ns on NONE: %.2f %% of a call%n",
        med[0] / 1000, med[1] / 1000, (med[0] - med[1]) / 1000, med[2], med[3], 100 * (med[2] - med[3]) / med[1]);
    with.tearDown();
    without.tearDown();
  }

  /** Process CPU nanoseconds per run of {@code op}, over {@code n} runs. */
  private static double cpuPer(com.sun.management.OperatingSystemMXBean os, int n, Runnable op) {
    long before = os.getProcessCpuTime();
    for (int i = 0; i < n; i++) {
      op.run();
    }
    return (double) (os.getProcessCpuTime() - before) / n;
  }

  /** One whole broker call in process (the request signed beforehand is part of the measured time, in both). */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int brokerCall(Home h) {
    Broker.Answer a = h.broker.handle(h.call());
    if (a.status() != 200) {
      throw new IllegalStateException("the bench call was answered " + a.status() + ": "
          + new String(a.body(), StandardCharsets.UTF_8));
    }
    return a.body().length;
  }
}
