package dev.gatehouse.bench;

import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A reference for {@code bench/broker.sh}: the HTTP stack Gatehouse is built on and nothing
 * else. Helidon's WebServer, configured as the daemon's, answers any POST by reading its body
 * and forwarding a GET to the upstream through Helidon's WebClient, configured as the broker's,
 * with one injected header, then returns the upstream's status and body. No signature, replay
 * record, audit, vault, scrubbing or rate limit: whatever Gatehouse measures below this, its
 * own work costs; whatever this measures below nginx, the stack does.
 *
 * <p>{@link VertxBareProxy} and {@link JettyBareProxy} do the same on other stacks, with the same
 * options and the same limits ({@link #MAX_BODY}, {@link #IDLE}, {@link #CONNECT_TIMEOUT},
 * {@link #READ_TIMEOUT}, no redirects), so the three differ only in the stack.
 *
 * <pre>
 * BareProxy --port 18084 --upstream http://127.0.0.1:18081/data.json --header X-Api-Key --value-file F
 * </pre>
 */
public final class BareProxy {
  /** The largest request body accepted (the daemon's limit); a larger one is answered 413. */
  static final int MAX_BODY = 1 << 20;
  /** How long an idle client connection is kept open. */
  static final Duration IDLE = Duration.ofMinutes(2);
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** The longest wait for the upstream's next bytes. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private BareProxy() {}

  /** What every bare proxy is told: where to listen, where to forward, the header to inject. */
  record Options(int port, URI upstream, String header, String value) {
    static Options parse(String[] args) throws IOException {
      int port = 0;
      URI upstream = null;
      String header = "X-Api-Key";
      String value = null;
      for (int i = 0; i < args.length; i += 2) {
        String v = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--port" -> port = Integer.parseInt(v);
          case "--upstream" -> upstream = URI.create(v);
          case "--header" -> header = v;
          case "--value-file" -> value = Files.readString(Path.of(v)).strip();
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      if (upstream == null || value == null) {
        throw new IllegalArgumentException("--upstream URL and --value-file FILE are required");
      }
      return new Options(port, upstream, header, value);
    }

    /** The upstream's port, with the scheme's default when the URL names none. */
    int upstreamPort() {
      return upstream.getPort() != -1 ? upstream.getPort() : "https".equals(upstream.getScheme()) ? 443 : 80;
    }
  }

  /** A bare proxy that is listening; {@link #close()} stops it. */
  interface Running extends AutoCloseable {
    int port();

    @Override
    void close();
  }

  public static void main(String[] args) throws IOException {
    Options o = Options.parse(args);
    Running r = start(o);
    System.out.println("bare proxy (helidon) on 127.0.0.1:" + r.port() + " -> " + o.upstream());
  }

  static Running start(Options o) {
    URI target = o.upstream();
    var injected = HeaderValues.create(o.header(), o.value());
    WebClient client = WebClient.builder().followRedirects(false).maxRedirects(0)
        .connectTimeout(CONNECT_TIMEOUT).build();
    WebServer server = WebServer.builder()
        .address(InetAddress.getLoopbackAddress())
        .port(o.port())
        .maxPayloadSize(MAX_BODY)
        .idleConnectionTimeout(IDLE)
        .shutdownHook(true)
        .routing(r -> r.post("/*", (req, res) -> {
          try (InputStream in = req.content().inputStream()) {
            in.readAllBytes();
          }
          try (HttpClientResponse up = client.method(Method.GET).uri(target).followRedirects(false)
              .readTimeout(READ_TIMEOUT).header(HeaderValues.create("Accept-Encoding", "identity"))
              .header(injected).request()) {
            byte[] body;
            try (InputStream in = up.inputStream()) {
              body = in.readAllBytes();
            }
            res.status(up.status().code());
            up.headers().first(io.helidon.http.HeaderNames.CONTENT_TYPE).ifPresent(t -> res.header("Content-Type", t));
            res.send(body);
          } catch (UncheckedIOException e) {
            res.status(502).send();
          }
        }))
        .build()
        .start();
    return new Running() {
      @Override
      public int port() {
        return server.port();
      }

      @Override
      public void close() {
        server.stop();
      }
    };
  }
}
