package dev.gatehouse.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.guard.InjectionFlag;
import dev.gatehouse.guard.InjectionScanner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The injection scanner over every line of the corpus (attacks and benign texts, all parts),
 * beside the reference measured in the same run: Jackson parsing the same JSON lines, which
 * is the least that `gatehouse scan --lines` does per line. Run with bench/scan.sh.
 */
@State(Scope.Benchmark)
public class ScanBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final InjectionScanner scanner = new InjectionScanner();
  private List<String> lines;
  private List<String> texts;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    lines = new ArrayList<>();
    for (String part : List.of("attacks-tune", "attacks-heldout", "attacks-fresh", "benign-tune", "benign-heldout",
        "benign-fresh")) {
      try (InputStream in = ScanBench.class.getResourceAsStream("/dev/gatehouse/guard/injection/" + part + ".jsonl")) {
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().forEach(lines::add);
      }
    }
    texts = new ArrayList<>();
    for (String l : lines) {
      texts.add(JSON.readTree(l).get("text").asText());
    }
  }

  /** Reference: parse each line's JSON and take its text (one op = the whole corpus). */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public void jacksonParseCorpus(Blackhole bh) throws IOException {
    for (String l : lines) {
      JsonNode n = JSON.readTree(l);
      bh.consume(n.get("text").asText());
    }
  }

  /** The scanner over each text (one op = the whole corpus). */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public void scanCorpus(Blackhole bh) {
    for (String t : texts) {
      List<InjectionFlag> flags = scanner.scan(t);
      bh.consume(flags);
    }
  }

}
