package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.http.ServerTls;
import dev.gatehouse.testing.TestCertificates;
import dev.gatehouse.testing.TestHome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** `serve` with server.tls and the listen rule, and `call` over https, as a person and an agent use them. */
class TlsCliTest extends CliTestBase {
  /** Valid at the test's clock (days in the past) and at the real time, which TLS clients check. */
  private TestCertificates.Made certificate(Path dir, String name) throws Exception {
    java.time.Instant from = clock.instant().minus(java.time.Duration.ofDays(1));
    return TestCertificates.make(dir, name, "EC", from,
        (int) java.time.Duration.between(from, java.time.Instant.now()).toDays() + 30);
  }

  /** A home with server.tls set to a fresh certificate in tls/ and {@code bind}; returns what was made. */
  private TestCertificates.Made homeWithTls(String bind) throws Exception {
    assertThat(run("init")).isZero();
    Path tls = home.resolve("tls");
    Files.createDirectory(tls, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    TestCertificates.Made made = certificate(tls, "gatehouse");
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config).replace("bind: 127.0.0.1", "bind: " + bind)
        .replace("  # tls:\n  #   certificate: tls/gatehouse.crt\n  #   key: tls/gatehouse.key\n",
            "  tls:\n    certificate: tls/gatehouse.crt\n    key: tls/gatehouse.key\n"));
    assertThat(Files.readString(config)).contains("\n  tls:\n");
    return made;
  }

  @Test
  void serve_beyondLoopback_withTlsButNoOwnerAccount_isRefused_namingTheCommand() throws Exception {
    homeWithTls("0.0.0.0");

    assertThat(run("serve", "--port", "0")).isEqualTo(2);

    assertThat(err).contains("refusing to listen on 0.0.0.0").contains("gatehouse user add NAME --role owner")
        .doesNotContain("server.tls");
  }

  @Test
  void serve_beyondLoopback_withoutTls_isRefused_namingServerTls() throws Exception {
    assertThat(run("init")).isZero();
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config).replace("bind: 127.0.0.1", "bind: 0.0.0.0"));

    assertThat(run("serve", "--port", "0")).isEqualTo(2);

    assertThat(err).contains("refusing to listen on 0.0.0.0").contains("server.tls").contains("--role owner");
  }

  @Test
  void serve_withAKeyThatIsNotTheCertificates_isRefused_namingTheFiles() throws Exception {
    homeWithTls("127.0.0.1");
    TestCertificates.Made other = certificate(temp, "other");
    Files.copy(other.key(), home.resolve("tls/gatehouse.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThat(run("serve", "--port", "0")).isEqualTo(2);

    assertThat(err).contains(home.resolve("tls/gatehouse.key").toString()).contains("does not belong to the certificate");
  }

  @Test
  void serve_withAMissingCertificate_isRefused_namingIt() throws Exception {
    homeWithTls("127.0.0.1");
    Files.delete(home.resolve("tls/gatehouse.crt"));

    assertThat(run("serve", "--port", "0")).isEqualTo(2);

    assertThat(err).contains(home.resolve("tls/gatehouse.crt") + " (server.tls.certificate) does not exist");
  }

  @Test
  void call_overHttps_trustsTheCaCertGiven_andOnlyThat() throws Exception {
    TestCertificates.Made made = homeWithTls("127.0.0.1");
    HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext("/", ex -> {
      byte[] body = ("{\"query\":\"" + ex.getRequestURI().getRawQuery() + "\"}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    upstream.start();
    stdin = "sk-tls-cli".getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "media.apikey")).isZero();
    Path services = home.resolve("services");
    Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path svc = services.resolve("media.yaml");
    Files.writeString(svc, "service: media\nbase_url: http://127.0.0.1:" + upstream.getAddress().getPort() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\nauth: { type: header, name: X-Api-Key, secret: media.apikey }\n"
        + "actions:\n  search: { method: GET, path: /api/search, query: { q: \"{q}\" } }\n");
    Files.setPosixFilePermissions(svc, PosixFilePermissions.fromString("rw-------"));
    Path keyFile = temp.resolve("agent.key");
    assertThat(run("agent", "add", "bot", "--allow", "media.*", "--key-file", keyFile.toString())).isZero();
    assertThat(new ObjectMapper().readTree(Files.readAllBytes(keyFile)).path("url").asText())
        .as("the key file points the agent at https").isEqualTo("https://127.0.0.1:19999");
    assertThat(run("trust", "set", "integrations", "4", "--reason", "test")).as(err).isZero();
    Path other = certificate(temp, "other").certificate();

    Gatehouse g = TestHome.open(home, clock);
    AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
    Daemon daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 65536,
        ServerTls.load(made.certificate(), made.key(), clock), false,
        Daemon.table(g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))), null, null,
            () -> new Daemon.Health(false, true, true, 1, 1)));
    try {
      extraEnv.put("GATEHOUSE_URL", "https://127.0.0.1:" + daemon.port());

      assertThat(run("call", "-a", "media.search", "-q", "dune", "--key-file", keyFile.toString(),
          "--cacert", made.certificate().toString())).as(err).isZero();
      assertThat(out).contains("q=dune");

      assertThat(run("call", "-a", "media.search", "-q", "dune", "--key-file", keyFile.toString())).isEqualTo(4);
      assertThat(err).contains("no TLS 1.3 connection").contains("its certificate is not signed by anyone trusted here")
          .contains("--cacert");

      assertThat(run("call", "-a", "media.search", "-q", "dune", "--key-file", keyFile.toString(),
          "--cacert", other.toString())).as("a certificate that is not the daemon's").isEqualTo(4);

      extraEnv.put("GATEHOUSE_CACERT", made.certificate().toString());
      assertThat(run("call", "-a", "media.search", "-q", "again", "--key-file", keyFile.toString())).as(err).isZero();
      assertThat(out).contains("q=again");
    } finally {
      daemon.close();
      g.close();
      upstream.stop(0);
    }
  }
}
