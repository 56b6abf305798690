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
 * read, and {@code truncated} says when there were more; a request is sent a second time only
 * as {@link Retries} describes, and counted there.
 */
public interface Upstream {
  record Request(Service service, String method, URI uri, Map<String, String> headers, byte[] body, Duration timeout,
      int maxResponseBytes, Retries retries) {
    /** A request that counts its retries apart from any other. */
    public Request(Service service, String method, URI uri, Map<String, String> headers, byte[] body,
        Duration timeout, int maxResponseBytes) {
      this(service, method, uri, headers, body, timeout, maxResponseBytes, new Retries());
    }

    @Override
    public String toString() {
      return "Request[" + method + " " + service.name() + ", headers and query hidden]";
    }
  }

  /**
   * How often the client sent a call's requests a second time: each after a kept-alive
   * connection turned out closed by the service before any byte of an answer, on a fresh
   * connection, and only when that is safe (the request was not sent whole, or its method is
   * idempotent). Shared by the requests of one call (redirects, session retries), for its audit.
   */
  final class Retries {
    private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();

    public void add() {
      count.incrementAndGet();
    }

    public int count() {
      return count.get();
    }

    @Override
    public String toString() {
      return "Retries[" + count() + "]";
    }
  }

  record Response(int status, Map<String, List<String>> headers, byte[] body, boolean truncated) {}

  /** @throws java.net.http.HttpTimeoutException or another IOException when the upstream fails */
  Response send(Request request) throws IOException, EgressDeniedException;
}
