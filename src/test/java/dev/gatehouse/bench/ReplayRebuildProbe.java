package dev.gatehouse.bench;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.broker.AuditedNonces;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.NonceStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What rebuilding the replay record costs a start: a log of N decision entries (each with its
 * replay detail, beside a broker.result of the same size, as the broker writes them) within
 * the keep time, then {@link AuditedNonces#rebuilt} timed several times (the files in the page
 * cache, as after a restart). Beside it, reading the same files' bytes once, as the reference.
 *
 * <pre>java -cp ... dev.gatehouse.bench.ReplayRebuildProbe [CALLS] [DIR]</pre>
 */
public final class ReplayRebuildProbe {
  private ReplayRebuildProbe() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    Path dir = Files.createTempDirectory(args.length > 1 ? Path.of(args[1]) : Path.of("target"), "rebuild-");
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier verifier = Checkpoint.Verifier.of("probe", Checkpoint.rawPublicKey(keys.getPublic()));
    Instant now = Instant.now();
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    AuditedNonces writer;
    try (FileAuditLog log = FileAuditLog.open(dir, clock, new Redactor(new byte[32], List.of()), verifier,
        keys.getPrivate(), FileAuditLog.Settings.DEFAULT)) {
      writer = new AuditedNonces(log, Broker.NONCE_KEEP);
      for (int i = 0; i < calls; i++) {
        NonceStore.Recording r = writer.use(new NonceStore.Use("bench.k1", "nonce-" + i, now.getEpochSecond(), now,
            "agent:bench", "/v1/actions/bench.get")).orElseThrow();
        Map<String, String> details = new TreeMap<>(r.details());
        details.put("param.q", "x");
        details.put("remote", "127.0.0.1");
        details.put("trust", "3");
        log.recordEventually(new AuditEvent("broker.call", "agent:bench", "bench.get", "allowed", details));
        log.recordEventually(new AuditEvent("broker.result", "agent:bench", "bench.get", "answered",
            Map.of("call_seq", Integer.toString(2 * i), "status", "200", "bytes", "290", "ms", "1")));
      }
      log.record(new AuditEvent("probe.end", "probe", "-", "ok", Map.of()));
    }
    long bytes = 0;
    for (Path p : FileAuditLog.segments(dir)) {
      bytes += Files.size(p);
    }
    AuditLog none = AuditLog.discarding();
    int rounds = 7;
    long[] rebuild = new long[rounds];
    long[] read = new long[rounds];
    for (int r = 0; r < rounds; r++) {
      long t = System.nanoTime();
      for (Path p : FileAuditLog.segments(dir)) {
        Files.readAllBytes(p);
      }
      read[r] = System.nanoTime() - t;
      t = System.nanoTime();
      AuditedNonces.rebuilt(none, Broker.NONCE_KEEP, dir, now);
      rebuild[r] = System.nanoTime() - t;
    }
    Arrays.sort(rebuild);
    Arrays.sort(read);
    System.out.printf("%d calls (%d entries, %.1f MiB in %d segments): rebuild median %.0f ms (min %.0f, max %.0f);"
            + " reading the files alone %.0f ms; ratio %.1fx%n", calls, 2L * calls + 1, bytes / 1048576.0,
        FileAuditLog.segments(dir).size(), rebuild[rounds / 2] / 1e6, rebuild[0] / 1e6, rebuild[rounds - 1] / 1e6,
        read[rounds / 2] / 1e6, (double) rebuild[rounds / 2] / read[rounds / 2]);
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
