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
