package dev.gatehouse.http;

import dev.gatehouse.broker.Upstream;
import dev.gatehouse.broker.Upstream.Retries;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressDeniedException;
import dev.gatehouse.guard.EgressGuard;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.ConnectionKey;
import io.helidon.webclient.api.DnsAddressLookup;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.spi.DnsResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Upstream} over Helidon's HTTP/1.1 client, one client per service. Each new connection
 * asks the {@link EgressGuard} for the address: the name is resolved once, every address it
 * resolves to is checked against the service's declared private ranges, and the socket
 * connects to the address that was checked. Redirects are never followed here.
 *
 * <p>Keep-alive connections are pooled here ({@link ConnectionPool}), not by Helidon, whose
 * pool returns the connection of an HTTP/1.0 answer (which closes it) for reuse. A connection
 * goes back to the pool only after an answer that lets it persist (HTTP/1.1 without
 * {@code Connection: close}, or HTTP/1.0 with {@code Connection: keep-alive}) was read whole.
 * A pooled connection the server closed meanwhile is found dead when no byte of an answer
 * arrives; the request is then sent once more on a fresh connection, if that is safe: the
 * request was not written, or its method is idempotent (RFC 9110 §9.2.2). The retry is counted
 * in the request's {@link Upstream.Retries}, so the call's audit entry says so.
 */
public final class GuardedUpstream implements Upstream {
  /** RFC 9110 §9.2.2; of the methods an action may use, POST and PATCH are not. */
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");
  private static final Tls NO_TLS = Tls.builder().enabled(false).build();

  private final EgressGuard guard;
  /** Per service name; a client depends only on the ranges its resolver allows. */
  private final Map<String, Client> clients = new ConcurrentHashMap<>();

  private record Client(List<Cidr> allowPrivate, WebClient web, Http1Client http1, ConnectionPool pool) {}

  public GuardedUpstream(EgressGuard guard) {
    this.guard = guard;
  }

  /** Carries a refusal out of the resolver, which may only throw unchecked exceptions. */
  private static final class Denied extends RuntimeException {
    final EgressDeniedException cause;

    Denied(EgressDeniedException cause) {
      super(cause.getMessage(), cause, false, false);
      this.cause = cause;
    }
  }

  /** What one exchange needs of a request, whoever made it. */
  private record Call(String method, java.net.URI uri, Map<String, String> headers, byte[] body, Duration timeout,
      int maxResponseBytes, Retries retries) {}

  @Override
  public Response send(Request r) throws IOException, EgressDeniedException {
    return send(r.service().name(), r.service().allowPrivate(),
        new Call(r.method(), r.uri(), r.headers(), r.body(), r.timeout(), r.maxResponseBytes(), r.retries()));
  }

  /**
   * POSTs an owner notification to a webhook ({@code notify.WebhookClient}): through the same
   * guard, rules and pool as a service call, under a client of its own per origin that no
   * service shares (service names have no space). Only the status matters: at most 4 KiB of
   * the answer is read.
   *
   * @return the answer's HTTP status
   */
  public int post(java.net.URI url, List<Cidr> allowPrivate, Map<String, String> headers, byte[] body,
      Duration timeout) throws IOException, EgressDeniedException {
    return send("notify " + url.getScheme() + "://" + url.getRawAuthority(), List.copyOf(allowPrivate),
        new Call("POST", url, headers, body, timeout, 4096, new Retries())).status();
  }

  private Response send(String clientName, List<Cidr> allowPrivate, Call r) throws IOException, EgressDeniedException {
    Client cached = clients.get(clientName);
    if (cached == null || !cached.allowPrivate().equals(allowPrivate)) { // new, or its ranges changed on a reload
      cached = clients.compute(clientName, (name, old) -> {
        if (old != null && old.allowPrivate().equals(allowPrivate)) {
          return old;
        }
        if (old != null) {
          old.pool().closeIdle(); // connected to addresses checked against the old ranges
        }
        return client(allowPrivate);
      });
    }
    Client client = cached;
    ConnectionKey key = ConnectionKey.create(r.uri().getScheme(), r.uri().getHost(), portOf(r),
        r.uri().getScheme().equalsIgnoreCase("https") ? client.web().prototype().tls() : NO_TLS,
        client.web().prototype().dnsResolver(), client.web().prototype().dnsAddressLookup(), Proxy.noProxy());
    ConnectionPool.Pooled pooled = client.pool().take(key);
    if (pooled != null) {
      try {
        return exchange(client, pooled, r);
      } catch (RuntimeException | IOException e) {
        if (!pooled.diedUnanswered(e) || (pooled.requestSent() && !IDEMPOTENT.contains(r.method()))) {
          throw failure(e);
        }
        r.retries().add(); // the server closed it while it waited: once more, on a fresh connection
      }
    }
    try {
      return exchange(client, client.pool().open(client.web(), key), r);
    } catch (RuntimeException | IOException e) {
      throw failure(e);
    }
  }

  private static int portOf(Call r) {
    int port = r.uri().getPort();
    return port >= 0 ? port : r.uri().getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  /** One request and its answer on {@code connection}, which goes back to the pool only if the answer allows it. */
  private static Response exchange(Client client, ConnectionPool.Pooled connection, Call r) throws IOException {
    connection.beginExchange();
    try {
      // Helidon decodes the URI and encodes it again (and with skipUriEncoding would send the
      // decoded text as is): so the broker only ever builds paths whose decoded form is exactly
      // what the upstream must see (PathRules refuses '/', '%', '?', '#' inside a parameter).
      var request = client.http1().method(Method.create(r.method())).uri(r.uri()).connection(connection)
          .followRedirects(false).readTimeout(r.timeout()).header(HeaderValues.create("Accept-Encoding", "identity"));
      r.headers().forEach((k, v) -> request.header(HeaderValues.create(k, v)));
      try (HttpClientResponse response = r.body().length == 0 && r.method().equals("GET") ? request.request()
          : request.submit(r.body())) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        response.headers().forEach(h -> headers.computeIfAbsent(h.name(), k -> new ArrayList<>()).addAll(h.allValues()));
        String encoding = response.headers().first(HeaderNames.CONTENT_ENCODING).orElse("identity");
        if (!encoding.equalsIgnoreCase("identity")) {
          throw new IOException("the service answered with Content-Encoding " + encoding + ", which cannot be scrubbed");
        }
        byte[] body = Bodies.read(response.inputStream(), response.headers().contentLength().orElse(-1),
            r.maxResponseBytes());
        boolean truncated = body.length > r.maxResponseBytes();
        if (!truncated) {
          connection.answerLetsItPersist(connectionTokens(headers));
        }
        return new Response(response.status().code(), headers,
            truncated ? java.util.Arrays.copyOf(body, r.maxResponseBytes()) : body, truncated);
      }
    } finally {
      connection.endExchange(); // back to the pool if the answer allowed it and was read whole, else closed
    }
  }

  /** The options of the answer's Connection header, lower-case. */
  private static Set<String> connectionTokens(Map<String, List<String>> headers) {
    Set<String> tokens = new java.util.HashSet<>();
    headers.forEach((name, values) -> {
      if (name.equalsIgnoreCase("connection")) {
        for (String v : values) {
          for (String t : v.split(",")) {
            tokens.add(t.strip().toLowerCase(Locale.ROOT));
          }
        }
      }
    });
    return tokens;
  }

  /** What {@link #send} throws for a failed exchange: the egress refusal, the timeout, or an IOException. */
  private static IOException failure(Exception e) throws EgressDeniedException {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof Denied d) {
        throw d.cause;
      }
      if (c instanceof java.net.SocketTimeoutException t) {
        return t;
      }
    }
    if (e instanceof IOException io) {
      return io;
    }
    if (e instanceof UncheckedIOException u) {
      return u.getCause();
    }
    return new IOException("the request to the service failed", e);
  }

  private Client client(List<Cidr> allowPrivate) {
    DnsResolver resolver = new DnsResolver() {
      @Override
      public boolean useDefaultJavaResolver() {
        return false;
      }

      @Override
      public InetAddress resolveAddress(String host, DnsAddressLookup lookup) {
        try {
          return guard.resolve(host, allowPrivate);
        } catch (EgressDeniedException e) {
          throw new Denied(e);
        }
      }
    };
    WebClient web = WebClient.builder().dnsResolver(resolver).followRedirects(false).maxRedirects(0)
        .connectTimeout(Duration.ofSeconds(5)).build();
    return new Client(allowPrivate, web, web.client(Http1Client.PROTOCOL), new ConnectionPool());
  }
}
