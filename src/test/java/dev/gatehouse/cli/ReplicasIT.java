package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestPostgres;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * Three {@code gatehouse serve} processes on one PostgreSQL database (docs/storage.md), as
 * behind a load balancer: every request carries the balancer's authority in its Host header
 * and signature, whichever replica it reaches. What must hold:
 * <ul>
 *   <li>a request accepted by one replica and replayed, byte for byte, to another is refused
 *       as a replay, and the upstream hears each call once;
 *   <li>a replica killed with SIGKILL under load leaves the others serving; every call any
 *       replica answered 200 has its {@code broker.call} entry, and {@code audit verify}
 *       passes;
 *   <li>PostgreSQL stopped with {@code pg_ctl stop -m immediate} under load: calls are refused
 *       with 503 and nothing reaches the upstream; once it is started again, service resumes
 *       by itself.
 * </ul>
 * The replicas' homes are copies of the first (config, catalog, and vault.gh, which holds the
 * database's password); the vault every store uses, the audit log, the state, the replay
 * record and TOTP are in the database, so the acknowledged calls' entries are checked in the
 * one shared log, through each replica's {@code audit tail} and {@code audit verify}.
 */
class ReplicasIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "replicas-it-password";
  private static final String AUTHORITY = "gatehouse.test:8443"; // the balancer's name, signed by every client
  private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  private static final int CLIENTS = 4;

  @TempDir
  Path temp;
  TestPostgres.Database db;
  HttpServer upstream;
  final Map<String, AtomicInteger> upstreamSeen = new ConcurrentHashMap<>();
  final List<JarProcesses> homes = new ArrayList<>();
  final List<Process> daemons = new ArrayList<>();
  final List<Integer> ports = new ArrayList<>();
  String keyId;
  byte[] key;

  /** One call: which replica answered (index), what it said; status -1 when no answer came. */
  record Sent(int replica, String id, byte[] request, long created, int status, String body) {}

  @BeforeEach
  void setUp() throws Exception {
    db = TestPostgres.shared().newDatabase();
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    upstream.createContext("/", this::upstreamReceives);
    upstream.start();

    JarProcesses a = new JarProcesses(Files.createDirectories(temp.resolve("a")), PASSWORD);
    shortLivedJvm(a);
    assertThat(a.run("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1").exit()).isZero();
    Path config = a.home.resolve("gatehouse.yaml");
    String tuned = Files.readString(config).replace("per_agent: 120/minute", "per_agent: 100000/second")
        .replace("per_action: 600/minute", "per_action: 100000/second")
        .replace("per_source: 300/minute", "per_source: 100000/second");
    // The database's password goes into vault.gh first: it is what opens the database.
    assertThat(JarProcesses.finish(a.start(db.password().getBytes(StandardCharsets.UTF_8), "vault", "add",
        "postgres.password")).exit()).isZero();
    Files.writeString(config, tuned + "\nstorage:\n  backend: postgres\n  url: postgresql://127.0.0.1:" + db.port()
        + "/" + db.name() + "\n  user: " + db.user() + "\n  password_secret: postgres.password\n");
    assertThat(JarProcesses.finish(a.start("sk-replicas-it-5e1f".getBytes(StandardCharsets.UTF_8), "vault", "add",
        "svc.apikey")).exit()).isZero();
    Path services = a.home.resolve("services");
    Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path svc = services.resolve("svc.yaml");
    Files.writeString(svc, "service: svc\nbase_url: http://127.0.0.1:" + upstream.getAddress().getPort()
        + "\nallow_private: [\"127.0.0.1/32\"]\nauth: { type: header, name: X-Api-Key, secret: svc.apikey }\n"
        + "actions:\n  echo: { path: /echo, query: { id: \"{id}\" }, params: { id: string } }\n");
    Files.setPosixFilePermissions(svc, PosixFilePermissions.fromString("rw-------"));
    Path keyFile = temp.resolve("bot.key");
    JarProcesses.Result added = a.run("agent", "add", "bot", "--allow", "svc.*", "--key-file", keyFile.toString());
    assertThat(added.exit()).as(added.err()).isZero();
    JarProcesses.Result trusted = a.run("trust", "set", "integrations", "full", "--reason", "the test agent runs alone");
    assertThat(trusted.exit()).as(trusted.err()).isZero();
    JsonNode k = JSON.readTree(Files.readAllBytes(keyFile));
    keyId = k.get("keyid").asText();
    key = Base64.getDecoder().decode(k.get("key").asText());
    homes.add(a);
    for (String name : List.of("b", "c")) { // the other replicas' homes: the same config, catalog and vault
      JarProcesses h = new JarProcesses(Files.createDirectories(temp.resolve(name)), PASSWORD);
      Process cp = new ProcessBuilder("cp", "-a", a.home.toString(), h.home.toString()).inheritIO().start();
      assertThat(cp.waitFor()).isZero();
      shortLivedJvm(h);
      homes.add(h);
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    daemons.forEach(Process::destroyForcibly);
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  private void upstreamReceives(HttpExchange ex) throws IOException {
    String query = ex.getRequestURI().getRawQuery();
    String id = query != null && query.startsWith("id=") ? query.substring(3) : "?" + query;
    upstreamSeen.computeIfAbsent(id, x -> new AtomicInteger()).incrementAndGet();
    byte[] body = ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
    ex.close();
  }

  @Test
  void replicas_refuseEachOthersReplays_andGoOnWhenOneIsKilled() throws Exception {
    for (JarProcesses h : homes) {
      start(h);
    }
    Random random = new Random();
    Load load = new Load(random, List.of(0, 1, 2));
    assertThat(load.answered(60)).as("the load is answered: %s", load.sample()).isTrue();
    Thread.sleep(1500); // load timing only
    daemons.get(2).destroyForcibly(); // SIGKILL replica c
    assertThat(daemons.get(2).waitFor(30, TimeUnit.SECONDS)).isTrue();
    load.only(List.of(0, 1));
    int before = load.okCount();
    load.awaitMore(before + 50, 60);
    List<Sent> sent = load.stop();

    long byC = sent.stream().filter(s -> s.replica() == 2 && s.status() == 200).count();
    assertThat(byC).as("replica c answered before it was killed").isPositive();
    assertThat(sent.stream().filter(s -> s.status() >= 0 && s.status() != 200))
        .as("every answer is 200 (a call to the killed replica gets none)").isEmpty();
    upstreamSeen.forEach((id, n) -> assertThat(n.get()).as("the upstream heard %s once", id).isEqualTo(1));

    // Every call any replica acknowledged, replayed byte for byte to another live replica.
    int refused = 0;
    for (Sent s : sent) {
      if (s.status() != 200 || Instant.now().getEpochSecond() - s.created() > 20) {
        continue;
      }
      int other = s.replica() == 0 ? 1 : 0;
      Sent again = send(other, s.id(), s.request(), s.created());
      assertThat(again.status()).as("%s replayed to replica %d: %s", s.id(), other, again.body()).isEqualTo(401);
      assertThat(again.body()).contains("replayed-nonce");
      refused++;
    }
    assertThat(refused).isPositive();
    upstreamSeen.forEach((id, n) -> assertThat(n.get()).as("the upstream heard %s again", id).isEqualTo(1));

    for (int i = 0; i < 2; i++) {
      stop(daemons.get(i));
    }
    List<String> allowed = new ArrayList<>();
    for (JarProcesses h : homes) {
      JarProcesses.Result verify = h.run("audit", "verify");
      assertThat(verify.exit()).as(h.home + ": " + verify.err() + verify.out()).isZero();
      allowed.addAll(allowedCalls(h));
    }
    for (Sent s : sent) {
      if (s.status() == 200) {
        assertThat(allowed).as("call %s (answered by replica %d) has its broker.call entry", s.id(), s.replica())
            .contains(s.id());
      }
    }
    System.out.printf("ReplicasIT: %d calls, %d answered 200 (%d by the killed replica), %d replays refused%n",
        sent.size(), sent.stream().filter(s -> s.status() == 200).count(), byC, refused);
  }

  @Test
  void databaseOutage_refusesWith503_sendsNothingUpstream_andServiceResumesByItself() throws Exception {
    start(homes.get(0));
    start(homes.get(1));
    TestPostgres pg = TestPostgres.shared();
    Load load = new Load(new Random(), List.of(0, 1));
    assertThat(load.answered(60)).as("the load is answered: %s", load.sample()).isTrue();
    int outageStarts;
    int heardBefore;
    pg.stopImmediately();
    try {
      load.stop();
      heardBefore = upstreamSeen.size();
      outageStarts = 0;
      for (int i = 0; i < 20; i++) {
        Sent s = call(i % 2, "outage-" + i);
        assertThat(s.status()).as("during the outage: %s", s.body()).isEqualTo(503);
        assertThat(s.body()).containsAnyOf("storage-unavailable", "audit-unavailable");
        outageStarts++;
      }
      assertThat(upstreamSeen).as("nothing reached the upstream during the outage").hasSize(heardBefore);
    } finally {
      pg.start();
    }
    for (int replica = 0; replica < 2; replica++) {
      Sent s = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (int n = 0; System.nanoTime() < until; n++) {
        s = call(replica, "after-" + replica + "-" + n);
        if (s.status() == 200) {
          break;
        }
        Thread.sleep(200); // waiting for the server to come back, not for correctness
      }
      assertThat(s.status()).as("replica %d serves again: %s", replica, s.body()).isEqualTo(200);
    }
    System.out.printf("ReplicasIT: %d calls refused 503 during the outage; both replicas served again%n", outageStarts);
  }

  // ---- calls ---------------------------------------------------------------------------------

  private Sent call(int replica, String id) throws IOException {
    long created = Instant.now().getEpochSecond();
    return send(replica, id, request(id, created, AgentCalls.nonce()), created);
  }

  /** The bytes of one signed call, for the balancer's authority, so any replica may take it. */
  private byte[] request(String id, long created, String nonce) {
    byte[] body = ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    URI uri = URI.create("http://" + AUTHORITY + "/v1/actions/svc.echo");
    StringBuilder head = new StringBuilder("POST /v1/actions/svc.echo HTTP/1.1\r\nHost: " + AUTHORITY
        + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n");
    MessageSignatures.sign("POST", uri, body, keyId, key, created, nonce)
        .forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(body);
    return out.toByteArray();
  }

  /** Sends {@code request} as it is to replica {@code replica}; status -1 when no answer comes. */
  private Sent send(int replica, String id, byte[] request, long created) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ports.get(replica))) {
      s.setSoTimeout(30_000);
      OutputStream o = s.getOutputStream();
      o.write(request);
      o.flush();
      // The head, then Content-Length bytes: the daemon may keep the connection open after its answer.
      InputStream in = s.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (head.size() < 4 || !head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return new Sent(replica, id, request, created, -1, "closed before an answer: " + head);
        }
        head.write(b);
      }
      String h = head.toString(StandardCharsets.ISO_8859_1);
      int status = h.startsWith("HTTP/1.1 ") ? Integer.parseInt(h.substring(9, 12)) : -1;
      Matcher length = Pattern.compile("(?i)\r\ncontent-length: *([0-9]+)").matcher(h);
      String body = length.find() ? new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8)
          : "";
      return new Sent(replica, id, request, created, status, body);
    } catch (IOException e) {
      return new Sent(replica, id, request, created, -1, e.toString());
    }
  }

  /** {@value #CLIENTS} clients calling the live replicas at random, as fast as answers come. */
  private final class Load {
    private volatile boolean running = true;
    private volatile List<Integer> live;
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
    private final AtomicInteger ok = new AtomicInteger();

    Load(Random random, List<Integer> live) {
      this.live = live;
      for (int c = 0; c < CLIENTS; c++) {
        String prefix = "c" + c + "-";
        long seed = random.nextLong();
        threads.add(Thread.ofPlatform().name("replicas-it-client-" + c).start(() -> {
          Random r = new Random(seed);
          for (int n = 0; running; n++) {
            List<Integer> now = this.live;
            int replica = now.get(r.nextInt(now.size()));
            try {
              Sent s = call(replica, prefix + n);
              sent.add(s);
              if (s.status() == 200) {
                ok.incrementAndGet();
              }
            } catch (IOException e) {
              return;
            }
          }
        }));
      }
    }

    /** A few answers, for a failure's message. */
    String sample() {
      return sent.stream().limit(3).map(s -> s.replica() + ": " + s.status() + " " + s.body()).toList().toString();
    }

    void only(List<Integer> replicas) {
      live = replicas;
    }

    int okCount() {
      return ok.get();
    }

    boolean answered(int seconds) throws InterruptedException {
      return awaitMore(1, seconds);
    }

    boolean awaitMore(int atLeast, int seconds) throws InterruptedException {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (ok.get() < atLeast) {
        if (System.nanoTime() > until) {
          return false;
        }
        Thread.sleep(20);
      }
      return true;
    }

    List<Sent> stop() throws InterruptedException {
      running = false;
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(t.isAlive()).as("a client is stuck").isFalse();
      }
      return new ArrayList<>(sent);
    }
  }

  // ---- the daemons and their logs ------------------------------------------------------------

  /** The ids of the calls whose broker.call entry allowed them, in {@code h}'s audit log. */
  private static List<String> allowedCalls(JarProcesses h) throws Exception {
    JarProcesses.Result tail = h.run("audit", "tail", "--type", "broker.call", "-n", "1000000");
    assertThat(tail.exit()).as(tail.err()).isZero();
    List<String> ids = new ArrayList<>();
    for (String line : tail.out().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode e = JSON.readTree(line);
      if (e.path("outcome").asText().equals("allowed")) {
        ids.add(e.path("details").path("param.id").asText());
      }
    }
    return ids;
  }

  private void shortLivedJvm(JarProcesses h) {
    h.env.put("JDK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dorg.sqlite.tmpdir=" + temp);
  }

  private void start(JarProcesses h) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Process p = h.start("serve", "--port", Integer.toString(port));
    daemons.add(p);
    ports.add(port);
    Path log = h.home.getParent().resolve("daemon.log");
    Thread.ofVirtual().start(() -> {
      try (InputStream in = p.getErrorStream(); OutputStream o = Files.newOutputStream(log)) {
        in.transferTo(o);
      } catch (IOException e) {
        // killed
      }
    });
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    }).get(90, TimeUnit.SECONDS);
    assertThat(line).as("replica did not listen; its log:\n%s", Files.exists(log) ? Files.readString(log) : "")
        .isNotNull();
    Matcher m = LISTENING.matcher(line);
    assertThat(m.find()).as(line).isTrue();
    Thread.ofVirtual().start(() -> {
      try {
        out.transferTo(java.io.Writer.nullWriter());
      } catch (IOException e) {
        // killed
      }
    });
  }

  private static void stop(Process p) throws Exception {
    assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the daemon stops on SIGTERM").isTrue();
  }
}
