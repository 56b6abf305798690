package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.TrustStore;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.KdfParams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code gatehouse demo}: a throwaway home, a stand-in media server, the real daemon ({@code gatehouse
 * serve} as a child process) and an agent key, then a short story told with real signed calls, each
 * step checked. Everything it made is stopped and removed at the end (also on a failed step or
 * Ctrl-C), unless it was asked to keep the home.
 */
final class Demo {
  /** Starts the stand-in media server that accepts {@code apiKey}; tests substitute one that misbehaves. */
  @FunctionalInterface
  interface StandIn {
    DemoUpstream start(String apiKey) throws IOException;
  }

  static final String AGENT = "media-bot";
  static final String API_KEY_ENTRY = "media.apikey";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("listening on (https?://[0-9.]+:([0-9]+)) ");
  private static final Duration DAEMON_START = Duration.ofSeconds(60);
  private static final Duration DAEMON_STOP = Duration.ofSeconds(30);

  private final CliEnvironment env;
  private final PrintWriter out;
  private final boolean keep;
  private final StandIn standIn;
  private final List<String> failed = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private String current = "setup";
  private String lastNumber = "";
  private Path work;
  private boolean sealed;
  private Path home;
  private Process daemon; // guarded by this, with stopping
  /** Set by Ctrl-C or SIGTERM: the story stops at its next step, and its own clean-up runs. */
  private volatile boolean stopping;
  private final java.util.concurrent.CountDownLatch cleanedUp = new java.util.concurrent.CountDownLatch(1);
  private DemoUpstream upstream;
  private Thread cleanupOnExit;

  Demo(CliEnvironment env, PrintWriter out, boolean keep, StandIn standIn) {
    this.env = env;
    this.out = out;
    this.keep = keep;
    this.standIn = standIn;
  }

  /** What one signed call got back. */
  private record Answer(int status, String body, long auditSeq, String problem) {
    static Answer of(HttpResponse<byte[]> r) {
      String body = new String(r.body(), StandardCharsets.UTF_8);
      long seq = r.headers().firstValue(Broker.AUDIT_SEQ_HEADER).map(Long::parseLong).orElse(-1L);
      String problem = null;
      if (r.headers().firstValue("content-type").orElse("").startsWith("application/problem+json")) {
        try {
          JsonNode p = JSON.readTree(body);
          String type = p.path("type").asText("");
          problem = type.substring(type.lastIndexOf('/') + 1);
          seq = p.path("audit_seq").asLong(-1);
        } catch (IOException e) {
          problem = "(unreadable problem)";
        }
      }
      return new Answer(r.statusCode(), body, seq, problem);
    }

    String shown() {
      return status + (problem == null ? "" : " " + problem);
    }
  }

  /** Runs the demo; 0 when every step behaved as promised, else 1 (the failed steps are named). */
  int run() throws Exception {
    work = Files.createTempDirectory("gatehouse-demo-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    home = work.resolve("home");
    cleanupOnExit = new Thread(this::stop, "gatehouse-demo-stop"); // Ctrl-C: leave nothing behind either
    Runtime.getRuntime().addShutdownHook(cleanupOnExit);
    try {
      story();
    } catch (IOException | GatehouseException e) { // e.g. the daemon did not start, or went away mid-story
      failed.add(current + ": " + (e instanceof GatehouseException ? e.getMessage() : e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage())));
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
      } catch (IllegalStateException shuttingDown) {
        // stop() is waiting for the clean-up below
      }
      cleanUp();
      cleanedUp.countDown();
    }
    if (keep) {
      explore();
    } else {
      out.println("Cleaned up: the daemon and the stand-in stopped, " + work + " removed.");
    }
    if (failed.isEmpty()) {
      out.println("Demo passed: every step behaved as promised.");
      out.flush();
      return ExitCodes.OK;
    }
    out.println("Demo FAILED at " + String.join(", ", failed) + ".");
    out.flush();
    return ExitCodes.NO;
  }

  private void story() throws Exception {
    out.println("Gatehouse demo: a throwaway home, a stand-in media server, the daemon and an agent key;");
    out.println("then real signed calls, each checked. Working in " + work + " (" + (keep ? "kept" : "removed")
        + " at the end).");
    String apiKey = HexFormat.of().formatHex(bytes(16)); // the media server's API key, as Sonarr's looks
    upstream = standIn.start(apiKey);
    Setup s = setUp(apiKey, upstream.baseUrl());
    String daemonUrl = startDaemon(s.passwordFile());
    out.println("  daemon  `gatehouse serve` on " + daemonUrl + " (pid " + daemon.pid() + ")");
    out.flush();
    JsonNode key = AgentClient.readKeyFile(s.keyFile());
    URI base = URI.create(daemonUrl + "/v1/actions/");
    byte[] keyFileBytes = Files.readAllBytes(s.keyFile());
    Map<String, Long> seqs = new LinkedHashMap<>();

    // 1. A call answered with the credential injected.
    at("1", "credential injected");
    int before = upstream.received().size();
    AgentClient.SignedCall series = AgentClient.sign(key, base.resolve("media.series"), "{}".getBytes(
        StandardCharsets.UTF_8), env.clock(), env.random(), Map.of());
    Answer a1 = send(series);
    List<DemoUpstream.Received> got = upstream.received().subList(before, upstream.received().size());
    boolean keyArrived = got.size() == 1 && got.getFirst().keyAccepted();
    boolean agentLacksKey = !contains(keyFileBytes, apiKey) && !contains(series.body(), apiKey)
        && series.headers().values().stream().noneMatch(v -> v.contains(apiKey));
    boolean answered = a1.status() == 200 && a1.body().contains("The Expanse");
    step("1", "credential injected", answered && keyArrived && agentLacksKey, "media.series answered " + a1.shown()
        + "; the media server got its API key from Gatehouse, never from the agent",
        why(a1, keyArrived ? null : "the media server did not accept what it received (" + got + ")",
            agentLacksKey ? null : "the agent's side held the API key"));
    seqs.put("1", a1.auditSeq());

    // 2. The same signed request, sent again.
    at("2", "replay refused");
    before = upstream.received().size();
    Answer a2 = send(series);
    boolean heardNothing = upstream.received().size() == before;
    step("2", "replay refused", a2.status() == 401 && "replayed-nonce".equals(a2.problem()) && heardNothing,
        "the same signed request sent again got " + a2.shown() + "; the media server heard nothing",
        why(a2, heardNothing ? null : "the media server received the replay"));
    seqs.put("2", a2.auditSeq());

    // 3. A ../ path and a cloud metadata address.
    at("3", "path refused");
    before = upstream.received().size();
    String escape = "/api/v3/series/../../../admin";
    Answer a3 = send(AgentClient.sign(key, base.resolve("media.api"), JSON.writeValueAsBytes(Map.of("path", escape)),
        env.clock(), env.random(), Map.of()));
    heardNothing = upstream.received().size() == before;
    step("3", "path refused", a3.status() == 403 && "path-refused".equals(a3.problem()) && heardNothing,
        "media.api with " + escape + " got " + a3.shown() + "; nothing was sent",
        why(a3, heardNothing ? null : "the media server received it"));
    seqs.put("3", a3.auditSeq());
    at("3", "egress denied");
    Answer a3b = send(AgentClient.sign(key, base.resolve("cloud.metadata"), "{}".getBytes(StandardCharsets.UTF_8),
        env.clock(), env.random(), Map.of()));
    step("3", "egress denied", a3b.status() == 502 && "egress-denied".equals(a3b.problem()),
        "cloud.metadata (http://169.254.169.254, its range even in allow_private) got " + a3b.shown(), why(a3b));
    seqs.put("3b", a3b.auditSeq());

    // 4. The media server echoes its key; the agent sees it scrubbed.
    at("4", "secret scrubbed");
    before = upstream.received().size();
    Answer a4 = send(AgentClient.sign(key, base.resolve("media.host_config"), "{}".getBytes(StandardCharsets.UTF_8),
        env.clock(), env.random(), Map.of()));
    got = upstream.received().subList(before, upstream.received().size());
    boolean echoed = got.size() == 1 && got.getFirst().keyAccepted(); // it answers with the key it accepted
    boolean scrubbed = !a4.body().contains(apiKey) && a4.body().contains("\"apiKey\":\"[REDACTED]\"");
    step("4", "secret scrubbed", a4.status() == 200 && echoed && scrubbed,
        "media.host_config answered " + a4.shown() + " with the API key in it; the agent got \"apiKey\":\"[REDACTED]\"",
        why(a4, echoed ? null : "the media server did not answer with its key (" + got + ")",
            scrubbed ? null : "the answer the agent got: " + a4.body().replace(apiKey, "<the API key itself>")));
    seqs.put("4", a4.auditSeq());

    at("5", "audit verify");
    stopDaemon(); // SIGTERM: calls drained, a final signed checkpoint written
    trustNote();
    verifyAudit(seqs, apiKey);
  }

  private record Setup(Path keyFile, Path passwordFile) {}

  /** The home as an owner would make it: init (sealed), a master password, the key, the agent, a trust level. */
  private Setup setUp(String apiKey, String mediaUrl) throws IOException {
    String actor = env.actor();
    Path passwordFile = work.resolve("master-password");
    char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(24)).toCharArray();
    AtomicFiles.write(passwordFile, (new String(password) + "\n").getBytes(StandardCharsets.UTF_8));
    Credential.MachineSeal seal = Secrets.machineSeal(env, new char[0]);
    sealed = seal != null;
    Gatehouse g;
    try (Credential first = sealed ? seal : new Credential.Password(password)) {
      g = Gatehouse.init(home, first, KdfParams.DEFAULT, env.clock(), env.random());
    }
    Path keyFile = work.resolve(AGENT + ".key");
    try (g; Credential.Password p = new Credential.Password(password)) {
      if (sealed) { // as `vault passwd` after `init --sealed`: a way in that survives a new host name
        g.vaultService().setPassword(p, KdfParams.DEFAULT, actor);
      }
      java.util.Arrays.fill(password, '\0');
      g.vaultService().add(API_KEY_ENTRY, apiKey.getBytes(StandardCharsets.UTF_8), false, actor);
      g.vaultService().add("cloud.token", HexFormat.of().formatHex(bytes(16)).getBytes(StandardCharsets.UTF_8), false,
          actor);
      Agent agent = g.agents().add(AGENT, List.of("media.*", "cloud.*"), actor);
      AgentCommand.writeNew(keyFile, AgentCommand.keyFile(agent, g));
      writeCatalog(mediaUrl);
      g.loadCatalog(); // as `serve` will: a catalog it refuses is the demo's fault, said here
      g.trust().set(Domain.INTEGRATIONS, Level.FULL, actor, "the demo: its agent may call the media server alone");
    }
    out.println("  home    " + home + (sealed ? ", sealed to this machine (plus a random master password in "
        + passwordFile.getFileName() + " beside it)" : ", opened by a random master password in " + passwordFile
        + " (this machine has no id for sealed mode)"));
    out.println("  media   a stand-in media server on " + mediaUrl + " (services/media.yaml); its API key is in the "
        + "vault as " + API_KEY_ENTRY + ", and nowhere else");
    out.println("  agent   " + AGENT + ", allowed media.* and cloud.*, its key in " + keyFile.getFileName()
        + " beside the home");
    out.println("  trust   a new home has every domain at 0 (none); as the owner would (`gatehouse trust set`), the"
        + " demo set " + Domain.INTEGRATIONS.wire() + ", the media server's domain, to 4 (full)");
    return new Setup(keyFile, sealed ? null : passwordFile);
  }

  /** {@code services/media.yaml} for the stand-in, and {@code services/cloud.yaml} aimed at cloud metadata. */
  private void writeCatalog(String mediaUrl) throws IOException {
    Path dir = Files.createDirectory(home.resolve(Catalog.DIR),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    AtomicFiles.write(dir.resolve("media.yaml"), ("""
        # The demo's stand-in media server (a slice of Sonarr's API v3), written by `gatehouse demo`.
        service: media
        base_url: %s
        allow_private: ["127.0.0.1/32"]   # it listens on loopback; nothing else private is reachable
        auth: { type: header, name: X-Api-Key, secret: %s }
        actions:
          series: { method: GET, path: /api/v3/series, domain: integrations }
          host_config: { method: GET, path: /api/v3/config/host, domain: integrations }
          api: { path: "{path}", allow_paths: ["/api/v3/series", "/api/v3/series/*"], domain: integrations }
        """).formatted(mediaUrl, API_KEY_ENTRY).getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(dir.resolve("cloud.yaml"), """
        # A catalog entry aimed at the cloud metadata service, as a careless or poisoned edit might write it.
        service: cloud
        base_url: http://169.254.169.254
        allow_private: ["169.254.0.0/16"]   # declaring it changes nothing: instance services are never reachable
        auth: { type: bearer, secret: cloud.token }
        actions:
          metadata: { method: GET, path: /latest/meta-data/iam/security-credentials/, domain: integrations }
        """.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * {@code gatehouse serve --port 0} on the home, as a child process of this same Java: from the
   * same jar as the launcher runs it ({@code -jar}), else from the same class path.
   */
  private String startDaemon(Path passwordFile) throws IOException, InterruptedException {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("java.class.path");
    List<String> cmd = new ArrayList<>(classPath.endsWith(".jar") && !classPath.contains(java.io.File.pathSeparator)
        ? List.of(javaBin, "-jar", classPath) : List.of(javaBin, "-cp", classPath, dev.gatehouse.Main.class.getName()));
    cmd.addAll(List.of("--home", home.toString()));
    if (passwordFile != null) {
      cmd.addAll(List.of("--password-file", passwordFile.toString()));
    }
    cmd.addAll(List.of("serve", "--port", "0"));
    Path log = Files.createFile(work.resolve("serve.log"), // the daemon's log lines (stderr), 0600 like the rest
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    ProcessBuilder serve = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File(
        "/dev/null"))).redirectError(log.toFile());
    synchronized (this) { // with stop(): a daemon is either never started, or stopped there or by cleanUp
      if (stopping) {
        throw new RefusedException("stopped by a signal");
      }
      daemon = serve.start();
    }
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Process p = daemon;
    Thread.ofVirtual().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the daemon went away; the wait below says so
      } finally {
        lines.add(""); // end of output
      }
    });
    long deadline = System.nanoTime() + DAEMON_START.toNanos();
    while (System.nanoTime() < deadline) {
      String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line == null || line.isEmpty()) {
        break;
      }
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    String said = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : "";
    throw new RefusedException("the daemon did not start" + (said.isEmpty() ? "" : ": " + said.lines()
        .reduce((x, y) -> y).orElse("")));
  }

  private void stopDaemon() throws InterruptedException {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroy(); // SIGTERM, as an owner stops it
      if (!daemon.waitFor(DAEMON_STOP.toSeconds(), TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
        daemon.waitFor(DAEMON_STOP.toSeconds(), TimeUnit.SECONDS);
        failed.add("step 5 (the daemon did not stop on SIGTERM)");
      }
    }
  }

  /** What the trust rules made of the story's refusals; said as the store has it, not checked. */
  private void trustNote() throws IOException {
    try (Gatehouse g = Gatehouse.open(home, env.clock(), env.random())) {
      TrustStore trust = g.trust();
      Level now = trust.level(Domain.INTEGRATIONS);
      Optional<TrustStore.Change> last = trust.history().stream()
          .filter(c -> c.domain() == Domain.INTEGRATIONS).reduce((x, y) -> y);
      if (now != Level.FULL && last.isPresent() && last.get().who().equals(TrustStore.SYSTEM_ACTOR)) {
        out.println("   note   trust falls on evidence: Gatehouse lowered " + Domain.INTEGRATIONS.wire() + " to "
            + now.number() + " (" + now.wire() + ") by itself, after " + last.get().reason());
      } else {
        out.println("   note   trust: " + Domain.INTEGRATIONS.wire() + " is at " + now.number() + " (" + now.wire()
            + ")");
      }
    }
  }

  /** Step 5: the log intact, its latest checkpoint signed over all of it, each call above its entry, no key in it. */
  private void verifyAudit(Map<String, Long> seqs, String apiKey) throws IOException {
    Path dir = home.resolve(Gatehouse.AUDIT_DIR);
    AuditVerifier.Result r = AuditVerifier.verify(dir, AuditVerifier.verifierKey(dir), null);
    Map<Long, AuditRecord> entries = new LinkedHashMap<>();
    for (byte[] line : AuditVerifier.scan(dir, false, true, 0).lines()) {
      AuditRecord e = AuditRecord.parse(line);
      if (e != null) {
        entries.put(e.seq(), e);
      }
    }
    List<String> wrong = new ArrayList<>();
    expect(wrong, entries, seqs, "1", "broker.call", "media.series", "allowed", null);
    expect(wrong, entries, seqs, "2", "broker.call", "media.series", "denied", "replayed-nonce");
    expect(wrong, entries, seqs, "3", "broker.call", "media.api", "denied", "path-refused");
    expect(wrong, entries, seqs, "3b", "broker.call", "cloud.metadata", "allowed", null);
    expect(wrong, entries, seqs, "4", "broker.call", "media.host_config", "allowed", null);
    Long egressSeq = seqs.get("3b");
    boolean egressResult = entries.values().stream().anyMatch(e -> e.type().equals("broker.result")
        && e.outcome().equals("egress-denied") && String.valueOf(egressSeq).equals(e.details().get("call_seq")));
    if (!egressResult) {
      wrong.add("no broker.result egress-denied for entry " + egressSeq);
    }
    boolean keyInLog = false;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        keyInLog |= Files.isRegularFile(f) && contains(Files.readAllBytes(f), apiKey);
      }
    }
    boolean checkpointCoversAll = r.latest() != null && r.latest().size() == r.entries();
    String text = r.intact()
        ? r.entries() + " entries intact, root " + AuditVerifier.b64(r.root()) + ", "
            + (r.latest() == null ? "no signed checkpoint" : "signed checkpoint over all " + r.latest().size()
                + " verified") + "; each call above is its entry (seq " + seqs.values().stream()
                .map(String::valueOf).reduce((x, y) -> x + ", " + y).orElse("") + "); the API key is nowhere in it"
        : "the log is NOT intact: " + r.problem();
    step("5", "audit verify", r.intact() && checkpointCoversAll && wrong.isEmpty() && !keyInLog, text,
        String.join("; ", wrong) + (checkpointCoversAll ? "" : " the latest checkpoint does not cover every entry")
            + (keyInLog ? " the API key is in the audit log" : ""));
  }

  private static void expect(List<String> wrong, Map<Long, AuditRecord> entries, Map<String, Long> seqs, String step,
      String type, String target, String outcome, String reason) {
    AuditRecord e = entries.get(seqs.get(step));
    if (e == null || !e.type().equals(type) || !e.target().equals(target) || !e.outcome().equals(outcome)
        || !e.actor().equals("agent:" + AGENT) || (reason != null && !reason.equals(e.details().get("reason")))) {
      wrong.add("step " + step + "'s entry (seq " + seqs.get(step) + ") is not its " + type + " " + outcome
          + (e == null ? ": missing" : ": " + e.type() + " " + e.target() + " " + e.outcome()));
    }
  }

  private Answer send(AgentClient.SignedCall call) throws IOException, InterruptedException {
    return Answer.of(http.send(call.request().timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofByteArray()));
  }

  /** Says how step {@code number} went: what it showed, or why it did not. */
  private void step(String number, String name, boolean ok, String shown, String whyNot) {
    out.println((lastNumber.equals(number) ? "  " : number + ".") + " " + (ok ? "ok     " + name + ": " + shown
        : "FAILED " + name + ": " + whyNot));
    if (!ok) {
      failed.add("step " + number + " (" + name + ")");
    }
    lastNumber = number;
    out.flush();
  }

  /** Where the story is, to name it if something throws. */
  private void at(String number, String name) {
    if (stopping) {
      throw new RefusedException("stopped by a signal");
    }
    current = "step " + number + " (" + name + ")";
  }

  private static String why(Answer a, String... more) {
    StringBuilder b = new StringBuilder("the daemon answered " + a.shown());
    for (String m : more) {
      if (m != null) {
        b.append("; ").append(m);
      }
    }
    return b.toString();
  }

  private void explore() {
    String gh = env.env().getOrDefault("GATEHOUSE_LAUNCHER", "gatehouse") + " --home " + home
        + (sealed ? "" : " --password-file " + work.resolve("master-password"));
    out.println("Kept " + work + ": the home, its master password, the agent key and serve.log (the daemon and the "
        + "stand-in media server are stopped). Explore:");
    out.println("  " + gh + " audit tail -n 20");
    out.println("  " + gh + " audit verify");
    out.println("  " + gh + " trust history");
    out.println("  " + gh + " serve    # then, from another terminal:");
    out.println("  " + env.env().getOrDefault("GATEHOUSE_LAUNCHER", "gatehouse") + " call --key-file "
        + work.resolve(AGENT + ".key") + " -a media.series    # 502: the stand-in is gone");
    out.println("Remove it all with: rm -rf " + work);
  }

  /**
   * The shutdown hook: the story's own thread goes on while hooks run, and may be writing into
   * the home, so it is the one to clean up. This stops the daemon (a call waiting on it fails at
   * once), tells the story to stop at its next step, and waits for its clean-up.
   */
  private void stop() {
    synchronized (this) {
      stopping = true;
      if (daemon != null) {
        daemon.destroy();
      }
    }
    try {
      if (!cleanedUp.await(DAEMON_STOP.toSeconds() * 2, TimeUnit.SECONDS)) {
        cleanUp(); // the story is stuck; clean up around it
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops what runs and, unless kept, removes the folder; safe to run twice. */
  private synchronized void cleanUp() {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroy();
      try {
        if (!daemon.waitFor(DAEMON_STOP.toSeconds(), TimeUnit.SECONDS)) {
          daemon.destroyForcibly().waitFor(DAEMON_STOP.toSeconds(), TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        daemon.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (upstream != null) {
      upstream.close();
      upstream = null;
    }
    if (!keep && work != null && Files.exists(work)) {
      try (Stream<Path> all = Files.walk(work)) {
        for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        out.println("gatehouse: could not remove " + work + " (" + e.getMessage() + "); remove it by hand");
      }
    }
    out.flush();
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    env.random().nextBytes(b);
    return b;
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }
}
