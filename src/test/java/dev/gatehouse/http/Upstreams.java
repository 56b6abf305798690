package dev.gatehouse.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A real HTTP server on loopback that records every request it receives and answers per path. */
final class Upstreams implements AutoCloseable {
  /** One received request, exactly as it arrived. */
  record Received(String method, String rawPath, String rawQuery, Map<String, String> headers, String body) {}

  record Reply(int status, Map<String, String> headers, String body) {
    static Reply json(String body) {
      return new Reply(200, Map.of("Content-Type", "application/json"), body);
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  Upstreams(Function<Received, Reply> answer) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> handle(exchange, answer));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  private void handle(HttpExchange ex, Function<Received, Reply> answer) throws IOException {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    ex.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(", ", v)));
    Received r = new Received(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(),
        headers, new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    received.add(r);
    Reply reply = answer.apply(r);
    reply.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
