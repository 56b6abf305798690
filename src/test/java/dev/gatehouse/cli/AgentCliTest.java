package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.testing.TestHome;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** `agent` and `call` as a person and an agent use them, against a real daemon and upstream. */
class AgentCliTest extends CliTestBase {
  static final String CANARY = "sk-CANARY-cli-4b1d77e0";

  @Test
  void addAnAgent_callAsIt_revokeIt() throws Exception {
    assertThat(run("init")).isZero();
    stdin = CANARY.getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "media.apikey")).isZero();
    HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext("/", ex -> {
      byte[] body = ("{\"results\":[\"Dune: Part Two\"],\"key_was\":\"" + ex.getRequestHeaders().getFirst("X-Api-Key")
          + "\"}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    upstream.start();
    Path services = home.resolve("services");
    Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path svc = services.resolve("media.yaml");
    Files.writeString(svc, "service: media\nbase_url: http://127.0.0.1:" + upstream.getAddress().getPort() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\nauth: { type: header, name: X-Api-Key, secret: media.apikey }\n"
        + "actions:\n  search: { method: GET, path: /api/search, query: { q: \"{q}\" } }\n");
    Files.setPosixFilePermissions(svc, PosixFilePermissions.fromString("rw-------"));
    Path keyFile = temp.resolve("agent.key");

    assertThat(run("agent", "add", "bot", "--allow", "media.*", "--key-file", keyFile.toString())).isZero();
    assertThat(Files.getPosixFilePermissions(keyFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    var key = new ObjectMapper().readTree(Files.readAllBytes(keyFile));
    assertThat(key.path("keyid").asText()).startsWith("bot.");
    assertThat(java.util.Base64.getDecoder().decode(key.path("key").asText())).hasSize(32);
    assertThat(out).doesNotContain(key.path("key").asText());
    assertThat(run("agent", "add", "bot2", "--key-file", keyFile.toString())).isEqualTo(2);
    assertThat(err).contains("already exists");
    assertThat(run("agent", "list")).isZero();
    assertThat(out).contains("bot").contains("media.*").contains("never").doesNotContain(key.path("key").asText());
    assertThat(run("trust", "set", "integrations", "4", "--reason", "the media bot runs alone")).as(err).isZero();

    Gatehouse g = TestHome.open(home, clock);
    AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
    Daemon daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 65536,
        g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        () -> new Daemon.Health(false, true, true, 1, 1));
    try {
      extraEnv.put("GATEHOUSE_URL", "http://127.0.0.1:" + daemon.port());

      assertThat(run("call", "-a", "media.search", "-q", "Dune Part Two", "--key-file", keyFile.toString())).isZero();
      assertThat(out).contains("Dune: Part Two").contains("[REDACTED]").doesNotContain(CANARY);

      assertThat(run("call", "-a", "media.search", "--param", "x=1", "--key-file", keyFile.toString())).isEqualTo(2);
      assertThat(err).contains("unknown parameter");

      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
      assertThat(run("call", "-a", "media.search", "-q", "x", "--key-file", keyFile.toString())).isEqualTo(2);
      assertThat(err).contains("chmod 600");
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));

      assertThat(run("agent", "revoke", "bot")).isZero();
      assertThat(run("call", "-a", "media.search", "-q", "x", "--key-file", keyFile.toString())).isEqualTo(1);
      assertThat(err).contains("not signed by a known");
    } finally {
      daemon.close();
      g.close();
      upstream.stop(0);
    }
    assertThat(run("call", "-a", "media.search", "-q", "x", "--key-file", keyFile.toString())).isEqualTo(4);
    assertThat(err).contains("not reachable");
    assertThat(run("audit", "verify")).isZero();
    for (Path p : Files.list(home.resolve("audit")).toList()) {
      assertThat(Files.readString(p, StandardCharsets.ISO_8859_1)).doesNotContain(CANARY)
          .doesNotContain(key.path("key").asText());
    }
  }

  @Test
  void rotate_whenTheKeyFileCannotBeWritten_changesNothing() throws Exception {
    assertThat(run("init")).isZero();
    Path keyFile = temp.resolve("agent.key");
    assertThat(run("agent", "add", "bot", "--allow", "media.*", "--key-file", keyFile.toString())).isZero();
    String keyId = new ObjectMapper().readTree(Files.readAllBytes(keyFile)).path("keyid").asText();
    Path aFolder = Files.createDirectory(temp.resolve("not-a-file"));
    Files.writeString(aFolder.resolve("inside"), "so the folder cannot be replaced");

    assertThat(run("agent", "rotate", "bot", "--key-file", aFolder.toString())).isEqualTo(2);
    assertThat(err).contains("cannot write --key-file").contains("nothing changed");
    var agent = TestHome.open(home, clock).agents().find("bot").orElseThrow();
    assertThat(agent.keyId()).as("the key the agent holds is still the current one").isEqualTo(keyId);
    assertThat(agent.previous()).as("and it is not on a clock").isEmpty();
    assertThat(run("audit", "tail", "--type", "agent.rotate")).isZero();
    assertThat(out).contains("agent.rotate").contains("undone");

    assertThat(run("agent", "rotate", "bot", "--key-file", keyFile.toString())).isZero();
    String rotated = new ObjectMapper().readTree(Files.readAllBytes(keyFile)).path("keyid").asText();
    assertThat(rotated).isNotEqualTo(keyId);
    assertThat(run("agent", "list")).isZero();
    assertThat(out).contains(rotated).contains("old key valid until");
  }
}
