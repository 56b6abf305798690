package dev.gatehouse.bench;

import dev.gatehouse.guard.InjectionScanner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * CPU time of one thread per injection scan of bench/broker.sh's upstream answer: the scan a
 * broker call pays for its answer, measured where a shared machine disturbs it least (thread
 * CPU time, not wall time). Run each build in its own JVM, alternating builds.
 *
 * <pre>ScanCpu [SCANS]     # default 40,000 after as many for warm-up</pre>
 */
public final class ScanCpu {
  /** The answer bench/broker.sh's nginx serves. */
  static final String ANSWER = "{\"status\":\"ok\",\"version\":\"0.27.1\",\"indexers\":[{\"id\":\"1337x\",\"name\":\"1337x\","
      + "\"type\":\"public\",\"configured\":true},{\"id\":\"rarbg\",\"name\":\"RARBG\",\"type\":\"public\",\"configured\":false},"
      + "{\"id\":\"nyaa\",\"name\":\"Nyaa\",\"type\":\"public\",\"configured\":true}],\"updated\":\"2026-11-29T12:00:00Z\"}";

  public static void main(String[] args) {
    int scans = args.length > 0 ? Integer.parseInt(args[0]) : 40_000;
    InjectionScanner scanner = new InjectionScanner();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    int flags = 0;
    for (int i = 0; i < scans; i++) {
      flags += scanner.scan(ANSWER).size();
    }
    long cpu0 = mx.getCurrentThreadCpuTime();
    for (int i = 0; i < scans; i++) {
      flags += scanner.scan(ANSWER).size();
    }
    long cpu = mx.getCurrentThreadCpuTime() - cpu0;
    System.out.printf(Locale.ROOT, "%.1f us CPU per scan (%d scans, %d flags)%n", cpu / 1e3 / scans, scans, flags);
  }
}
