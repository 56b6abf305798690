package dev.gatehouse.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.io.IOException;
import java.net.InetAddress;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The setup of {@link BrokerDaemonTest} and {@link PresetRequestTest}: a real home and vault, a
 * recording upstream on loopback, and a real daemon on loopback that is called as an agent signs
 * (docs/signing.md). Write services and vault entries first, then {@link #start}.
 */
final class DaemonHarness implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final Path home;
  final Upstreams upstream;
  final HttpClient http = HttpClient.newHttpClient();
  Gatehouse g; // replaced by restart()
  private AtomicReference<Catalog> catalog;
  private Daemon daemon;
  private Agent agent;

  record Sent(int status, Map<String, List<String>> headers, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }

    /** The problem document's type, without the common prefix. */
    String problemType() throws IOException {
      return json().path("type").asText().replace("https://gatehouse.dev/problems/", "");
    }
  }

  DaemonHarness(Path tmp, Function<Upstreams.Received, Upstreams.Reply> answer) throws IOException {
    home = TestHome.create(tmp);
    g = TestHome.open(home, clock);
    upstream = new Upstreams(answer);
  }

  void vaultAdd(String name, String value) throws IOException {
    g.vaultService().add(name, value.getBytes(StandardCharsets.UTF_8), false, "test");
  }

  /** Writes services/NAME.yaml (0600, in a 0700 folder) as `gatehouse service add` would. */
  void writeService(String name, String yaml) throws IOException {
    Path dir = home.resolve(Catalog.DIR);
    if (!Files.exists(dir)) {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, yaml);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }

  /** Loads the catalog (refused if anything is wrong), adds an agent allowed {@code allow}, starts the daemon. */
  void start(String... allow) throws IOException {
    catalog = new AtomicReference<>(g.loadCatalog());
    agent = g.agents().add("bot", List.of(allow), "cli:test");
    TestHome.fullTrust(g);
    startDaemon(HostResolver.system());
  }

  /** A new daemon in place of the running one, its broker resolving names with {@code resolver}. */
  void startDaemon(HostResolver resolver) throws IOException {
    startDaemon(g.broker(catalog, new GuardedUpstream(new EgressGuard(resolver))),
        () -> new Daemon.Health(false, true, true, catalog.get().services().size(), catalog.get().actionCount()));
  }

  /** A new daemon in place of the running one, over {@code broker}. */
  void startDaemon(Broker broker, Supplier<Daemon.Health> health) {
    if (daemon != null) {
      daemon.close();
      daemon = null;
    }
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, broker, health);
  }

  /** What a restarted process sees: daemon and composition closed, the home opened again, a new daemon. */
  void restart() throws IOException {
    daemon.close();
    daemon = null;
    g.close();
    g = TestHome.open(home, clock);
    startDaemon(HostResolver.system());
  }

  AtomicReference<Catalog> catalog() {
    return catalog;
  }

  /** The agent {@link #start} added. */
  Agent agent() {
    return agent;
  }

  int port() {
    return daemon.port();
  }

  /** One signed call of {@code action} with the JSON parameters {@code body}. */
  Sent call(String action, String body) throws Exception {
    return call(action, body, agent.keyId(), agent.key(), clock.instant(), AgentCalls.nonce(), null);
  }

  /** The full form: any key, time and nonce; {@code sentBody}, unless null, is sent in place of the signed body. */
  Sent call(String action, String body, String keyId, byte[] key, Instant created, String nonce, String sentBody)
      throws Exception {
    HttpResponse<String> r = AgentCalls.call(daemon.port(), action, body, keyId, key, created, nonce,
        sentBody != null ? sentBody : body);
    return new Sent(r.statusCode(), r.headers().map(), r.body());
  }

  @Override
  public void close() {
    if (daemon != null) {
      daemon.close();
    }
    upstream.close();
    g.close();
  }
}
