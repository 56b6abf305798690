package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.broker.Service;
import dev.gatehouse.broker.Upstream;
import dev.gatehouse.broker.UpstreamAuth;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The answer's body against the action's size limit, over real HTTP: exactly the limit passes
 * whole, one byte more is cut and marked, whether the upstream declares a Content-Length or
 * sends chunks (the two read paths).
 */
class GuardedUpstreamBodyTest {
  static final int LIMIT = 1024;

  HttpServer server;
  final java.util.Set<Integer> peers = java.util.concurrent.ConcurrentHashMap.newKeySet(); // client ports seen
  Service service;
  final GuardedUpstream upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", ex -> {
      peers.add(ex.getRemoteAddress().getPort());
      String[] parts = ex.getRequestURI().getPath().split("/"); // /fixed/N or /chunked/N
      byte[] body = body(Integer.parseInt(parts[2]));
      ex.sendResponseHeaders(200, parts[1].equals("chunked") ? 0 : body.length == 0 ? -1 : body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    service = new Service("sized", EgressGuard.parseBaseUrl("http://127.0.0.1:" + server.getAddress().getPort()),
        List.of(Cidr.parse("127.0.0.1/32")), new UpstreamAuth.Bearer("unused"), Map.of(), "sized.yaml");
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  static byte[] body(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"fixed", "chunked"})
  void answersWithinTheLimit_leaveTheConnectionToBeReused(String framing) throws Exception {
    for (int i = 0; i < 20; i++) {
      assertThat(send(framing, 300).body()).hasSize(300);
    }
    assertThat(peers).as("one keep-alive connection for 20 sequential calls").hasSize(1);
  }

  private Upstream.Response send(String framing, int size) throws Exception {
    return upstream.send(new Upstream.Request(service, "GET",
        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + framing + "/" + size), Map.of(),
        new byte[0], Duration.ofSeconds(10), LIMIT));
  }

  @ParameterizedTest(name = "{0} {1} bytes")
  @CsvSource({"fixed, 0", "fixed, 300", "fixed, 1024", "fixed, 1025", "fixed, 70000",
      "chunked, 0", "chunked, 300", "chunked, 1024", "chunked, 1025", "chunked, 70000"})
  void theBody_isWhole_upToTheLimit_andCutAndMarkedPastIt(String framing, int size) throws Exception {
    Upstream.Response r = send(framing, size);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.truncated()).isEqualTo(size > LIMIT);
    assertThat(r.body()).isEqualTo(Arrays.copyOf(body(size), Math.min(size, LIMIT)));
  }
}
