package dev.gatehouse.http;

import dev.gatehouse.broker.Upstream;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressDeniedException;
import dev.gatehouse.guard.EgressGuard;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.DnsAddressLookup;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.spi.DnsResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Upstream} over Helidon's WebClient, one client per service. Each new connection asks
 * the {@link EgressGuard} for the address: the name is resolved once, every address it
 * resolves to is checked against the service's declared private ranges, and the socket
 * connects to the address that was checked. Redirects are never followed here.
 */
public final class GuardedUpstream implements Upstream {
  private final EgressGuard guard;
  /** Per service name; a client depends only on the ranges its resolver allows. */
  private final Map<String, Client> clients = new ConcurrentHashMap<>();

  private record Client(List<Cidr> allowPrivate, WebClient web) {}

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

  @Override
  public Response send(Request r) throws IOException, EgressDeniedException {
    List<Cidr> allowPrivate = r.service().allowPrivate();
    Client cached = clients.get(r.service().name());
    if (cached == null || !cached.allowPrivate().equals(allowPrivate)) { // new, or its ranges changed on a reload
      cached = clients.compute(r.service().name(), (name, old) -> old != null && old.allowPrivate().equals(allowPrivate)
          ? old : new Client(allowPrivate, client(allowPrivate)));
    }
    WebClient client = cached.web();
    // Helidon decodes the URI and encodes it again (and with skipUriEncoding would send the
    // decoded text as is): so the broker only ever builds paths whose decoded form is exactly
    // what the upstream must see (PathRules refuses '/', '%', '?', '#' inside a parameter).
    var request = client.method(Method.create(r.method())).uri(r.uri()).followRedirects(false)
        .readTimeout(r.timeout()).header(HeaderValues.create("Accept-Encoding", "identity"));
    r.headers().forEach((k, v) -> request.header(HeaderValues.create(k, v)));
    try (HttpClientResponse response = r.body().length == 0 && r.method().equals("GET") ? request.request()
        : request.submit(r.body())) {
      Map<String, List<String>> headers = new LinkedHashMap<>();
      response.headers().forEach(h -> headers.computeIfAbsent(h.name(), k -> new ArrayList<>()).addAll(h.allValues()));
      String encoding = response.headers().first(io.helidon.http.HeaderNames.CONTENT_ENCODING).orElse("identity");
      if (!encoding.equalsIgnoreCase("identity")) {
        throw new IOException("the service answered with Content-Encoding " + encoding + ", which cannot be scrubbed");
      }
      byte[] body = Bodies.read(response.inputStream(), response.headers().contentLength().orElse(-1),
          r.maxResponseBytes());
      boolean truncated = body.length > r.maxResponseBytes();
      return new Response(response.status().code(), headers,
          truncated ? java.util.Arrays.copyOf(body, r.maxResponseBytes()) : body, truncated);
    } catch (Denied d) {
      throw d.cause;
    } catch (UncheckedIOException e) {
      Throwable c = e;
      while (c != null) {
        if (c instanceof Denied d) {
          throw d.cause;
        }
        if (c instanceof java.net.SocketTimeoutException t) {
          throw t;
        }
        c = c.getCause();
      }
      throw e.getCause();
    } catch (RuntimeException e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof Denied d) {
          throw d.cause;
        }
        if (c instanceof java.net.SocketTimeoutException t) {
          throw t;
        }
      }
      throw new IOException("the request to the service failed", e);
    }
  }

  private WebClient client(List<Cidr> allowPrivate) {
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
    return WebClient.builder().dnsResolver(resolver).followRedirects(false).maxRedirects(0)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }
}
