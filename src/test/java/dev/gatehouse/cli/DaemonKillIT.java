package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse serve} SIGKILLed at random moments under a signed load, and restarted, over
 * and over. What must hold, checked after every restart:
 * <ul>
 *   <li>every call answered 2xx has its {@code broker.call} entry in the log that survived
 *       (and it is the entry its {@code Gatehouse-Audit-Seq} names);
 *   <li>no upstream request goes out before its {@code broker.call} entry is written: the
 *       upstream reads the audit segments at the moment a request reaches it, and the entry
 *       must already be there (and must still be there after the kill);
 *   <li>{@code gatehouse audit verify} (the real CLI) exits 0;
 *   <li>every call the killed daemon acknowledged (or sent upstream) is refused as a replay by
 *       the restarted daemon when sent again byte for byte, and the upstream never sees one
 *       call twice: the replay record is rebuilt from the audit log, whose entries carry the
 *       nonces.
 * </ul>
 * Now and then the daemon is killed again while it starts, or a torn line is appended to the
 * last segment before the restart; the first segment starts within 96 KiB of its limit, so
 * under a usual load the log moves to a second one among the kills. Every daemon listens on the same port, since a replay must be
 * sent to the authority it was signed for.
 *
 * <p>A SIGKILL loses nothing already written to a file (the page cache survives the process), so
 * this proves the order of the writes and that recovery is sound, not that they were fsynced:
 * a power loss is not simulated. The seed is printed; {@code -Dgatehouse.kill.seed=N} replays
 * the same choices (the timing of the machine cannot be replayed), {@code
 * -Dgatehouse.kill.cycles=N} changes the number of kills under load.
 */
class DaemonKillIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 4;
  private static final String PASSWORD = "kill-it-password";
  private static final int ROTATION_MARGIN = 96 << 10;
  private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:([0-9]+)");

  @TempDir
  Path temp;
  JarProcesses jar;
  HttpServer upstream;
  AuditTail tail;
  String keyId;
  byte[] key;
  Path daemonLog;
  Process serve;
  /** Times the upstream received each call id. */
  final Map<String, AtomicInteger> upstreamSeen = new ConcurrentHashMap<>();
  /** Requests that reached the upstream before their broker.call entry was in the log. */
  final List<String> unrecordedAtUpstream = new java.util.concurrent.CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /** One signed call and what came back: status -1 when no answer came (the daemon was killed). */
  record Sent(String id, String nonce, long created, int cycle, int status, long auditSeq, String body) {}

  @BeforeEach
  void setUp() throws Exception {
    jar = new JarProcesses(temp, PASSWORD);
    shortLivedJvm("setup.jsa");
    assertThat(jar.run("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1").exit()).isZero();
    Path config = jar.home.resolve("gatehouse.yaml");
    String text = Files.readString(config);
    String tuned = text.replace("segment_max_mib: 64", "segment_max_mib: 1") // rotations happen under the kills
        .replace("checkpoint_every_entries: 1000", "checkpoint_every_entries: 100") // and checkpoints, often
        .replace("per_agent: 120/minute", "per_agent: 100000/second")
        .replace("per_action: 600/minute", "per_action: 100000/second")
        .replace("per_source: 300/minute", "per_source: 100000/second");
    assertThat(tuned).contains("segment_max_mib: 1\n", "checkpoint_every_entries: 100\n", "per_source: 100000/second");
    Files.writeString(config, tuned);
    assertThat(JarProcesses.finish(jar.start("sk-kill-it-7f3e".getBytes(StandardCharsets.UTF_8), "vault", "add",
        "svc.apikey")).exit()).isZero();

    fillFirstSegment();
    tail = new AuditTail(jar.home.resolve("audit"));
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    upstream.createContext("/", this::upstreamReceives);
    upstream.start();
    Path services = jar.home.resolve("services");
    Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path svc = services.resolve("svc.yaml");
    Files.writeString(svc, "service: svc\nbase_url: http://127.0.0.1:" + upstream.getAddress().getPort()
        + "\nallow_private: [\"127.0.0.1/32\"]\nauth: { type: header, name: X-Api-Key, secret: svc.apikey }\n"
        + "actions:\n  echo: { path: /echo, query: { id: \"{id}\" }, params: { id: string } }\n");
    Files.setPosixFilePermissions(svc, PosixFilePermissions.fromString("rw-------"));
    Path keyFile = temp.resolve("bot.key");
    assertThat(jar.run("agent", "add", "bot", "--allow", "svc.*", "--key-file", keyFile.toString()).exit()).isZero();
    assertThat(jar.run("trust", "set", "integrations", "full", "--reason", "the test agent runs alone").exit()).isZero();
    JsonNode k = JSON.readTree(Files.readAllBytes(keyFile));
    keyId = k.get("keyid").asText();
    key = Base64.getDecoder().decode(k.get("key").asText());
    daemonLog = temp.resolve("daemon.log");
  }

  @AfterEach
  void tearDown() {
    if (serve != null) {
      serve.destroyForcibly();
    }
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  /**
   * Fills the first segment to within {@value #ROTATION_MARGIN} bytes of its 1 MiB limit, so
   * that the daemon moves to a new segment while it is being killed (the load alone writes
   * well under a MiB).
   */
  private void fillFirstSegment() throws IOException {
    Path first = jar.home.resolve("audit").resolve("segment-000001.jsonl");
    try (Gatehouse g = TestHome.open(jar.home, Clock.systemUTC(), PASSWORD)) {
      String pad = "x".repeat(400);
      for (int n = 0; Files.size(first) < (1 << 20) - ROTATION_MARGIN; ) {
        for (int i = 0; i < 100; i++, n++) {
          g.audit().recordEventually(new AuditEvent("test.filler", "test", "DaemonKillIT", "written",
              Map.of("n", Integer.toString(n), "pad", pad)));
        }
        g.audit().record(new AuditEvent("test.filler", "test", "DaemonKillIT", "written", Map.of())); // all written
      }
    }
  }

  /**
   * The upstream: at the moment a request arrives, its call's broker.call entry must be in the
   * audit segments already.
   */
  private void upstreamReceives(HttpExchange ex) throws IOException {
    String query = ex.getRequestURI().getRawQuery();
    String id = query != null && query.startsWith("id=") ? query.substring(3) : "?" + query;
    upstreamSeen.computeIfAbsent(id, x -> new AtomicInteger()).incrementAndGet();
    try {
      if (tail.callSeq(id, false) == null) {
        unrecordedAtUpstream.add(id);
      }
    } catch (IOException | RuntimeException e) {
      unrecordedAtUpstream.add(id + " (the log could not be read: " + e + ")");
    }
    byte[] body = ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
    ex.close();
  }

  @Test
  void sigkillUnderLoad_losesNoDecision_andTheLogVerifiesAfterEveryRestart() throws Exception {
    long seed = Long.getLong("gatehouse.kill.seed", System.nanoTime());
    int cycles = Integer.getInteger("gatehouse.kill.cycles", 30);
    System.out.println("DaemonKillIT: seed " + seed + " (rerun with -Dgatehouse.kill.seed=" + seed + "), " + cycles
        + " kills under load");
    Random random = new Random(seed);
    long began = System.nanoTime();
    int port = freePort();
    List<Sent> sent = new ArrayList<>();
    int startupKills = 0;
    int tornWrites = 0;
    int portsTaken = 0;
    int replaysRefused = 0;
    long restartNanos = 0;
    long verifyNanos = 0;
    serve = start(port);
    stop(serve); // a clean stop first: it leaves the daemon's class archive, which every restart then loads
    serve = start(port);
    for (int cycle = 1; cycle <= cycles; cycle++) {
      String where = "seed " + seed + ", cycle " + cycle;
      Load load = new Load(port, cycle);
      if (random.nextInt(8) != 0) { // else among the restarted daemon's very first calls
        assertThat(load.firstAnswer.await(60, TimeUnit.SECONDS)).as(where + ": the load is answered").isTrue();
      }
      Thread.sleep(random.nextInt(600)); // load timing only
      serve.destroyForcibly(); // SIGKILL
      assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as(where).isTrue();
      List<Sent> thisCycle = load.stop();
      sent.addAll(thisCycle);
      byte[] torn = null;
      if (random.nextInt(4) == 0) {
        // What a kill inside a write() of several pages, or a power loss, leaves (a SIGKILL
        // between two write() calls, the common case, leaves whole lines only).
        torn = tearLastSegment(random);
        tornWrites++;
      }

      if (random.nextInt(5) == 0) {
        // Killed again while it starts: before, during or after it recovers a torn tail (if it
        // cannot listen because the port was taken, it exits on its own, which is as good).
        shortLivedJvm("serve.jsa");
        serve = jar.start("serve", "--port", Integer.toString(port));
        drain(serve);
        Thread.sleep(random.nextInt(1200));
        serve.destroyForcibly();
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as(where).isTrue();
        startupKills++;
      }
      long t = System.nanoTime();
      serve = startOrPortTaken(port);
      boolean samePort = serve != null;
      if (!samePort) {
        port = freePort(); // the calls of the killed daemon, signed for the old port, cannot be replayed
        portsTaken++;
        serve = start(port);
      }
      restartNanos += System.nanoTime() - t;

      t = System.nanoTime();
      JarProcesses.Result verify = verify();
      verifyNanos += System.nanoTime() - t;
      assertThat(verify.exit()).as(where + ": audit verify after the restart: " + verify.err() + verify.out()).isZero();
      if (torn != null) {
        assertThat(movedAside(torn)).as(where + ": the torn bytes are kept in a .torn- file").isTrue();
      }
      assertThat(problems(sent)).as(where).isEmpty();
      if (samePort) {
        replaysRefused += replayRefused(port, thisCycle, where);
      }
    }

    // A clean stop at the end: the final checkpoint covers the whole log.
    stop(serve);
    serve = null;
    JarProcesses.Result verify = verify();
    assertThat(verify.exit()).as(verify.err()).isZero();
    Matcher entries = Pattern.compile("intact: ([0-9]+) entries").matcher(verify.out());
    assertThat(entries.find()).isTrue();
    assertThat(verify.out()).contains("latest signed checkpoint: size " + entries.group(1) + ",");
    assertThat(problems(sent)).as("seed " + seed + ", at the end").isEmpty();

    long answered = sent.stream().filter(s -> s.status() == 200).count();
    long inFlight = sent.stream().filter(s -> s.status() < 0 && upstreamSeen.containsKey(s.id())).count();
    long withoutResult = sent.stream().filter(s -> s.status() == 200 && !tail.resultFor(s.auditSeq())).count();
    assertThat(answered).as("the load got answers").isGreaterThan(cycles);
    assertThat(replaysRefused).as("replays were tried").isPositive();
    System.out.printf("DaemonKillIT: %d kills under load + %d during start, %d torn writes, in %.1f s (restart %.0f ms, verify %.0f ms"
            + " on average); %d calls sent, %d answered 200, %d reached the upstream unanswered, %d without an answer"
            + " nor an upstream request; %d answered 200 without a broker.result; %d replays refused; log: %s entries,"
            + " %d segments, %d torn tails recovered (%d .torn- files), %d temporary files left in audit/ and %d in the"
            + " home; the port was taken %d times%n",
        cycles, startupKills, tornWrites, (System.nanoTime() - began) / 1e9, restartNanos / 1e6 / cycles,
        verifyNanos / 1e6 / cycles, sent.size(), answered, inFlight,
        sent.stream().filter(s -> s.status() < 0 && !upstreamSeen.containsKey(s.id())).count(), withoutResult,
        replaysRefused, entries.group(1), FileAuditLog.segments(jar.home.resolve("audit")).size(), tail.recovered,
        countFiles(jar.home.resolve("audit"), ".jsonl.torn-"), countFiles(jar.home.resolve("audit"), ".tmp-"),
        countFiles(jar.home, ".tmp-"), portsTaken);
  }

  /** Everything wrong so far; the daemon is idle (just restarted, no load) while this reads the log. */
  private List<String> problems(List<Sent> sent) throws IOException {
    List<String> problems = new ArrayList<>(tail.refresh(true));
    for (String id : unrecordedAtUpstream) {
      problems.add("the upstream received call " + id + " before its broker.call entry was in the log");
    }
    for (Sent s : sent) {
      if (s.status() == 200) {
        Long seq = tail.callSeq(s.id(), true);
        if (seq == null) {
          problems.add("call " + s.id() + " was answered 200 (audit seq " + s.auditSeq()
              + ") but its broker.call entry is not in the log");
        } else if (seq != s.auditSeq()) {
          problems.add("call " + s.id() + " was answered with audit seq " + s.auditSeq() + " but its entry is seq " + seq);
        }
        if (!s.body().contains("\"" + s.id() + "\"")) {
          problems.add("call " + s.id() + " was answered with another call's body: " + s.body());
        }
      } else if (s.status() >= 0) {
        problems.add("call " + s.id() + " was answered " + s.status() + ": " + s.body());
      }
    }
    upstreamSeen.forEach((id, times) -> {
      try {
        if (tail.callSeq(id, true) == null) {
          problems.add("the upstream received call " + id + " but no broker.call entry for it survived the kill");
        }
      } catch (IOException e) {
        problems.add("the log could not be read: " + e);
      }
      if (times.get() != 1) {
        problems.add("the upstream received call " + id + " " + times.get() + " times");
      }
    });
    return problems;
  }

  /**
   * Sends again, byte for byte, every call of the killed daemon it acknowledged (answered 200)
   * and every one it sent upstream unanswered (its {@code broker.call} entry, which carries its
   * nonce, was durable before it went out): the restarted daemon must refuse each, and the
   * upstream must hear none of them. Returns how many were refused as replays (a call whose
   * {@code created} is no longer fresh is refused as stale instead, which proves nothing about
   * its nonce; those are sent too, and must be refused, but are not counted).
   */
  private int replayRefused(int port, List<Sent> killed, String where) throws Exception {
    List<Sent> chosen = killed.stream().filter(s -> s.status() == 200
        || (s.status() < 0 && upstreamSeen.containsKey(s.id()))).toList();
    Map<String, Integer> before = new HashMap<>();
    upstreamSeen.forEach((id, n) -> before.put(id, n.get()));
    AtomicInteger refused = new AtomicInteger();
    List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (var pool = Executors.newFixedThreadPool(CLIENTS)) {
      for (Sent s : chosen) {
        pool.submit(() -> {
          boolean fresh = Instant.now().getEpochSecond() - s.created() <= 20;
          Sent again = send(port, s.id(), s.nonce(), s.created(), s.cycle());
          if (again.status() != 401) {
            wrong.add(s.id() + " answered " + again.status() + ": " + again.body());
          } else if (fresh && !again.body().contains("replayed-nonce")) {
            wrong.add(s.id() + " (fresh) refused, but not as a replay: " + again.body());
          } else if (fresh) {
            refused.incrementAndGet();
          }
          return null;
        });
      }
    }
    assertThat(wrong).as(where + ": replays of the %d acknowledged or forwarded calls", chosen.size()).isEmpty();
    upstreamSeen.forEach((id, n) -> assertThat(n.get()).as(where + ": the upstream heard " + id + " again")
        .isEqualTo(before.getOrDefault(id, 0)));
    return refused.get();
  }

  // ---- the daemon ----------------------------------------------------------------------------

  /**
   * Every process starts in a JVM tuned for a short life (C1 only, serial GC, a class archive
   * per command, made at its first clean exit): about half the CPU time of a default start, on
   * a machine whose two cores the test's load shares. The code run is the same. SQLite's native
   * library is unpacked into the test's folder: a killed process never deletes its copy.
   */
  private void shortLivedJvm(String archive) {
    jar.env.put("JDK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+AutoCreateSharedArchive"
        + " -XX:SharedArchiveFile=" + temp.resolve(archive) + " -Dorg.sqlite.tmpdir=" + temp);
  }

  private JarProcesses.Result verify() throws Exception {
    shortLivedJvm("verify.jsa");
    return jar.run("audit", "verify");
  }

  /** SIGTERM, as `kill` sends it: the daemon drains, checkpoints and exits. */
  private static void stop(Process p) throws Exception {
    assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the daemon stops on SIGTERM").isTrue();
  }

  /** Starts the daemon and waits for its listening line; fails with its log if it does not come. */
  private Process start(int port) throws Exception {
    Process p = startOrPortTaken(port);
    assertThat(p).as("another process took port " + port).isNotNull();
    return p;
  }

  /**
   * Starts the daemon and waits for its listening line; null if the port was taken while the
   * daemon was down (by another process's connection); fails with the daemon's log otherwise.
   */
  private Process startOrPortTaken(int port) throws Exception {
    shortLivedJvm("serve.jsa");
    long logged = Files.exists(daemonLog) ? Files.size(daemonLog) : 0;
    Process p = jar.start("serve", "--port", Integer.toString(port));
    CompletableFuture<Void> errors = copyTo(p.getErrorStream(), daemonLog);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    }).get(60, TimeUnit.SECONDS);
    if (line == null) {
      p.waitFor(30, TimeUnit.SECONDS);
      errors.get(30, TimeUnit.SECONDS);
      if (Files.readString(daemonLog).substring((int) logged).contains("cannot listen on 127.0.0.1:" + port + " ")) {
        return null;
      }
    }
    assertThat(line).as("the restarted daemon did not listen; its log:\n%s", daemonLogTail()).isNotNull();
    Matcher m = LISTENING.matcher(line);
    assertThat(m.find()).as(line).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isEqualTo(port);
    Thread.ofVirtual().start(() -> {
      try {
        out.transferTo(java.io.Writer.nullWriter());
      } catch (IOException e) {
        // the daemon was killed
      }
    });
    return p;
  }

  private void drain(Process p) {
    copyTo(p.getErrorStream(), daemonLog);
    Thread.ofVirtual().start(() -> {
      try {
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        // killed
      }
    });
  }

  private static CompletableFuture<Void> copyTo(java.io.InputStream in, Path file) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try (in; OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        in.transferTo(o);
      } catch (IOException e) {
        // killed
      }
      done.complete(null);
    });
    return done;
  }

  private String daemonLogTail() throws IOException {
    String log = Files.exists(daemonLog) ? Files.readString(daemonLog) : "";
    return log.substring(Math.max(0, log.length() - 4000));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Appends a part of a line to the last segment; returns the bytes appended. */
  private byte[] tearLastSegment(Random random) throws IOException {
    List<Path> segments = FileAuditLog.segments(jar.home.resolve("audit"));
    byte[] line = ("{\"v\":1,\"seq\":" + (1_000_000 + random.nextInt(1_000_000)) + ",\"time\":\"2026-12-06T12:00:00.000Z\","
        + "\"type\":\"broker.call\",\"actor\":\"agent:bot\",\"target\":\"svc.echo\",\"outcome\":\"allowed\","
        + "\"details\":{\"param.id\":\"torn\"}").getBytes(StandardCharsets.US_ASCII);
    byte[] torn = java.util.Arrays.copyOf(line, 1 + random.nextInt(line.length - 1));
    Files.write(segments.getLast(), torn, StandardOpenOption.APPEND);
    return torn;
  }

  private static long countFiles(Path dir, String nameContains) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().contains(nameContains)).count();
    }
  }

  /** Whether a .torn- file beside the segments holds exactly {@code torn}. */
  private boolean movedAside(byte[] torn) throws IOException {
    try (var files = Files.list(jar.home.resolve("audit"))) {
      for (Path f : files.filter(f -> f.getFileName().toString().contains(".jsonl.torn-")).toList()) {
        if (java.util.Arrays.equals(Files.readAllBytes(f), torn)) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- the load ------------------------------------------------------------------------------

  /**
   * {@value #CLIENTS} threads of one agent calling as fast as answers come, each call with its
   * own id and nonce; a thread stops at its first call without an answer (the daemon is gone).
   */
  private final class Load {
    private volatile boolean running = true;
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
    final CountDownLatch firstAnswer = new CountDownLatch(1);

    Load(int port, int cycle) {
      for (int c = 0; c < CLIENTS; c++) {
        String prefix = "c" + cycle + "-" + c + "-";
        threads.add(Thread.ofPlatform().name("kill-it-client-" + c).start(() -> {
          for (int n = 0; running; n++) {
            Sent s;
            try {
              s = send(port, prefix + n, AgentCalls.nonce(), Instant.now().getEpochSecond(), cycle);
            } catch (InterruptedException e) {
              return;
            }
            sent.add(s);
            if (s.status() < 0) {
              return; // the daemon is gone
            }
            firstAnswer.countDown();
          }
        }));
      }
    }

    /** Stops the clients (the daemon is dead by now) and returns every call made. */
    List<Sent> stop() throws InterruptedException {
      running = false;
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(t.isAlive()).as("a client is stuck").isFalse();
      }
      return new ArrayList<>(sent);
    }
  }

  /** One signed call (docs/signing.md), with its id as the only parameter. */
  private Sent send(int port, String id, String nonce, long created, int cycle) throws InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + port + "/v1/actions/svc.echo");
    byte[] body = ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json");
    MessageSignatures.sign("POST", uri, body, keyId, key, created, nonce).forEach(req::header);
    try {
      HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      long seq = Long.parseLong(r.headers().firstValue("Gatehouse-Audit-Seq").orElse("-1"));
      return new Sent(id, nonce, created, cycle, r.statusCode(), seq, r.body());
    } catch (IOException e) {
      return new Sent(id, nonce, created, cycle, -1, -1, e.toString());
    }
  }

  // ---- the log, as a reader sees it ----------------------------------------------------------

  /**
   * Reads the audit segments as they grow: complete lines only, each segment from where the
   * last read stopped. A complete line, once read, must never go away.
   */
  static final class AuditTail {
    private final Path dir;
    private final Map<Path, Long> read = new HashMap<>();
    private final Map<String, Long> callSeqs = new HashMap<>(); // broker.call allowed, by param.id
    private final Set<Long> resultsFor = new HashSet<>(); // call_seq of every broker.result
    private final List<String> problems = new ArrayList<>();
    int recovered;

    AuditTail(Path dir) {
      this.dir = dir;
    }

    /** The seq of the broker.call entry that allowed call {@code id}, if any is written. */
    synchronized Long callSeq(String id, boolean strict) throws IOException {
      Long seq = callSeqs.get(id);
      if (seq == null) {
        refresh(strict);
        seq = callSeqs.get(id);
      }
      return seq;
    }

    synchronized boolean resultFor(long callSeq) {
      return resultsFor.contains(callSeq);
    }

    /**
     * Reads what was appended. {@code strict} when no writer is running: every complete line
     * must then parse. Returns every problem found so far.
     */
    synchronized List<String> refresh(boolean strict) throws IOException {
      for (Path segment : FileAuditLog.segments(dir)) {
        long from = read.getOrDefault(segment, 0L);
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
          long size = ch.size();
          if (size < from) {
            problems.add(segment.getFileName() + " shrank to " + size + " bytes below complete lines read up to " + from);
            read.put(segment, size);
            continue;
          }
          ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
          while (buf.hasRemaining() && ch.read(buf, from + buf.position()) >= 0) {
            // reading
          }
          bytes = buf.array();
        }
        int start = 0;
        for (int nl; (nl = indexOf(bytes, start)) >= 0; start = nl + 1) {
          JsonNode entry;
          try {
            entry = JSON.readTree(new String(bytes, start, nl - start, StandardCharsets.US_ASCII));
          } catch (IOException e) {
            if (strict) {
              problems.add(segment.getFileName() + " at byte " + (from + start) + ": not an entry: " + e.getMessage());
              start = nl + 1;
            }
            break; // a write still arriving: read it next time
          }
          note(entry);
        }
        read.put(segment, from + start);
      }
      return List.copyOf(problems);
    }

    private void note(JsonNode e) {
      String type = e.path("type").asText();
      JsonNode details = e.path("details");
      if (type.equals("broker.call") && e.path("outcome").asText().equals("allowed")) {
        String id = details.path("param.id").asText();
        Long before = callSeqs.put(id, e.path("seq").asLong());
        if (before != null) {
          problems.add("call " + id + " was allowed twice, at seq " + before + " and " + e.path("seq").asLong());
        }
      } else if (type.equals("broker.result")) {
        resultsFor.add(details.path("call_seq").asLong());
      } else if (type.equals("audit.recovered")) {
        recovered++;
      }
    }

    private static int indexOf(byte[] b, int from) {
      for (int i = from; i < b.length; i++) {
        if (b[i] == '\n') {
          return i;
        }
      }
      return -1;
    }
  }
}
