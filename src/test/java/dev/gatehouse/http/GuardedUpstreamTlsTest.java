package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.gatehouse.broker.Service;
import dev.gatehouse.broker.Upstream;
import dev.gatehouse.broker.UpstreamAuth;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https service is reached over TLS with its certificate verified: one nobody vouches for is refused. */
class GuardedUpstreamTlsTest {
  @TempDir
  Path tmp;

  @Test
  void anHttpsUpstream_withASelfSignedCertificate_isRefused_andHearsNoRequest() throws Exception {
    Path keystore = tmp.resolve("upstream.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-alias", "upstream", "-keyalg", "EC", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2")
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = new FileInputStream(keystore.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    AtomicInteger requests = new AtomicInteger();
    server.createContext("/", ex -> {
      requests.incrementAndGet();
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.start();
    try {
      String base = "https://127.0.0.1:" + server.getAddress().getPort();
      Service service = new Service("tls", EgressGuard.parseBaseUrl(base), List.of(Cidr.parse("127.0.0.1/32")),
          new UpstreamAuth.Bearer("unused"), Map.of(), "tls.yaml");
      GuardedUpstream upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));

      Throwable e = catchThrowable(() -> upstream.send(new Upstream.Request(service, "GET", URI.create(base + "/x"),
          Map.of(), new byte[0], Duration.ofSeconds(10), 1024)));

      assertThat(e).isInstanceOf(IOException.class);
      assertThat(causes(e)).as("the handshake refused the certificate (not a plain-text exchange that failed)")
          .anyMatch(c -> c instanceof javax.net.ssl.SSLHandshakeException);
      assertThat(requests.get()).isZero();
    } finally {
      server.stop(0);
    }
  }

  static List<Throwable> causes(Throwable e) {
    List<Throwable> all = new java.util.ArrayList<>();
    for (Throwable c = e; c != null && !all.contains(c); c = c.getCause()) {
      all.add(c);
    }
    return all;
  }
}
