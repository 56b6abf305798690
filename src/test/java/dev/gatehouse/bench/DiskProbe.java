package dev.gatehouse.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * A reference for {@code bench/broker.sh}: what one durable append costs on the disk the
 * Gatehouse home is on, at the same arrival rates as the open-loop phases. One thread appends a
 * 600-byte line (about one audit batch at these rates) and {@code fdatasync}s it
 * ({@code force(false)}, as the audit writer does), open loop: append i is due at
 * {@code start + i/rate} and its latency counts from then, so a slow flush also counts against
 * the appends it delayed. Nothing else: no hashing, no JSON, no second file.
 *
 * <pre>
 * DiskProbe --dir DIR [--rate 1000,200] [--seconds 8] [--rounds 3] [--label TEXT]
 * </pre>
 * Prints one line per rate with the medians over the rounds of p50, p99 and max, in ms.
 */
public final class DiskProbe {
  private DiskProbe() {}

  public static void main(String[] args) throws IOException {
    Path dir = null;
    int[] rates = {1000, 200};
    int seconds = 8;
    int rounds = 3;
    String label = "";
    for (int i = 0; i < args.length; i += 2) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--dir" -> dir = Path.of(v);
        case "--rate" -> rates = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
        case "--seconds" -> seconds = Integer.parseInt(v);
        case "--rounds" -> rounds = Integer.parseInt(v);
        case "--label" -> label = "  " + v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("--dir DIR is required (a folder on the disk to measure)");
    }
    Path file = dir.resolve("disk-probe.jsonl");
    byte[] line = new byte[600];
    Arrays.fill(line, (byte) 'x');
    line[line.length - 1] = '\n';
    for (int rate : rates) {
      List<double[]> results = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        Files.deleteIfExists(file);
        results.add(run(file, line, rate, seconds));
      }
      System.out.printf(Locale.ROOT, "disk  %5d/s  durable append  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms"
              + "  (median of %d rounds of %d s)%s%n", rate, median(results, 0), median(results, 1),
          median(results, 2), rounds, seconds, label);
    }
    Files.deleteIfExists(file);
  }

  private static double[] run(Path file, byte[] line, int rate, int seconds) throws IOException {
    int n = rate * seconds;
    long[] latency = new long[n];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      long start = System.nanoTime() + 50_000_000L;
      for (int i = 0; i < n; i++) {
        long due = start + (long) i * 1_000_000_000L / rate;
        long now;
        while ((now = System.nanoTime()) < due) {
          LockSupport.parkNanos(due - now);
        }
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(false);
        latency[i] = System.nanoTime() - due;
      }
    }
    Arrays.sort(latency);
    return new double[] {at(latency, 0.50), at(latency, 0.99), latency[n - 1] / 1e6};
  }

  /** Nearest rank, in ms. */
  private static double at(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, rank - 1)] / 1e6;
  }

  private static double median(List<double[]> rows, int column) {
    double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
    return v[v.length / 2];
  }
}
