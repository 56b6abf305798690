package dev.gatehouse.broker;

import dev.gatehouse.guard.EgressDeniedException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Sends one request to a service. Guarantees: the connection goes only to an address the
 * egress guard allowed for that service (resolved once, for that connection); redirects are
 * never followed (the broker decides); at most {@code maxResponseBytes} + 1 bytes of body are
 * read, and {@code truncated} says when there were more.
 */
public interface Upstream {
  record Request(Service service, String method, URI uri, Map<String, String> headers, byte[] body, Duration timeout,
      int maxResponseBytes) {
    @Override
    public String toString() {
      return "Request[" + method + " " + service.name() + ", headers and query hidden]";
    }
  }

  record Response(int status, Map<String, List<String>> headers, byte[] body, boolean truncated) {}

  /** @throws java.net.http.HttpTimeoutException or another IOException when the upstream fails */
  Response send(Request request) throws IOException, EgressDeniedException;
}
