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
import java.time.Duration;

/**
 * A reference for {@code bench/broker.sh}: the HTTP stack Gatehouse is built on and nothing
 * else. Helidon's WebServer, configured as the daemon's, answers any POST by reading its body
 * and forwarding a GET to the upstream through Helidon's WebClient, configured as the broker's,
 * with one injected header, then returns the upstream's status and body. No signature, replay
 * record, audit, vault, scrubbing or rate limit: whatever Gatehouse measures below this, its
 * own work costs; whatever this measures below nginx, the stack does.
 *
 * <pre>
 * BareProxy --port 18084 --upstream http://127.0.0.1:18081/data.json --header X-Api-Key --value-file F
 * </pre>
 */
public final class BareProxy {
  private BareProxy() {}

  public static void main(String[] args) throws IOException {
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
        case "--value-file" -> value = java.nio.file.Files.readString(java.nio.file.Path.of(v)).strip();
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (upstream == null || value == null) {
      throw new IllegalArgumentException("--upstream URL and --value-file FILE are required");
    }
    URI target = upstream;
    var injected = HeaderValues.create(header, value);
    WebClient client = WebClient.builder().followRedirects(false).maxRedirects(0)
        .connectTimeout(Duration.ofSeconds(5)).build();
    WebServer server = WebServer.builder()
        .address(InetAddress.getLoopbackAddress())
        .port(port)
        .maxPayloadSize(1 << 20)
        .idleConnectionTimeout(Duration.ofMinutes(2))
        .shutdownHook(true)
        .routing(r -> r.post("/*", (req, res) -> {
          try (InputStream in = req.content().inputStream()) {
            in.readAllBytes();
          }
          try (HttpClientResponse up = client.method(Method.GET).uri(target).followRedirects(false)
              .readTimeout(Duration.ofSeconds(30)).header(HeaderValues.create("Accept-Encoding", "identity"))
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
    System.out.println("bare proxy on 127.0.0.1:" + server.port() + " -> " + target);
  }
}
