package dev.gatehouse.bench;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.MerkleTree;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.audit.Rfc6962;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Audit log costs, each beside a raw baseline on the same disk in the same run: durable
 * appends (group commit) against a bare batched {@code FileChannel.force} loop, verification
 * against bare SHA-256 over the same bytes, and an inclusion proof at one million entries.
 * Run with bench/audit.sh; see bench/README.md.
 */
public class AuditBench {
  /** Where the files go: under target/, on the disk a home would live on (not a tmpfs). */
  static Path benchDir(String name) throws IOException {
    Path base = Path.of(System.getProperty("bench.dir", "target/bench"));
    Files.createDirectories(base);
    return Files.createTempDirectory(base.toAbsolutePath(), name);
  }

  static void delete(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static FileAuditLog openLog(Path dir) throws IOException {
    KeyPair keys;
    try {
      keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    Checkpoint.Verifier verifier = Checkpoint.Verifier.of("gatehouse.audit/bench", Checkpoint.rawPublicKey(keys.getPublic()));
    Redactor redactor = new Redactor(new byte[32], List.of("a-vault-secret-value-0123456789"));
    return FileAuditLog.open(dir, Clock.systemUTC(), redactor, verifier, keys.getPrivate(), FileAuditLog.Settings.DEFAULT);
  }

  /** A typical broker decision, about 300 bytes once written. */
  static AuditEvent event(long n) {
    return new AuditEvent("broker.call", "agent:media-bot", "jackett.search", "allowed",
        Map.of("status", "200", "upstream_ms", "41", "request_id", "r-" + n, "query", "dune part two 2024 2160p"));
  }

  // ---- durable appends -------------------------------------------------------------------

  @State(Scope.Benchmark)
  public static class Log {
    Path dir;
    FileAuditLog log;
    final AtomicLong n = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = benchDir("audit-append");
      log = openLog(dir);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      log.close();
      delete(dir);
    }
  }

  /**
   * The baseline: the least a durable group-committed append can do. Each caller queues a
   * line of the same size; whoever holds the lock writes every queued line and forces once.
   * No hashing, no JSON, no file lock, no checkpoints.
   */
  @State(Scope.Benchmark)
  public static class RawLog {
    Path dir;
    FileChannel channel;
    final ReentrantLock queueLock = new ReentrantLock();
    final Condition progress = queueLock.newCondition();
    final ArrayDeque<long[]> queue = new ArrayDeque<>();
    boolean leading;
    final byte[] line = new byte[300];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = benchDir("raw-append");
      channel = FileChannel.open(dir.resolve("raw.jsonl"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      java.util.Arrays.fill(line, (byte) 'x');
      line[line.length - 1] = '\n';
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      channel.close();
      delete(dir);
    }

    /** The same leader/waiters group commit as the log, around a bare write and force. */
    long append() throws IOException {
      long[] done = {-1};
      queueLock.lock();
      try {
        queue.add(done);
        while (done[0] < 0) {
          if (leading) {
            progress.awaitUninterruptibly();
            continue;
          }
          leading = true;
          List<long[]> batch = new ArrayList<>(queue);
          queue.clear();
          queueLock.unlock();
          try {
            ByteBuffer buf = ByteBuffer.allocate(batch.size() * line.length);
            for (int i = 0; i < batch.size(); i++) {
              buf.put(line);
            }
            buf.flip();
            while (buf.hasRemaining()) {
              channel.write(buf);
            }
            channel.force(false);
            batch.forEach(d -> d[0] = 1);
          } finally {
            queueLock.lock();
            leading = false;
            progress.signalAll();
          }
        }
        return done[0];
      } finally {
        queueLock.unlock();
      }
    }
  }

  @Benchmark
  @Threads(1)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public long append01Gatehouse(Log s) {
    return s.log.record(event(s.n.incrementAndGet()));
  }

  @Benchmark
  @Threads(1)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public long append01Raw(RawLog s) throws IOException {
    return s.append();
  }

  @Benchmark
  @Threads(8)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public long append08Gatehouse(Log s) {
    return s.log.record(event(s.n.incrementAndGet()));
  }

  @Benchmark
  @Threads(8)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public long append08Raw(RawLog s) throws IOException {
    return s.append();
  }

  @Benchmark
  @Threads(64)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public long append64Gatehouse(Log s) {
    return s.log.record(event(s.n.incrementAndGet()));
  }

  @Benchmark
  @Threads(64)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public long append64Raw(RawLog s) throws IOException {
    return s.append();
  }

  // ---- verification and proofs over a large log ------------------------------------------

  static final int VERIFY_ENTRIES = 200_000;
  static final int PROOF_ENTRIES = 1_000_000;

  @State(Scope.Benchmark)
  public static class Written {
    Path dir;
    Checkpoint.Verifier verifier;
    List<byte[]> segments = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = benchDir("audit-verify");
      try (FileAuditLog log = openLog(dir)) {
        // Many callers at once so the writes batch; the content is what the broker writes.
        java.util.stream.LongStream.range(0, VERIFY_ENTRIES).parallel().forEach(i -> log.record(event(i)));
      }
      verifier = AuditVerifier.verifierKey(dir);
      for (Path s : FileAuditLog.segments(dir)) {
        segments.add(Files.readAllBytes(s));
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      delete(dir);
    }
  }

  /** {@code audit verify}: read every segment, parse and hash every entry, chain, tree, checkpoint. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(VERIFY_ENTRIES)
  public long verifyGatehouse(Written w) throws IOException {
    AuditVerifier.Result r = AuditVerifier.verify(w.dir, w.verifier, null);
    if (!r.intact()) {
      throw new IllegalStateException(r.problem());
    }
    return r.entries();
  }

  /** The baseline: read the same files and SHA-256 each line once, nothing else. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(VERIFY_ENTRIES)
  public long verifyRawSha256(Written w) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long lines = 0;
    for (Path s : FileAuditLog.segments(w.dir)) {
      byte[] bytes = Files.readAllBytes(s);
      int start = 0;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          sha.update(bytes, start, i - start);
          sha.digest();
          start = i + 1;
          lines++;
        }
      }
    }
    return lines;
  }

  @State(Scope.Benchmark)
  public static class BigTree {
    MerkleTree tree = new MerkleTree();

    @Setup(Level.Trial)
    public void setUp() {
      byte[] line = new byte[300];
      for (int i = 0; i < PROOF_ENTRIES; i++) {
        line[0] = (byte) i;
        line[1] = (byte) (i >> 8);
        line[2] = (byte) (i >> 16);
        tree.append(Rfc6962.leafHash(line));
      }
    }
  }

  /** An inclusion proof for a random entry of a 1,000,000-entry tree, and its verification root. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int proveOneOfAMillion(BigTree t) {
    long index = ThreadLocalRandom.current().nextLong(PROOF_ENTRIES);
    return t.tree.inclusionProof(index, PROOF_ENTRIES).size();
  }

  /** The baseline: one SHA-256 of one 300-byte entry, the unit every proof step costs. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] oneLeafHash(BigTree t) {
    return Rfc6962.leafHash(new byte[300]);
  }

}
