package dev.gatehouse.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The demo's stand-in for a media server (a small slice of Sonarr's API) on a loopback port: it
 * answers only requests that carry its API key in {@code X-Api-Key}, and, as Sonarr's
 * {@code /api/v3/config/host} does, echoes that key back in one answer. It records every request
 * it receives, so the demo can show what reached it and what never did.
 */
final class DemoUpstream implements AutoCloseable {
  /** One request as it arrived: its path, and whether it carried the right key. */
  record Received(String rawPath, boolean keyAccepted) {}

  static final String SERIES = "[{\"id\":1,\"title\":\"The Expanse\",\"year\":2015},"
      + "{\"id\":2,\"title\":\"Severance\",\"year\":2022}]";

  private final HttpServer server;
  private final byte[] expectedKey;
  private final boolean echoes;
  private final List<Received> received = new CopyOnWriteArrayList<>();

  private DemoUpstream(HttpServer server, String expectedKey, boolean echoes) {
    this.server = server;
    this.expectedKey = expectedKey.getBytes(StandardCharsets.UTF_8);
    this.echoes = echoes;
  }

  /** Starts on a free loopback port, accepting {@code apiKey} only. */
  static DemoUpstream start(String apiKey) throws IOException {
    return start(apiKey, true);
  }

  /** {@link #start(String)}; with {@code echoes} false, {@code /api/v3/config/host} leaves the key out (for tests). */
  static DemoUpstream start(String apiKey, boolean echoes) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    DemoUpstream u = new DemoUpstream(server, apiKey, echoes);
    server.createContext("/", u::handle);
    server.setExecutor(null); // one thread: the demo's calls come one at a time
    server.start();
    return u;
  }

  int port() {
    return server.getAddress().getPort();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  List<Received> received() {
    return List.copyOf(received);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String given = ex.getRequestHeaders().getFirst("X-Api-Key");
      boolean accepted = given != null
          && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expectedKey);
      received.add(new Received(ex.getRequestURI().getRawPath(), accepted));
      if (!accepted) {
        send(ex, 401, "{\"message\":\"Unauthorized\"}");
        return;
      }
      switch (ex.getRequestURI().getRawPath()) {
        case "/api/v3/series" -> send(ex, 200, SERIES);
        case "/api/v3/config/host" -> send(ex, 200, "{\"bindAddress\":\"*\",\"port\":8989,\"urlBase\":\"\","
            + "\"authenticationMethod\":\"forms\",\"apiKey\":\"" + (echoes ? given : "") + "\"}");
        default -> send(ex, 404, "{\"message\":\"NotFound\"}");
      }
    }
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
