package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session-based auth types against the real daemons Debian ships: qbittorrent-nox (form
 * login, SID cookie; its default WebUI account in 4.5) and transmission-daemon (409 session
 * id, basic auth). Installs them when missing and running as root; says so loudly and skips
 * only when that is impossible ({@link DebianPackages}; under CI=true it fails instead).
 */
class RealDaemonsIT {
  static final String QBIT_USER = "admin";
  static final String QBIT_PASS = "adminadmin";
  static final String TR_USER = "gh-it";
  static final String TR_PASS = "tr-CANARY-real-5a2";

  @TempDir
  Path tmp;
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final HttpClient http = HttpClient.newHttpClient();
  Gatehouse g;
  Daemon daemon;
  Agent bot;
  Process qbit;
  Process transmission;
  int qbitPort;
  int trPort;

  @BeforeAll
  static void install() throws Exception {
    DebianPackages.require("qbittorrent-nox", "qbittorrent-nox");
    DebianPackages.require("transmission-daemon", "transmission-daemon");
  }

  @BeforeEach
  void setUp() throws Exception {
    qbitPort = freePort();
    trPort = freePort();
    Path profile = tmp.resolve("qbit");
    Files.createDirectories(profile.resolve("qBittorrent/config"));
    Files.writeString(profile.resolve("qBittorrent/config/qBittorrent.conf"), "[LegalNotice]\nAccepted=true\n"
        + "[Preferences]\nWebUI\\Port=" + qbitPort + "\nWebUI\\Address=127.0.0.1\nWebUI\\LocalHostAuth=true\n");
    qbit = startQbit(profile);
    transmission = new ProcessBuilder("/usr/bin/transmission-daemon", "-f", "-g", tmp.resolve("tr").toString(),
        "-p", Integer.toString(trPort), "--rpc-bind-address", "127.0.0.1", "-a", "127.0.0.1", "-t", "-u", TR_USER,
        "-v", TR_PASS).redirectErrorStream(true).redirectOutput(tmp.resolve("tr.log").toFile()).start();
    waitForPort(qbitPort);
    waitForPort(trPort);

    Path home = TestHome.create(tmp);
    g = TestHome.open(home, clock);
    for (var e : Map.of("qbit.user", QBIT_USER, "qbit.password", QBIT_PASS, "tr.user", TR_USER, "tr.password", TR_PASS)
        .entrySet()) {
      g.vaultService().add(e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8), false, "test");
    }
    Path dir = home.resolve("services");
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    // The presets `gatehouse service add` writes, as a user would get them.
    SessionAuthTest.write(dir.resolve("qbit.yaml"), dev.gatehouse.presets.Presets.render("qbittorrent", "qbit",
        "http://127.0.0.1:" + qbitPort, List.of("127.0.0.1/32")));
    SessionAuthTest.write(dir.resolve("tr.yaml"), dev.gatehouse.presets.Presets.render("transmission", "tr",
        "http://127.0.0.1:" + trPort, List.of("127.0.0.1/32")));
    bot = g.agents().add("bot", List.of("qbit.*", "tr.*"), "cli:test");
    dev.gatehouse.testing.TestHome.fullTrust(g);
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 65536,
        g.broker(new AtomicReference<>(g.loadCatalog()), new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        () -> new Daemon.Health(false, true, true, 2, 2));
  }

  Process startQbit(Path profile) throws IOException {
    return new ProcessBuilder("/usr/bin/qbittorrent-nox", "--profile=" + profile).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("qbit.log").toFile())).start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    if (g != null) {
      g.close();
    }
    for (Process p : new Process[] {qbit, transmission}) {
      if (p != null) {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static void waitForPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        Thread.onSpinWait();
      }
    }
    throw new AssertionError("nothing listens on " + port + " after 60 s");
  }

  HttpResponse<String> call(String action, String body) throws Exception {
    clock.set(Instant.now().truncatedTo(ChronoUnit.SECONDS)); // real daemons: real time
    return AgentCalls.call(daemon.port(), action, body, bot.keyId(), bot.key(), clock.instant());
  }

  @Test
  void qbittorrent_loginThroughGatehouse_andAgainAfterTheDaemonRestarts() throws Exception {
    HttpResponse<String> version = call("qbit.api", "{\"path\":\"/api/v2/app/version\"}");
    HttpResponse<String> torrents = call("qbit.api", "{\"path\":\"/api/v2/torrents/info\"}");

    assertThat(version.statusCode()).as(version.body()).isEqualTo(200);
    assertThat(version.body()).startsWith("v4.");
    assertThat(torrents.statusCode()).isEqualTo(200);
    assertThat(torrents.body()).isEqualTo("[]");
    assertThat(torrents.headers().map().keySet()).doesNotContain("set-cookie");

    // A change, posted as the form qBittorrent expects.
    String magnet = "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=gatehouse-it";
    HttpResponse<String> added = call("qbit.add", "{\"urls\":\"" + magnet + "\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
    String listed = "";
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); System.nanoTime() < deadline; ) {
      listed = call("qbit.api", "{\"path\":\"/api/v2/torrents/info\"}").body();
      if (listed.contains("c9e15763f722f23e98a29decdfae341b98d53056")) {
        break;
      }
      Thread.onSpinWait();
    }
    assertThat(listed).contains("c9e15763f722f23e98a29decdfae341b98d53056");
    assertThat(call("qbit.pause", "{\"hashes\":\"all\"}").statusCode()).isEqualTo(200);

    // A restarted WebUI has forgotten every session: Gatehouse logs in again by itself.
    qbit.destroy();
    assertThat(qbit.waitFor(20, TimeUnit.SECONDS)).isTrue();
    qbit = startQbit(tmp.resolve("qbit"));
    waitForPort(qbitPort);
    HttpResponse<String> again = call("qbit.api", "{\"path\":\"/api/v2/app/version\"}");
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
  }

  @Test
  void transmission_sessionIdAndBasicAuth_throughGatehouse() throws Exception {
    HttpResponse<String> r = call("tr.rpc", "{\"method\":\"session-get\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("\"result\":\"success\"").doesNotContain(TR_PASS);
    assertThat(r.headers().map().keySet()).doesNotContain("x-transmission-session-id");

    HttpResponse<String> get = call("tr.rpc", "{\"method\":\"torrent-get\",\"arguments\":{\"fields\":[\"id\",\"name\"]}}");
    assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
    assertThat(get.body()).contains("\"torrents\"").contains("\"result\":\"success\"");

    HttpResponse<String> remove = call("tr.rpc", "{\"method\":\"torrent-remove\"}");
    assertThat(remove.statusCode()).as("a method the preset does not list").isEqualTo(400);
  }
}
