package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.testing.AgentCalls;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `gatehouse serve` as a real process: reload on SIGHUP, drain and checkpoint on SIGTERM, loopback only. */
class ServeProcessIT {
  static final String CANARY = "sk-CANARY-serve-91ac";

  @TempDir
  Path temp;
  JarProcesses jar;
  HttpServer upstream;
  final CountDownLatch slowArrived = new CountDownLatch(1);
  Process serve;
  int port;
  String keyId;
  byte[] key;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    jar = new JarProcesses(temp, "serve-it-password");
    assertThat(jar.run("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1").exit()).isZero();
    assertThat(JarProcesses.finish(jar.start(CANARY.getBytes(StandardCharsets.UTF_8), "vault", "add", "svc.apikey"))
        .exit()).isZero();
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.setExecutor(Executors.newCachedThreadPool());
    upstream.createContext("/", ex -> {
      if (ex.getRequestURI().getPath().equals("/slow")) {
        slowArrived.countDown();
        try {
          Thread.sleep(2000); // the call is in flight while the daemon is asked to stop
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    upstream.start();
    writeCatalog("  fast: { path: /fast }\n  slow: { path: /slow, timeout_seconds: 10 }\n");
    Path keyFile = temp.resolve("bot.key");
    assertThat(jar.run("agent", "add", "bot", "--allow", "svc.*", "--key-file", keyFile.toString()).exit()).isZero();
    assertThat(jar.run("trust", "set", "integrations", "full", "--reason", "the test agent runs alone").exit()).isZero();
    var k = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readAllBytes(keyFile));
    keyId = k.get("keyid").asText();
    key = Base64.getDecoder().decode(k.get("key").asText());
  }

  @AfterEach
  void tearDown() {
    if (serve != null) {
      serve.destroyForcibly();
    }
    upstream.stop(0);
  }

  void writeCatalog(String actions) throws Exception {
    Path dir = jar.home.resolve("services");
    if (!Files.exists(dir)) {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path f = dir.resolve("svc.yaml");
    Files.writeString(f, "service: svc\nbase_url: http://127.0.0.1:" + upstream.getAddress().getPort()
        + "\nallow_private: [\"127.0.0.1/32\"]\nauth: { type: header, name: X-Api-Key, secret: svc.apikey }\nactions:\n"
        + actions);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }

  void startServe() throws Exception {
    startServe("http");
  }

  void startServe(String scheme) throws Exception {
    startServe(scheme, "127.0.0.1");
  }

  void startServe(String scheme, String host) throws Exception {
    serve = jar.start("serve", "--port", "0");
    BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (java.io.IOException e) {
        return null;
      }
    }).get(60, TimeUnit.SECONDS);
    assertThat(line).isNotNull().contains("listening on " + scheme + "://" + host + ":");
    Matcher m = Pattern.compile(Pattern.quote(host) + ":([0-9]+)").matcher(line);
    assertThat(m.find()).isTrue();
    port = Integer.parseInt(m.group(1));
  }

  int call(String action) throws Exception {
    return AgentCalls.call(port, action, "{}", keyId, key, Instant.now()).statusCode();
  }

  @Test
  void ownerLogin_throughTheRealAccounts_thenTheOverviewShowsTheLogVerifiedAtStart() throws Exception {
    String password = "owner-password-of-the-it";
    byte[] totpKey;
    try (var g = dev.gatehouse.Gatehouse.open(jar.home, java.time.Clock.systemUTC(), new java.security.SecureRandom());
        var pw = new dev.gatehouse.vault.Credential.Password("serve-it-password".toCharArray())) {
      g.unseal(pw);
      var accounts = g.ownerAccounts();
      accounts.add("olga", dev.gatehouse.owner.Role.OWNER, password.toCharArray(), "cli:test");
      totpKey = accounts.beginTotp("olga", "cli:test").secret();
      accounts.confirmTotp("olga", dev.gatehouse.otp.Hotp.totp(totpKey, Instant.now(),
          dev.gatehouse.otp.TotpParameters.DEFAULT), "cli:test");
    }
    startServe();
    // The confirmation spent this step's code: the next step's is within the one step of skew allowed.
    String code = dev.gatehouse.otp.Hotp.totp(totpKey, Instant.now().plusSeconds(30),
        dev.gatehouse.otp.TotpParameters.DEFAULT);
    var login = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/owner/login"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"olga\",\"password\":\"" + password
            + "\",\"code\":\"" + code + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
    String access = new com.fasterxml.jackson.databind.ObjectMapper().readTree(login.body()).path("access_token")
        .asText();

    var status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/owner/status"))
        .header("Authorization", "Bearer " + access).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(status.statusCode()).isEqualTo(200);
    var audit = new com.fasterxml.jackson.databind.ObjectMapper().readTree(status.body()).path("audit");
    assertThat(audit.path("intact").asBoolean()).as(status.body()).isTrue();
    assertThat(audit.path("entries").asLong()).isPositive();
    assertThat(status.headers().firstValue("Content-Security-Policy")).isPresent();
    assertThat(AgentCalls.auditText(jar.home)).contains("\"type\":\"owner.login\",\"actor\":\"owner:olga\"")
        .doesNotContain(password).doesNotContain("\"" + code + "\"").doesNotContain(access);
  }

  @Test
  void reload_aBadCatalogIsNamedAndKeepsTheOld_aGoodOneIsTaken() throws Exception {
    startServe();
    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/health")).build(),
        HttpResponse.BodyHandlers.ofString()).body()).contains("\"status\":\"ok\"");
    var owner = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/owner/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(owner.statusCode()).as("the owner API is served, behind its gate").isEqualTo(401);
    assertThat(owner.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    assertThat(call("svc.fast")).isEqualTo(200);

    writeCatalog("  fast: { path: /fast, colour: red }\n");
    JarProcesses.Result bad = jar.run("reload");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("svc.yaml:6: unknown key 'actions.fast.colour'");
    assertThat(call("svc.fast")).as("the running catalog stays").isEqualTo(200);

    writeCatalog("  fast: { path: /fast }\n  extra: { path: /extra }\n");
    // The daemon reloads on its own time after the signal: wait for it to say so, rather than
    // polling with calls that would spend the agent's rate limit on a slow machine.
    BufferedReader log = new BufferedReader(new InputStreamReader(serve.getErrorStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> accepted = CompletableFuture.supplyAsync(() -> {
      try {
        for (String l = log.readLine(); l != null; l = log.readLine()) {
          if (l.contains("reload accepted")) {
            return l;
          }
        }
        return null;
      } catch (java.io.IOException e) {
        return null;
      }
    });
    JarProcesses.Result good = jar.run("reload");
    assertThat(good.exit()).as(good.err()).isZero();
    assertThat(accepted.get(60, TimeUnit.SECONDS)).isNotNull().contains("2 actions");
    assertThat(call("svc.extra")).isEqualTo(200);
  }

  @Test
  void sigterm_letsTheCallInFlightFinish_andWritesAFinalCheckpoint() throws Exception {
    startServe();
    CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return call("svc.slow");
      } catch (Exception e) {
        return -1;
      }
    });
    assertThat(slowArrived.await(30, TimeUnit.SECONDS)).isTrue();

    // SIGTERM as `kill` sends it (Process.destroy would also close our end of its stderr)
    assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(serve.pid())).start().waitFor()).isZero();

    assertThat(inFlight.get(30, TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String log = new String(serve.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(log).doesNotContain(CANARY).doesNotContain(Base64.getEncoder().encodeToString(key));
    JarProcesses.Result verify = jar.run("audit", "verify");
    assertThat(verify.exit()).as(verify.err()).isZero();
    Matcher entries = Pattern.compile("intact: ([0-9]+) entries").matcher(verify.out());
    assertThat(entries.find()).isTrue();
    assertThat(verify.out()).as("the last checkpoint covers the whole log")
        .contains("latest signed checkpoint: size " + entries.group(1) + ",");
    assertThat(Files.exists(jar.home.resolve("serve.pid"))).isFalse();
  }

  @Test
  void callLines_onlyAtDebug_andNeverASecret() throws Exception {
    startServe();
    assertThat(call("svc.fast")).isEqualTo(200);
    String quiet = stopAndReadLog();

    jar.env.put("GATEHOUSE_LOG_LEVEL", "DEBUG");
    startServe();
    assertThat(call("svc.fast")).isEqualTo(200);
    String debug = stopAndReadLog();

    assertThat(quiet).doesNotContain("call action=");
    assertThat(debug).containsPattern("DEBUG gatehouse.daemon call action=/v1/actions/svc.fast status=200 ms=[0-9]+"
        + " audit_seq=[0-9]+");
    for (String log : new String[] {quiet, debug}) {
      assertThat(log).doesNotContain(CANARY).doesNotContain(Base64.getEncoder().encodeToString(key))
          .doesNotContain("sig1=:");
    }
  }

  private String stopAndReadLog() throws Exception {
    assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(serve.pid())).start().waitFor()).isZero();
    assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String log = new String(serve.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    serve = null;
    return log;
  }

  /** server.tls set to a fresh certificate in the home's tls/ folder, and {@code bind}. */
  dev.gatehouse.testing.TestCertificates.Made configureTls(String bind) throws Exception {
    Path tls = jar.home.resolve("tls");
    Files.createDirectory(tls, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    dev.gatehouse.testing.TestCertificates.Made cert = dev.gatehouse.testing.TestCertificates.make(tls, "daemon", "EC", 2);
    Path config = jar.home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config).replace("bind: 127.0.0.1", "bind: " + bind).replace(
        "  port: 19999\n", "  port: 19999\n  tls: {certificate: tls/daemon.crt, key: tls/daemon.key}\n"));
    return cert;
  }

  @Test
  void beyondLoopback_withTlsAndAnOwnerAccount_starts() throws Exception {
    dev.gatehouse.testing.TestCertificates.Made cert = configureTls("0.0.0.0");
    JarProcesses.Result refused = jar.run("serve", "--port", "0");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("gatehouse user add NAME --role owner").doesNotContain("server.tls");
    assertThat(JarProcesses.finish(jar.start("a long owner password\n".getBytes(StandardCharsets.UTF_8), "user", "add",
        "root", "--role", "owner", "--password-stdin")).exit()).isZero();

    startServe("https", "0.0.0.0");

    try (HttpClient https = HttpClient.newBuilder().sslContext(cert.trustingIt()).build()) {
      assertThat(https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void serverTls_servesHttpsOnTls13_andAnAgentCallOverIt() throws Exception {
    dev.gatehouse.testing.TestCertificates.Made cert = configureTls("127.0.0.1");
    startServe("https");
    URI uri = URI.create("https://127.0.0.1:" + port + "/v1/actions/svc.fast");
    var request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{}"));
    dev.gatehouse.identity.MessageSignatures.sign("POST", uri, "{}".getBytes(StandardCharsets.UTF_8), keyId, key,
        Instant.now().getEpochSecond(), AgentCalls.nonce()).forEach(request::header);

    try (HttpClient https = HttpClient.newBuilder().sslContext(cert.trustingIt()).build()) {
      assertThat(https.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
    }
    Throwable plain = org.assertj.core.api.Assertions.catchThrowable(() -> call("svc.fast"));
    assertThat(plain).as("plain HTTP is not served on the TLS port").isInstanceOf(java.io.IOException.class);
  }

  @Test
  void aNonLoopbackBind_isRefused_sayingWhatIsMissing() throws Exception {
    Path config = jar.home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config).replace("bind: 127.0.0.1", "bind: 0.0.0.0"));

    JarProcesses.Result r = jar.run("serve");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("refusing to listen on 0.0.0.0").contains("server.tls")
        .contains("gatehouse user add NAME --role owner");
  }

  @Test
  void metrics_fromTheServeProcess_countTheCallsItAnswered_andHoldNoSecret() throws Exception {
    startServe();
    assertThat(call("svc.fast")).isEqualTo(200);
    assertThat(call("svc.CANARY-nope")).isEqualTo(404);

    HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.body()).doesNotContain("CANARY").doesNotContain(keyId);
    var t = dev.gatehouse.testing.PrometheusText.parse(m.body());
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "svc.fast", "outcome", "answered")).isEqualTo(1);
    assertThat(t.value("gatehouse_calls_seconds_count", "action", "unknown", "outcome", "refused")).isEqualTo(1);
    assertThat(t.value("gatehouse_refusals_total", "cause", "unknown-action")).isEqualTo(1);
    assertThat(t.value("gatehouse_audit_append_seconds_count")).isGreaterThanOrEqualTo(2);
    assertThat(t.value("gatehouse_sealed")).isZero();
  }
}
