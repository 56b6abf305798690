package dev.gatehouse.http;

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

/**
 * The setup of {@link BrokerDaemonTest}, reusable: a real home and vault, a recording upstream
 * on loopback, and a real daemon on loopback that is called as an agent signs (docs/signing.md).
 * Write services and vault entries first, then {@link #start}.
 */
final class DaemonHarness implements AutoCloseable {
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final Path home;
  final Gatehouse g;
  final Upstreams upstream;
  private final HttpClient http = HttpClient.newHttpClient();
  private Daemon daemon;
  private Agent agent;

  record Sent(int status, Map<String, List<String>> headers, String body) {}

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
    AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
    agent = g.agents().add("bot", List.of(allow), "cli:test");
    Broker broker = g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system())));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, broker,
        () -> new Daemon.Health(false, true, true, catalog.get().services().size(), catalog.get().actionCount()));
  }

  /** One signed call of {@code action} with the JSON parameters {@code body}. */
  Sent call(String action, String body) throws Exception {
    HttpResponse<String> r = AgentCalls.call(daemon.port(), action, body, agent.keyId(), agent.key(), clock.instant());
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
