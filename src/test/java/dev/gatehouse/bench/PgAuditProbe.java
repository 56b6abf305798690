package dev.gatehouse.bench;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.PgAuditLog;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.testing.TestPostgres;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable audit appends per second with 1, 2 and 3 {@link PgAuditLog} replicas on one
 * database (the throwaway {@link TestPostgres} cluster: fsync off, so an upper bound for the
 * database side), beside {@link FileAuditLog} (fdatasync on this disk), interleaved, with the
 * CPU each append costs: this JVM's, and the database server's (its backends' ticks from
 * /proc), which a shared machine disturbs less than the wall-clock rate.
 *
 * <pre>java -cp ... dev.gatehouse.bench.PgAuditProbe [CALLERS] [SECONDS] [ROUNDS] [total|each]</pre>
 *
 * With {@code -Dprobe.pg.port=PORT -Dprobe.pg.user=ROLE -Dprobe.pg.password-file=FILE} it runs on
 * that cluster instead, on 127.0.0.1 (bench/replicas.sh's, fsync on), creating a database per
 * set-up as ROLE, which needs CREATEDB.
 *
 * CALLERS threads call {@code record} in a loop: {@code total} spreads them over the replicas
 * (the same load, more replicas), {@code each} gives every replica that many (the load grows
 * with the replicas, as when each serves its own agents).
 */
public final class PgAuditProbe {
  private PgAuditProbe() {}

  public static void main(String[] args) throws Exception {
    int callers = args.length > 0 ? Integer.parseInt(args[0]) : 12;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    boolean each = args.length > 3 && args[3].equals("each");
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier verifier = Checkpoint.Verifier.of("probe", Checkpoint.rawPublicKey(keys.getPublic()));
    Redactor redactor = new Redactor(new byte[32], List.of("sk-some-secret-value"));
    java.util.concurrent.Callable<TestPostgres.Database> databases = databases();
    System.out.printf("callers %d %s, %d s per run, load average %s, database: %s%n", callers,
        each ? "per replica" : "in all", seconds, loadavg(), System.getProperty("probe.pg.port") == null
            ? "TestPostgres (fsync off)" : "127.0.0.1:" + System.getProperty("probe.pg.port"));
    for (int round = 1; round <= rounds; round++) {
      for (int replicas = 0; replicas <= 3; replicas++) {
        List<AutoCloseable> open = new ArrayList<>();
        List<AuditLog> logs = new ArrayList<>();
        List<Long> backends = new ArrayList<>();
        if (replicas == 0) {
          Path dir = Files.createTempDirectory(Path.of("target"), "probe-audit-");
          FileAuditLog f = FileAuditLog.open(dir, Clock.systemUTC(), redactor, verifier, keys.getPrivate(),
              FileAuditLog.Settings.DEFAULT);
          open.add(f);
          logs.add(f);
        } else {
          TestPostgres.Database d = databases.call();
          for (int r = 0; r < replicas; r++) {
            PgAuditLog l = PgAuditLog.open(d.connector(), Clock.systemUTC(), redactor, verifier,
                keys.getPrivate(), FileAuditLog.Settings.DEFAULT, Metrics.NONE);
            open.add(l);
            logs.add(l);
            l.record(event(-1)); // connects
          }
          try (Connection c = d.connect(); Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                  + " AND pid <> pg_backend_pid()")) {
            while (rs.next()) {
              backends.add(rs.getLong(1));
            }
          }
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong appends = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long serverBefore = ticks(backends);
        long cpuBefore = jvmCpuNanos();
        long began = System.nanoTime();
        for (int t = 0; t < (each ? callers * logs.size() : callers); t++) {
          AuditLog log = logs.get(t % logs.size());
          threads.add(Thread.ofPlatform().start(() -> {
            for (int i = 0; !stop.get(); i++) {
              log.record(event(i));
              appends.incrementAndGet();
            }
          }));
        }
        Thread.sleep(seconds * 1000L); // a measurement window, not a correctness wait
        stop.set(true);
        for (Thread t : threads) {
          t.join();
        }
        long wall = System.nanoTime() - began;
        long cpu = jvmCpuNanos() - cpuBefore;
        long server = ticks(backends) - serverBefore;
        for (AutoCloseable c : open) {
          c.close();
        }
        long n = appends.get();
        System.out.printf("round %d  %-14s %8.0f appends/s  JVM %6.1f us/append  server %6.1f us/append  load %s%n",
            round, replicas == 0 ? "file" : "postgres x" + replicas, n / (wall / 1e9), cpu / 1e3 / n,
            server * (1e6 / 100) / n, loadavg());
      }
    }
    System.exit(0); // the shared cluster stops with the JVM
  }

  /** A new, empty database per call: on the cluster the system properties name, else on TestPostgres's. */
  private static java.util.concurrent.Callable<TestPostgres.Database> databases() throws Exception {
    String port = System.getProperty("probe.pg.port");
    if (port == null) {
      TestPostgres pg = TestPostgres.shared();
      return pg::newDatabase;
    }
    String user = System.getProperty("probe.pg.user", "gatehouse");
    String password = Files.readString(Path.of(System.getProperty("probe.pg.password-file"))).strip();
    var admin = new TestPostgres.Database("postgres", Integer.parseInt(port), user, password);
    AtomicLong made = new AtomicLong();
    return () -> {
      String name = "probe_" + ProcessHandle.current().pid() + "_" + made.incrementAndGet();
      try (Connection c = admin.connect(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      return new TestPostgres.Database(name, admin.port(), user, password);
    };
  }

  private static AuditEvent event(int i) {
    return new AuditEvent("broker.call", "agent:bench", "bench.get", "allowed",
        Map.of("replay", "0123456789abcdef0123456789abcdef", "param.q", "x" + i, "remote", "127.0.0.1"));
  }

  private static long jvmCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** utime + stime of {@code pids}, in clock ticks (100 per second). */
  private static long ticks(List<Long> pids) throws Exception {
    long sum = 0;
    for (long pid : pids) {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
    return sum;
  }

  private static String loadavg() throws Exception {
    return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
  }
}
