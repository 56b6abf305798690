package dev.gatehouse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The three bare proxies bench/broker.sh compares must do the same work, or the comparison
 * measures something else: each forwards a POST as a GET with the injected header, returns the
 * upstream's status, type and body, refuses a body over the daemon's limit without forwarding it,
 * and answers 502 when the upstream cannot be reached. Real HTTP on loopback.
 */
class BareProxiesTest {
  private static final String ANSWER = "{\"status\":\"ok\"}";

  interface Starter {
    BareProxy.Running start(BareProxy.Options o) throws Exception;
  }

  record Stack(String name, Starter starter) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Stack> stacks() {
    return Stream.of(new Stack("helidon", BareProxy::start), new Stack("vertx", VertxBareProxy::start),
        new Stack("vertx-vt", VertxBareProxy::startVirtual), new Stack("jetty", JettyBareProxy::start));
  }

  record Seen(String method, String path, String apiKey, String acceptEncoding, int bodyLength) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpServer upstream;

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext("/", ex -> {
      seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
          ex.getRequestHeaders().getFirst("X-Api-Key"), ex.getRequestHeaders().getFirst("Accept-Encoding"),
          ex.getRequestBody().readAllBytes().length));
      byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(ex.getRequestURI().getRawPath().equals("/missing.json") ? 404 : 200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    upstream.start();
  }

  @AfterEach
  void stopUpstream() {
    upstream.stop(0);
    http.close();
  }

  private BareProxy.Options options(String path) {
    return new BareProxy.Options(0, URI.create("http://127.0.0.1:" + upstream.getAddress().getPort() + path),
        "X-Api-Key", "secret-value");
  }

  private HttpResponse<String> post(BareProxy.Running proxy, HttpRequest.BodyPublisher body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/actions/bench.get"))
        .POST(body).header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @MethodSource("stacks")
  void post_isForwardedAsGet_withTheInjectedHeader(Stack stack) throws Exception {
    try (BareProxy.Running proxy = stack.starter().start(options("/data.json"))) {
      for (int i = 0; i < 3; i++) { // the same keep-alive connections, more than once
        HttpResponse<String> r = post(proxy, HttpRequest.BodyPublishers.ofString("{}"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(ANSWER);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
      }
    }
    assertThat(seen).hasSize(3).allSatisfy(s -> {
      assertThat(s.method()).isEqualTo("GET");
      assertThat(s.path()).isEqualTo("/data.json");
      assertThat(s.apiKey()).isEqualTo("secret-value");
      assertThat(s.acceptEncoding()).isEqualTo("identity");
      assertThat(s.bodyLength()).isZero();
    });
  }

  @ParameterizedTest
  @MethodSource("stacks")
  void upstreamStatus_isPassedOn(Stack stack) throws Exception {
    try (BareProxy.Running proxy = stack.starter().start(options("/missing.json"))) {
      assertThat(post(proxy, HttpRequest.BodyPublishers.ofString("{}")).statusCode()).isEqualTo(404);
    }
  }

  @ParameterizedTest
  @MethodSource("stacks")
  void bodyOverTheLimit_isRefused_andNotForwarded(Stack stack) throws Exception {
    byte[] big = new byte[BareProxy.MAX_BODY + 1];
    try (BareProxy.Running proxy = stack.starter().start(options("/data.json"))) {
      assertThat(refusal(proxy, HttpRequest.BodyPublishers.ofByteArray(big))).as("declared length")
          .isIn("413", "closed");
      assertThat(refusal(proxy, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))))
          .as("chunked").isIn("413", "closed");
      assertThat(post(proxy, HttpRequest.BodyPublishers.ofByteArray(new byte[BareProxy.MAX_BODY])).statusCode())
          .as("at the limit").isEqualTo(200);
    }
    assertThat(seen).hasSize(1);
  }

  /**
   * How an oversized request is refused: "413", or "closed" when the server answered 413 and
   * closed while the client was still sending, so the client saw the connection reset before
   * the answer (a race of every HTTP stack that stops reading a body it refuses). Either way
   * nothing may reach the upstream, which the caller checks.
   */
  private String refusal(BareProxy.Running proxy, HttpRequest.BodyPublisher body) throws Exception {
    try {
      return Integer.toString(post(proxy, body).statusCode());
    } catch (java.io.IOException e) {
      return "closed";
    }
  }

  @ParameterizedTest
  @MethodSource("stacks")
  void unreachableUpstream_is502(Stack stack) throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    var o = new BareProxy.Options(0, URI.create("http://127.0.0.1:" + closed + "/data.json"), "X-Api-Key", "v");
    try (BareProxy.Running proxy = stack.starter().start(o)) {
      assertThat(post(proxy, HttpRequest.BodyPublishers.ofString("{}")).statusCode()).isEqualTo(502);
    }
  }
}
