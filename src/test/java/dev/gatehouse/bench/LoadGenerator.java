package dev.gatehouse.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.identity.MessageSignatures;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Load generator for {@code bench/broker.sh}: sends the same signed {@code POST} (RFC 9421
 * hmac-sha256, a fresh nonce and {@code created} per request, {@code Content-Digest}) to each
 * target over keep-alive HTTP/1.1 connections (raw sockets, one per worker thread), and measures
 *
 * <ul>
 *   <li><b>saturation</b>: closed loop, {@code --concurrency} connections, requests/s completed;
 *   <li><b>fixed rate</b>: open loop at {@code --rate} req/s; request i is due at
 *       {@code start + i/rate}, workers take the next due request, wait for its time and send it;
 *       latency is measured from the <em>intended</em> send time, so a stall is counted against
 *       every request it delayed (no coordinated omission). Service time (from the actual send)
 *       is reported beside it.
 * </ul>
 *
 * Rounds are interleaved (each round runs every target) and the report gives medians over the
 * rounds. Percentiles come from plain sorted arrays of nanosecond latencies.
 *
 * <p>{@code --pids NAME=PID,PID...} names the processes that serve a target: their CPU time
 * ({@code utime + stime} in {@code /proc/PID/stat}, all threads, in clock ticks of
 * {@code --clk-tck} per second) is read before and after each of its saturation phases and divided
 * by the calls counted in that phase: the target's CPU per call. Ticks over counted calls hold up
 * on a shared machine far better than wall-clock rates do. The report then gives issue 19's
 * figures from the targets it knows by name ({@code direct}, {@code proxy}, {@code gatehouse},
 * {@code helidon}, {@code vertx}, {@code jetty}, and {@code vertx-vt} when it ran).
 *
 * <p>Several replicas behind one name ({@code bench/replicas.sh}): {@code --target NAME=URL|URL|...}
 * spreads the target's connections over the URLs, worker w on URL {@code w mod n}, each request
 * signed for the URL it goes to (the signature covers the authority). A pid written {@code PID+}
 * counts the process with all its descendants, living and reaped (a PostgreSQL server: the
 * postmaster and the backends it forks and reaps during a phase). {@code --pids NAME.PART=PIDS}
 * names a part of NAME's processes: NAME's CPU is the sum of its parts, and each part's CPU per
 * call is reported beside it.
 *
 * <pre>
 * LoadGenerator --key-file K --target direct=http://127.0.0.1:1/data.json --target pg2=URL1|URL2 ... \
 *   [--pids direct=123,124 ...] [--pids pg2.daemons=125,126 --pids pg2.postgres=127+]
 *   [--clk-tck 100] [--meta key=value ...] (--meta cpu_of.NAME=TEXT: what NAME's CPU is)
 *   [--rounds 3] [--warmup-s 8] [--saturate-s 8] [--rate-s 10] [--rate 1000] [--concurrency 32]
 *   [--rate-workers 32] [--out target/broker-bench.json] [--only-saturate]
 * </pre>
 */
public final class LoadGenerator {
  private static final byte[] BODY = "{}".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A target: its URLs (the connections are spread over them) and the processes serving it, by
   * part (none: its CPU is not measured; a target named without parts has the one part "").
   */
  record Target(String name, List<URI> uris, Map<String, List<String>> parts) {
    Target {
      if (uris.isEmpty()) {
        throw new IllegalArgumentException(name + ": a target needs a URL");
      }
      uris = List.copyOf(uris);
      parts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parts));
    }

    /** The URL of worker connection {@code w}: round robin over the target's URLs. */
    URI uriFor(int w) {
      return uris.get(Math.floorMod(w, uris.size()));
    }

    /** Every part's pids, as given. */
    List<String> pids() {
      return parts.values().stream().flatMap(List::stream).toList();
    }

    /** {@code URL|URL|...}: the URLs of one target. */
    static List<URI> parseUris(String value) {
      return Arrays.stream(value.split("\\|", -1)).map(String::trim).map(u -> {
        if (u.isEmpty()) {
          throw new IllegalArgumentException("--target: an empty URL in " + value);
        }
        return URI.create(u);
      }).toList();
    }
  }

  /** One phase on one target; {@code cpuTicks} is -1 where the target's CPU is not measured. */
  record Result(String target, String mode, int round, double seconds, long ok, long errors, long[] latencies,
      long[] service, long cpuTicks, Map<String, Long> partTicks, String load) {
    Result(String target, String mode, int round, double seconds, long ok, long errors, long[] latencies,
        long[] service, long cpuTicks) {
      this(target, mode, round, seconds, ok, errors, latencies, service, cpuTicks, Map.of(), loadAverage());
    }

    double rps() {
      return ok / seconds;
    }

    /** Microseconds of the target's CPU per counted call, or NaN. */
    double cpuMicrosPerCall(int clkTck) {
      return cpuTicks < 0 || ok == 0 ? Double.NaN : cpuTicks * 1e6 / clkTck / ok;
    }

    /** Microseconds of one part's CPU per counted call, or NaN. */
    double partMicrosPerCall(String part, int clkTck) {
      long t = partTicks.getOrDefault(part, -1L);
      return t < 0 || ok == 0 ? Double.NaN : t * 1e6 / clkTck / ok;
    }
  }

  /** utime + stime of all the processes, in clock ticks; -1 if any of them is gone. */
  static long cpuTicks(List<Long> pids) {
    return treeTicks(pids.stream().map(String::valueOf).toList());
  }

  /**
   * The CPU ticks of the pids: {@code PID} counts utime + stime of that process; {@code PID+}
   * counts that process and every living descendant with the ticks of their reaped children
   * (cutime + cstime), so a child that exits during a phase moves its ticks into its parent's
   * count instead of taking them away. -1 if a named pid is gone.
   */
  static long treeTicks(List<String> pids) {
    long sum = 0;
    for (String p : pids) {
      boolean tree = p.endsWith("+");
      long pid = Long.parseLong(tree ? p.substring(0, p.length() - 1) : p);
      long own = ticksOf(pid, tree);
      if (own < 0) {
        return -1;
      }
      sum += own;
      if (tree) {
        var root = ProcessHandle.of(pid);
        if (root.isEmpty()) {
          return -1;
        }
        for (ProcessHandle d : root.get().descendants().toList()) {
          sum += Math.max(0, ticksOf(d.pid(), true)); // one that exited meanwhile is in its parent's
        }
      }
    }
    return sum;
  }

  private static long ticksOf(long pid, boolean withReaped) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return withReaped ? ticksWithReapedOf(stat) : ticksOf(stat);
    } catch (IOException e) {
      return -1;
    }
  }

  /** utime + stime (fields 14 and 15) of one {@code /proc/PID/stat} line. */
  static long ticksOf(String stat) {
    String[] f = statFields(stat);
    return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
  }

  /** utime + stime + cutime + cstime (fields 14-17): the process and its reaped children. */
  static long ticksWithReapedOf(String stat) {
    String[] f = statFields(stat);
    return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]) + Long.parseLong(f[16 - 3])
        + Long.parseLong(f[17 - 3]);
  }

  private static String[] statFields(String stat) {
    // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private final String keyId;
  private final byte[] key;

  LoadGenerator(String keyId, byte[] key) {
    this.keyId = keyId;
    this.key = key;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new LinkedHashMap<>();
    Map<String, List<URI>> uris = new LinkedHashMap<>();
    Map<String, List<String>> pids = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--only-saturate")) {
        opt.put("only-saturate", "true");
      } else if (a.equals("--target") || a.equals("--pids") || a.equals("--meta")) {
        String t = args[++i];
        int eq = t.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(a + " takes NAME=VALUE, not " + t);
        }
        String name = t.substring(0, eq);
        String value = t.substring(eq + 1);
        switch (a) {
          case "--target" -> uris.put(name, Target.parseUris(value));
          case "--pids" -> pids.put(name, parsePids(value));
          default -> meta.put(name, value);
        }
      } else if (a.startsWith("--")) {
        opt.put(a.substring(2), args[++i]);
      } else {
        throw new IllegalArgumentException("unknown argument " + a);
      }
    }
    List<Target> targets = targets(uris, pids);
    int clkTck = Integer.parseInt(opt.getOrDefault("clk-tck", "100"));
    String loadBefore = loadAverage();
    JsonNode keyFile = JSON.readTree(Files.readAllBytes(Path.of(opt.get("key-file"))));
    LoadGenerator g = new LoadGenerator(keyFile.get("keyid").asText(),
        Base64.getDecoder().decode(keyFile.get("key").asText()));
    int rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
    double warmup = Double.parseDouble(opt.getOrDefault("warmup-s", "8"));
    double satSeconds = Double.parseDouble(opt.getOrDefault("saturate-s", "8"));
    double rateSeconds = Double.parseDouble(opt.getOrDefault("rate-s", "10"));
    int[] rates = Arrays.stream(opt.getOrDefault("rate", "1000").split(",")).mapToInt(Integer::parseInt).toArray();
    int concurrency = Integer.parseInt(opt.getOrDefault("concurrency", "32"));
    int rateWorkers = Integer.parseInt(opt.getOrDefault("rate-workers", "32"));
    boolean onlySaturate = opt.containsKey("only-saturate");

    for (Target t : targets) {
      if (!t.pids().isEmpty() && treeTicks(t.pids()) < 0) {
        throw new IllegalStateException(t.name() + ": cannot read /proc/PID/stat of " + t.pids());
      }
      for (URI uri : t.uris()) {
        String answer = g.probe(uri);
        System.err.printf(Locale.ROOT, "probe %-9s %s %s%n", t.name(), uri.getAuthority(), answer);
        if (!answer.startsWith("200 ")) {
          throw new IllegalStateException(t.name() + " (" + uri + ") does not answer 200: " + answer);
        }
      }
    }
    for (Target t : targets) {
      System.err.printf(Locale.ROOT, "warm-up %-9s %.0f s at saturation ...%n", t.name(), warmup);
      g.saturate(t, concurrency, warmup, 0);
    }
    List<Result> results = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      for (Target t : targets) {
        Result res = g.saturate(t, concurrency, satSeconds, r);
        results.add(res);
        double cpu = res.cpuMicrosPerCall(clkTck);
        StringBuilder parts = new StringBuilder();
        res.partTicks().keySet().stream().filter(p -> !p.isEmpty()).forEach(p -> parts.append(
            String.format(Locale.ROOT, " %s %.1f", p, res.partMicrosPerCall(p, clkTck))));
        System.err.printf(Locale.ROOT,
            "round %d %-9s saturate  %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  errors %d%s  load %s%n",
            r, t.name(), res.rps(), ms(pct(res.latencies(), 50)), ms(pct(res.latencies(), 99)), res.errors(),
            Double.isNaN(cpu) ? "" : String.format(Locale.ROOT, "  CPU %.1f µs/call%s", cpu,
                parts.isEmpty() ? "" : " (" + parts.toString().strip() + ")"), res.load());
      }
      if (onlySaturate) {
        continue;
      }
      for (int rate : rates) for (Target t : targets) {
        Result res = g.fixedRate(t, rate, rateWorkers, rateSeconds, r);
        results.add(res);
        System.err.printf(Locale.ROOT,
            "round %d %-9s %5d/s    %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  (service p50 %.3f p99 %.3f)  errors %d%n",
            r, t.name(), rate, res.rps(), ms(pct(res.latencies(), 50)), ms(pct(res.latencies(), 99)),
            ms(pct(res.service(), 50)), ms(pct(res.service(), 99)), res.errors());
      }
    }
    var run = new RunInfo(rates, concurrency, rateWorkers, rounds, satSeconds, rateSeconds, warmup, clkTck, loadBefore,
        loadAverage(), meta);
    report(targets, results, run, opt.get("out"));
  }

  /** {@code 123,124,125+}: pids, a trailing {@code +} counting the process's descendants too. */
  static List<String> parsePids(String value) {
    List<String> out = Arrays.stream(value.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    for (String x : out) {
      if (!x.matches("[0-9]{1,10}\\+?")) {
        throw new IllegalArgumentException("--pids takes PID or PID+ separated by commas, not " + x);
      }
    }
    return out;
  }

  /**
   * The targets in the order named, each with its processes: {@code --pids NAME=...} is the whole
   * of NAME's, {@code --pids NAME.PART=...} one part of them (not both for one NAME).
   */
  static List<Target> targets(Map<String, List<URI>> uris, Map<String, List<String>> pids) {
    Map<String, Map<String, List<String>>> parts = new LinkedHashMap<>();
    pids.forEach((key, list) -> {
      String name = uris.containsKey(key) ? key : key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : key;
      if (!uris.containsKey(name)) {
        throw new IllegalArgumentException("--pids names " + key + ", which is no --target");
      }
      String part = name.equals(key) ? "" : key.substring(name.length() + 1);
      Map<String, List<String>> of = parts.computeIfAbsent(name, k -> new LinkedHashMap<>());
      if (part.isEmpty() ? !of.isEmpty() : of.containsKey("")) {
        throw new IllegalArgumentException("--pids gives " + name + " both as a whole and in parts");
      }
      of.put(part, list);
    });
    List<Target> targets = new ArrayList<>();
    uris.forEach((name, u) -> targets.add(new Target(name, u, parts.getOrDefault(name, Map.of()))));
    return targets;
  }

  /** Each part's ticks now; null if a process of the target is gone (its CPU is then unknown). */
  private static Map<String, Long> partTicks(Target t) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (var e : t.parts().entrySet()) {
      long ticks = treeTicks(e.getValue());
      if (ticks < 0) {
        return null;
      }
      out.put(e.getKey(), ticks);
    }
    return out;
  }

  // ---- the two modes ---------------------------------------------------------------------

  Result saturate(Target t, int concurrency, double seconds, int round) throws InterruptedException {
    long[][] lat = new long[concurrency][];
    long[] ok = new long[concurrency];
    long[] err = new long[concurrency];
    Thread[] threads = new Thread[concurrency];
    Map<String, Long> cpu0 = partTicks(t);
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    for (int w = 0; w < concurrency; w++) {
      int id = w;
      threads[w] = Thread.ofPlatform().name("sat-" + w).start(() -> {
        LongList l = new LongList();
        URI uri = t.uriFor(id);
        try (Conn c = new Conn(uri)) {
          while (true) {
            long s = System.nanoTime();
            if (s >= end) {
              break;
            }
            if (c.call(sign(uri))) {
              ok[id]++;
            } else {
              err[id]++;
            }
            l.add(System.nanoTime() - s);
          }
        } catch (IOException e) {
          err[id]++;
        }
        lat[id] = l.toArray();
      });
    }
    for (Thread th : threads) {
      th.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    Map<String, Long> cpu1 = cpu0 == null ? null : partTicks(t);
    long[] all = concat(lat);
    Map<String, Long> used = new LinkedHashMap<>();
    long cpu = t.parts().isEmpty() || cpu0 == null || cpu1 == null ? -1 : 0;
    if (cpu >= 0) {
      for (String part : t.parts().keySet()) {
        used.put(part, cpu1.get(part) - cpu0.get(part));
        cpu += cpu1.get(part) - cpu0.get(part);
      }
    }
    return new Result(t.name(), "saturate", round, elapsed, Arrays.stream(ok).sum(), Arrays.stream(err).sum(), all,
        all, cpu, used, loadAverage());
  }

  Result fixedRate(Target t, int rate, int workers, double seconds, int round) throws InterruptedException {
    long total = (long) (rate * seconds);
    double interval = 1e9 / rate;
    AtomicLong next = new AtomicLong();
    long[] lat = new long[(int) total];
    long[] svc = new long[(int) total];
    boolean[] good = new boolean[(int) total];
    Thread[] threads = new Thread[workers];
    long start = System.nanoTime() + 50_000_000L; // every worker connected before the first is due
    for (int w = 0; w < workers; w++) {
      URI uri = t.uriFor(w);
      threads[w] = Thread.ofPlatform().name("rate-" + w).start(() -> {
        try (Conn c = new Conn(uri)) {
          while (true) {
            long i = next.getAndIncrement();
            if (i >= total) {
              break;
            }
            long due = start + (long) (i * interval);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            long sent = System.nanoTime();
            good[(int) i] = c.call(sign(uri));
            long done = System.nanoTime();
            lat[(int) i] = done - due;
            svc[(int) i] = done - sent;
          }
        } catch (IOException e) {
          // the requests this worker did not send stay at latency 0 and count as errors
        }
      });
    }
    for (Thread th : threads) {
      th.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long ok = 0;
    for (boolean b : good) {
      ok += b ? 1 : 0;
    }
    return new Result(t.name(), "rate@" + rate, round, elapsed, ok, total - ok, lat, svc, -1);
  }

  // ---- signing and the wire --------------------------------------------------------------

  private static final ThreadLocal<SplittableRandom> RANDOM =
      ThreadLocal.withInitial(() -> new SplittableRandom(new SecureRandom().nextLong()));

  /** The whole request, signed now with a fresh nonce. */
  byte[] sign(URI uri) {
    SplittableRandom r = RANDOM.get();
    String nonce = HexFormat.of().toHexDigits(r.nextLong()) + HexFormat.of().toHexDigits(r.nextLong());
    Map<String, String> h = MessageSignatures.sign("POST", uri, BODY, keyId, key,
        System.currentTimeMillis() / 1000, nonce);
    String authority = uri.getHost() + ":" + uri.getPort();
    StringBuilder sb = new StringBuilder(512).append("POST ").append(uri.getRawPath()).append(" HTTP/1.1\r\n")
        .append("Host: ").append(authority).append("\r\n")
        .append("Content-Type: application/json\r\n")
        .append("Content-Length: ").append(BODY.length).append("\r\n");
    h.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    sb.append("\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] req = Arrays.copyOf(head, head.length + BODY.length);
    System.arraycopy(BODY, 0, req, head.length, BODY.length);
    return req;
  }

  String probe(URI uri) throws IOException {
    try (Conn c = new Conn(uri)) {
      boolean ok = c.call(sign(uri));
      return c.lastStatus + " " + (ok ? "" : "(not ok) ") + new String(c.lastBody, StandardCharsets.UTF_8).strip();
    }
  }

  /** One keep-alive HTTP/1.1 connection; reconnects when the server closes it. */
  static final class Conn implements AutoCloseable {
    private final URI uri;
    private Socket socket;
    private OutputStream out;
    private InputStream in;
    int lastStatus;
    byte[] lastBody = new byte[0];

    Conn(URI uri) throws IOException {
      this.uri = uri;
      connect();
    }

    private void connect() throws IOException {
      close();
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
      socket.setSoTimeout(30_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 16384);
    }

    /** Sends one request and reads the whole answer; true for a 200. */
    boolean call(byte[] request) throws IOException {
      try {
        return exchange(request);
      } catch (IOException e) {
        connect(); // a keep-alive connection closed by the server: one retry on a new one
        return exchange(request);
      }
    }

    private boolean exchange(byte[] request) throws IOException {
      out.write(request);
      out.flush();
      String status = line();
      if (status == null) {
        throw new IOException("connection closed");
      }
      lastStatus = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      boolean close = false;
      for (String h; !(h = line()).isEmpty(); ) {
        int colon = h.indexOf(':');
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> length = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          case "connection" -> close = value.equalsIgnoreCase("close");
          default -> { }
        }
      }
      if (chunked) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int size; (size = Integer.parseInt(line().split(";")[0].trim(), 16)) > 0; ) {
          body.write(in.readNBytes(size));
          line();
        }
        while (!line().isEmpty()) {
          // trailers
        }
        lastBody = body.toByteArray();
      } else if (length >= 0) {
        lastBody = in.readNBytes((int) length);
      } else {
        lastBody = in.readAllBytes();
        close = true;
      }
      if (close) {
        connect();
      }
      return lastStatus == 200 && lastBody.length > 0;
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder(64);
      for (int b; (b = in.read()) != -1; ) {
        if (b == '\n') {
          int n = sb.length();
          return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
        }
        sb.append((char) b);
      }
      if (sb.length() == 0) {
        return null;
      }
      throw new IOException("connection closed mid-line");
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }
  }

  // ---- numbers ---------------------------------------------------------------------------

  static final class LongList {
    long[] a = new long[1 << 16];
    int n;

    void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    long[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  static long[] concat(long[][] parts) {
    int n = 0;
    for (long[] p : parts) {
      n += p == null ? 0 : p.length;
    }
    long[] all = new long[n];
    int at = 0;
    for (long[] p : parts) {
      if (p != null) {
        System.arraycopy(p, 0, all, at, p.length);
        at += p.length;
      }
    }
    return all;
  }

  /** Nearest-rank percentile of the values (sorted in place, once). */
  static long pct(long[] values, double p) {
    if (values.length == 0) {
      return 0;
    }
    if (!sorted(values)) {
      Arrays.sort(values);
    }
    int rank = (int) Math.ceil(p / 100.0 * values.length);
    return values[Math.max(0, Math.min(values.length - 1, rank - 1))];
  }

  private static boolean sorted(long[] v) {
    for (int i = 1; i < v.length; i++) {
      if (v[i - 1] > v[i]) {
        return false;
      }
    }
    return true;
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (a.length == 0) {
      return Double.NaN;
    }
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  // ---- report ----------------------------------------------------------------------------

  /** How the run was made, for the report. */
  record RunInfo(int[] rates, int concurrency, int rateWorkers, int rounds, double satSeconds, double rateSeconds,
      double warmup, int clkTck, String loadBefore, String loadAfter, Map<String, String> meta) {}

  private static void report(List<Target> targets, List<Result> results, RunInfo run, String out) throws IOException {
    int[] rates = run.rates();
    int rounds = run.rounds();
    ObjectNode root = JSON.createObjectNode();
    root.put("date", java.time.Instant.now().toString());
    root.put("cores", Runtime.getRuntime().availableProcessors());
    root.put("java", System.getProperty("java.version"));
    root.putObject("load_average").put("start", run.loadBefore()).put("end", run.loadAfter());
    ObjectNode metaNode = root.putObject("meta");
    run.meta().forEach(metaNode::put);
    ObjectNode method = root.putObject("method");
    method.put("rounds", rounds).put("warmup_s", run.warmup()).put("saturate_s", run.satSeconds())
        .put("rate_s", run.rateSeconds()).put("rates", Arrays.toString(rates)).put("concurrency", run.concurrency())
        .put("rate_workers", run.rateWorkers())
        .put("latency", "from the intended send time (open loop); service_* from the actual send")
        .put("cpu", "utime + stime of the target's processes (/proc/PID/stat, all threads) over each saturation"
            + " phase, divided by the calls counted in that phase; clock ticks of " + run.clkTck() + " per second");
    ObjectNode cpuPids = root.putObject("cpu_pids");
    for (Target t : targets) {
      t.parts().forEach((part, list) -> {
        ArrayNode a = cpuPids.putArray(part.isEmpty() ? t.name() : t.name() + "." + part);
        list.forEach(a::add);
      });
    }
    ArrayNode runs = root.putArray("runs");
    // target -> metric -> values over rounds
    Map<String, Map<String, List<Double>>> m = new LinkedHashMap<>();
    Map<String, Long> errors = new LinkedHashMap<>();
    for (Result r : results) {
      ObjectNode n = runs.addObject();
      n.put("target", r.target()).put("mode", r.mode()).put("round", r.round()).put("seconds", r.seconds())
          .put("ok", r.ok()).put("errors", r.errors()).put("rps", r.rps())
          .put("p50_ms", ms(pct(r.latencies(), 50))).put("p90_ms", ms(pct(r.latencies(), 90)))
          .put("p99_ms", ms(pct(r.latencies(), 99))).put("p999_ms", ms(pct(r.latencies(), 99.9)))
          .put("max_ms", ms(pct(r.latencies(), 100)));
      var tm = m.computeIfAbsent(r.target(), k -> new LinkedHashMap<>());
      errors.merge(r.target(), r.errors(), Long::sum);
      if (r.mode().equals("saturate")) {
        tm.computeIfAbsent("rps", k -> new ArrayList<>()).add(r.rps());
        double cpu = r.cpuMicrosPerCall(run.clkTck());
        if (!Double.isNaN(cpu)) {
          n.put("cpu_ticks", r.cpuTicks()).put("cpu_us_per_call", cpu);
          tm.computeIfAbsent("cpu_us_per_call", k -> new ArrayList<>()).add(cpu);
          for (String part : r.partTicks().keySet()) {
            if (!part.isEmpty()) {
              double pc = r.partMicrosPerCall(part, run.clkTck());
              n.put("cpu_us_per_call." + part, pc);
              tm.computeIfAbsent("cpu_us_per_call." + part, k -> new ArrayList<>()).add(pc);
            }
          }
          n.put("load_average", r.load());
        }
      } else {
        n.put("service_p50_ms", ms(pct(r.service(), 50))).put("service_p99_ms", ms(pct(r.service(), 99)));
        tm.computeIfAbsent(r.mode() + ".p50_ms", k -> new ArrayList<>()).add(ms(pct(r.latencies(), 50)));
        tm.computeIfAbsent(r.mode() + ".p99_ms", k -> new ArrayList<>()).add(ms(pct(r.latencies(), 99)));
        tm.computeIfAbsent(r.mode() + ".service_p50_ms", k -> new ArrayList<>()).add(ms(pct(r.service(), 50)));
        tm.computeIfAbsent(r.mode() + ".service_p99_ms", k -> new ArrayList<>()).add(ms(pct(r.service(), 99)));
        tm.computeIfAbsent(r.mode() + ".achieved_rps", k -> new ArrayList<>()).add(r.rps());
      }
    }
    // The references by name (bench/broker.sh may run a subset): without direct, the first target;
    // without proxy, the same as the first column.
    String ref = m.containsKey("direct") ? "direct" : targets.get(0).name();
    String proxy = m.containsKey("proxy") ? "proxy" : ref;
    ObjectNode medians = root.putObject("medians");
    for (var e : m.entrySet()) {
      ObjectNode t = medians.putObject(e.getKey());
      for (var k : e.getValue().entrySet()) {
        t.put(k.getKey(), median(k.getValue()));
      }
      t.put("errors", errors.get(e.getKey()));
    }
    java.util.function.BiFunction<String, String, Double> med = (t, k) -> medians.path(t).path(k).asDouble(Double.NaN);
    StringBuilder table = new StringBuilder();
    boolean oneRef = proxy.equals(ref); // no proxy target: one "vs" column
    table.append(String.format(Locale.ROOT, "%nSaturation (%d connections), median of %d rounds; CPU per call: the"
        + " target's processes' /proc ticks over the calls counted in the phase:%n%n"
        + "| target | req/s | vs %s |%s CPU per call | errors |%n|---|---|---|%s---|---|%n",
        run.concurrency(), rounds, ref, oneRef ? "" : " vs " + proxy + " |", oneRef ? "" : "---|"));
    for (Target t : targets) {
      double v = med.apply(t.name(), "rps");
      double cpu = med.apply(t.name(), "cpu_us_per_call");
      String of = run.meta().get("cpu_of." + t.name());
      String split = t.parts().keySet().stream().filter(p -> !p.isEmpty())
          .map(p -> String.format(Locale.ROOT, "%s %.1f", p, med.apply(t.name(), "cpu_us_per_call." + p)))
          .collect(java.util.stream.Collectors.joining(" + "));
      if (!split.isEmpty()) {
        of = of == null ? split : split + "; " + of;
      }
      table.append(String.format(Locale.ROOT, "| %s | %,.0f | %.2f× |%s %s | %d |%n", t.name(), v,
          v / med.apply(ref, "rps"),
          oneRef ? "" : String.format(Locale.ROOT, " %.2f× |", v / med.apply(proxy, "rps")),
          Double.isNaN(cpu) ? "—" : String.format(Locale.ROOT, "%.1f µs%s", cpu, of == null ? "" : " (" + of + ")"),
          errors.get(t.name())));
      medians.with(t.name()).put("rps_vs_" + ref, v / med.apply(ref, "rps")).put("rps_vs_" + proxy,
          v / med.apply(proxy, "rps"));
    }
    for (int rate : rates) {
      String k = "rate@" + rate;
      if (!m.getOrDefault(ref, Map.of()).containsKey(k + ".p50_ms")) {
        continue; // --only-saturate
      }
      table.append(String.format(Locale.ROOT, "%nOpen loop at %d req/s (latency from the intended send time), median"
          + " of %d rounds:%n%n| target | achieved req/s | p50 | p99 | added p50 / p99 vs %s | p50, p99 vs %s"
          + " | p50, p99 vs %s | service p50 / p99 |%n|---|---|---|---|---|---|---|---|%n", rate, rounds, ref, ref, proxy));
      for (Target t : targets) {
        double p50 = med.apply(t.name(), k + ".p50_ms");
        double p99 = med.apply(t.name(), k + ".p99_ms");
        double a50 = med.apply(ref, k + ".p50_ms");
        double a99 = med.apply(ref, k + ".p99_ms");
        double b50 = med.apply(proxy, k + ".p50_ms");
        double b99 = med.apply(proxy, k + ".p99_ms");
        table.append(String.format(Locale.ROOT,
            "| %s | %,.0f | %.3f ms | %.3f ms | %+.3f / %+.3f ms | %.2f×, %.2f× | %.2f×, %.2f× | %.3f / %.3f ms |%n",
            t.name(), med.apply(t.name(), k + ".achieved_rps"), p50, p99, p50 - a50, p99 - a99, p50 / a50, p99 / a99,
            p50 / b50, p99 / b99, med.apply(t.name(), k + ".service_p50_ms"), med.apply(t.name(), k + ".service_p99_ms")));
        medians.with(t.name()).put(k + ".added_p50_ms", p50 - a50).put(k + ".added_p99_ms", p99 - a99);
      }
    }
    System.out.print(table);
    if (m.keySet().stream().anyMatch(ISSUE_19_TARGETS::contains)) {
      System.out.print(figures(root.putObject("figures"), m.keySet(), med, perRoundRatios(results, run.clkTck()), run));
    } else { // bench/replicas.sh: none of the figures applies
      System.out.printf(Locale.ROOT, "%nload average %s at the start, %s at the end%n", run.loadBefore(), run.loadAfter());
    }
    if (out != null) {
      Path p = Path.of(out);
      Files.createDirectories(p.toAbsolutePath().getParent());
      Files.write(p, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      System.out.println("\nresults: " + p);
    }
  }

  /** The targets issue 19's figures are made of. */
  private static final java.util.Set<String> ISSUE_19_TARGETS =
      java.util.Set.of("direct", "proxy", "gatehouse", "helidon", "vertx", "vertx-vt", "jetty");

  /** Per round, each target's CPU per call over helidon's in the same round: the spread behind the median ratio. */
  private static Map<String, List<Double>> perRoundRatios(List<Result> results, int clkTck) {
    Map<Integer, Double> helidon = new LinkedHashMap<>();
    for (Result r : results) {
      if (r.mode().equals("saturate") && r.target().equals("helidon")) {
        helidon.put(r.round(), r.cpuMicrosPerCall(clkTck));
      }
    }
    Map<String, List<Double>> ratios = new LinkedHashMap<>();
    for (Result r : results) {
      Double h = helidon.get(r.round());
      if (r.mode().equals("saturate") && h != null && !Double.isNaN(h) && !Double.isNaN(r.cpuMicrosPerCall(clkTck))) {
        ratios.computeIfAbsent(r.target(), k -> new ArrayList<>()).add(r.cpuMicrosPerCall(clkTck) / h);
      }
    }
    return ratios;
  }

  /**
   * Issue 19's figures (its table under "The decision", and the stack experiment's rule), each
   * with its goal, from the medians of this run; a figure whose targets did not run says which
   * it needs. Written to {@code figures} in the JSON too (null where not measured).
   */
  static String figures(ObjectNode json, java.util.Set<String> ran,
      java.util.function.BiFunction<String, String, Double> med, Map<String, List<Double>> roundRatios, RunInfo run) {
    int rate = Arrays.stream(run.rates()).anyMatch(r -> r == 1000) ? 1000 : run.rates()[0];
    String k = "rate@" + rate;
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%nIssue 19's figures, medians of %d rounds (load average %s at the start, %s at the end):%n%n"
            + "| figure | this run | goal | |%n|---|---|---|---|%n", run.rounds(), run.loadBefore(), run.loadAfter()));
    class Row {
      void add(String id, String label, List<String> needs, java.util.function.Supplier<Double> value, String format,
          String goal, java.util.function.DoublePredicate met, String detail) {
        ObjectNode f = json.putObject(id);
        f.put("label", label).put("goal", goal);
        List<String> missing = needs.stream().filter(n -> !ran.contains(n)).toList();
        double v = missing.isEmpty() ? value.get() : Double.NaN;
        if (Double.isNaN(v)) {
          f.putNull("value");
          f.putNull("met");
          String why = missing.isEmpty() ? "not measured" : "needs " + String.join(", ", missing);
          out.append(String.format(Locale.ROOT, "| %s | n/a (%s) | %s | |%n", label, why, goal));
          return;
        }
        boolean ok = met.test(v);
        f.put("value", v).put("met", ok);
        String d = detail == null ? "" : detail;
        if (!d.isEmpty()) {
          f.put("detail", d);
        }
        out.append(String.format(Locale.ROOT, "| %s | " + format + "%s | %s | %s |%n", label, v,
            d.isEmpty() ? "" : " (" + d + ")", goal, ok ? "met" : "MISSED"));
      }
    }
    Row row = new Row();
    double ghCpu = med.apply("gatehouse", "cpu_us_per_call");
    double heCpu = med.apply("helidon", "cpu_us_per_call");
    row.add("gatehouse_own_cpu_us_per_call", "Gatehouse's own CPU per call (gatehouse − helidon, at saturation)",
        List.of("gatehouse", "helidon"), () -> ghCpu - heCpu, "%.1f µs", "≤ 40 µs", v -> v <= 40,
        String.format(Locale.ROOT, "%.1f − %.1f µs", ghCpu, heCpu));
    row.add("throughput_vs_bare_stack", "throughput vs the bare stack (gatehouse / helidon)",
        List.of("gatehouse", "helidon"), () -> med.apply("gatehouse", "rps") / med.apply("helidon", "rps"), "%.2f×",
        "≥ 0.60×", v -> v >= 0.6, null);
    row.add("added_p50_ms", "added p50 over direct at " + rate + " req/s", List.of("gatehouse", "direct"),
        () -> med.apply("gatehouse", k + ".p50_ms") - med.apply("direct", k + ".p50_ms"), "%+.3f ms", "≤ +0.4 ms",
        v -> v <= 0.4, null);
    double ghP99 = med.apply("gatehouse", k + ".p99_ms");
    double heP99 = med.apply("helidon", k + ".p99_ms");
    row.add("p99_over_bare_stack_ms", "p99 at " + rate + " req/s over the bare stack's (gatehouse − helidon)",
        List.of("gatehouse", "helidon"), () -> ghP99 - heP99, "%+.3f ms", "≤ +1 ms", v -> v <= 1,
        String.format(Locale.ROOT, "%.3f vs %.3f ms", ghP99, heP99));
    row.add("throughput_vs_nginx_proxy", "throughput vs the nginx proxy (headline)", List.of("gatehouse", "proxy"),
        () -> med.apply("gatehouse", "rps") / med.apply("proxy", "rps"), "%.2f×", "≥ 0.50×", v -> v >= 0.5, null);
    for (String stack : List.of("vertx", "vertx-vt", "jetty")) {
      if (stack.equals("vertx-vt") && !ran.contains(stack)) {
        continue; // a variant bench/broker.sh runs only when asked for
      }
      double cpu = med.apply(stack, "cpu_us_per_call");
      String rounds = roundRatios.getOrDefault(stack, List.of()).stream()
          .map(x -> String.format(Locale.ROOT, "%.2f", x)).collect(java.util.stream.Collectors.joining(", "));
      row.add(stack + "_cpu_vs_helidon", "stack experiment: " + stack + " CPU per call / helidon's",
          List.of(stack, "helidon"), () -> cpu / heCpu, "%.2f×", "≤ 0.70× (move http/)", v -> v <= 0.7,
          String.format(Locale.ROOT, "%.1f vs %.1f µs; per round %s", cpu, heCpu, rounds));
    }
    return out.toString();
  }
}
