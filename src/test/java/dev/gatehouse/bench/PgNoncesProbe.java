package dev.gatehouse.bench;

import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.broker.AuditedNonces;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.NonceStore;
import dev.gatehouse.broker.PgNonces;
import dev.gatehouse.store.PgPool;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.testing.TestPostgres;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one replay-record use costs: {@link AuditedNonces} (in memory) beside {@link PgNonces}
 * through one {@link PgPool} of 1, 2 and 4 connections on a {@link TestPostgres} cluster, in
 * interleaved rounds. Counts uses, and CPU time: this JVM's, and the PostgreSQL backends'
 * serving the pool (from /proc/PID/stat), which a shared machine disturbs less than wall time.
 *
 * <pre>java -cp ... dev.gatehouse.bench.PgNoncesProbe [SECONDS_PER_RUN] [THREADS] [ROUNDS]</pre>
 */
public final class PgNoncesProbe {
  private static final long TICKS = 100; // USER_HZ

  private PgNoncesProbe() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    TestPostgres.Database db = TestPostgres.shared().newDatabase();
    PgStateDb.open(db.connector()).close();
    AuditLog none = event -> {
      throw new IllegalStateException("not recorded in this probe");
    };
    System.out.printf("threads %d, %d s a run; load average at start: %s%n", threads, seconds, loadAverage());
    run("warm-up embedded", new AuditedNonces(none, Broker.NONCE_KEEP), null, db, seconds, threads);
    try (PgPool warm = new PgPool(db.connector(), 2, Duration.ofSeconds(30))) {
      run("warm-up pg/2", PgNonces.open(warm, Clock.systemUTC(), Broker.NONCE_KEEP), warm, db, seconds, threads);
    }
    for (int r = 0; r < rounds; r++) {
      run("embedded", new AuditedNonces(none, Broker.NONCE_KEEP), null, db, seconds, threads);
      for (int n : new int[] {1, 2, 4}) {
        try (PgPool pool = new PgPool(db.connector(), n, Duration.ofSeconds(30))) {
          run("pg pool " + n, PgNonces.open(pool, Clock.systemUTC(), Broker.NONCE_KEEP), pool, db, seconds, threads);
        }
      }
    }
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT count(*), pg_total_relation_size('agent_nonces') FROM agent_nonces")) {
      rs.next();
      System.out.printf("table: %d rows, %.1f MB with its indexes (%.0f bytes a row)%n", rs.getLong(1),
          rs.getLong(2) / 1e6, (double) rs.getLong(2) / rs.getLong(1));
    }
    System.out.printf("load average at end: %s%n", loadAverage());
    System.exit(0);
  }

  private static void run(String name, NonceStore store, PgPool pool, TestPostgres.Database db, int seconds,
      int threads) throws Exception {
    List<Integer> backends = new ArrayList<>();
    if (pool != null) {
      // Open every connection of the pool now, so their backends can be watched.
      List<PgPool.Lease> all = new ArrayList<>();
      for (int i = 0; i < pool.size(); i++) {
        all.add(pool.borrow());
      }
      for (PgPool.Lease l : all) {
        try (Statement s = l.connection().createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
          rs.next();
          backends.add(rs.getInt(1));
        }
        l.close();
      }
    }
    AtomicLong uses = new AtomicLong();
    AtomicLong replays = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    long cpu0 = processCpuNanos();
    long pg0 = ticks(backends);
    long wall0 = System.nanoTime();
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      running.add(Thread.ofPlatform().start(() -> {
        long i = 0;
        while (System.nanoTime() < end) {
          java.time.Instant now = java.time.Instant.now();
          try {
            if (store.use(new NonceStore.Use("probe.k1", name + "-" + id + "-" + i++ + "-" + wall0,
                now.getEpochSecond(), now, "agent:probe", "/v1/actions/x.y")).isEmpty()) {
              replays.incrementAndGet();
            }
          } catch (NonceStore.Unrecorded e) {
            throw new IllegalStateException(e);
          }
          uses.incrementAndGet();
        }
      }));
    }
    for (Thread t : running) {
      t.join();
    }
    double wall = (System.nanoTime() - wall0) / 1e9;
    double cpuMs = (processCpuNanos() - cpu0) / 1e6;
    double pgMs = (ticks(backends) - pg0) * 1000.0 / TICKS;
    long n = uses.get();
    System.out.printf("%-18s %9d uses %8.0f /s  jvm %6.1f us/use  pg backends %6.1f us/use  (replays %d, load %s)%n",
        name, n, n / wall, cpuMs * 1000 / n, pool == null ? 0 : pgMs * 1000 / n, replays.get(), loadAverage());
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** utime + stime of the processes {@code pids}, in clock ticks. */
  private static long ticks(List<Integer> pids) throws Exception {
    long sum = 0;
    for (int pid : pids) {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
    return sum;
  }

  private static String loadAverage() throws Exception {
    return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
  }
}
