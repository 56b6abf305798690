package dev.gatehouse.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * {@link BareProxy} on Jetty 12: Jetty's core {@code Server} (no servlets) with a non-blocking
 * handler that reads the body asynchronously and forwards a GET with the one injected header
 * through Jetty's own {@code HttpClient} (keep-alive, up to 64 connections to the upstream, its
 * default). Same options and limits as {@code BareProxy}; default thread pools (the handler may
 * run on a selector thread, since it never blocks) and default JVM flags.
 *
 * <pre>
 * JettyBareProxy --port 18086 --upstream http://127.0.0.1:18081/data.json --header X-Api-Key --value-file F
 * </pre>
 */
public final class JettyBareProxy {
  private JettyBareProxy() {}

  public static void main(String[] args) throws Exception {
    BareProxy.Options o = BareProxy.Options.parse(args);
    BareProxy.Running r = start(o);
    Runtime.getRuntime().addShutdownHook(new Thread(r::close));
    System.out.println("bare proxy (jetty) on 127.0.0.1:" + r.port() + " -> " + o.upstream());
  }

  /**
   * Reads and discards the body without blocking, then runs {@code then}; past
   * {@link BareProxy#MAX_BODY} bytes, or on a read failure, refuses with 413 or 400 instead.
   */
  private static void drain(Request req, long[] read, IntConsumer refuse, Runnable then) {
    while (true) {
      Content.Chunk chunk = req.read();
      if (chunk == null) {
        req.demand(() -> drain(req, read, refuse, then));
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        refuse.accept(400);
        return;
      }
      read[0] += chunk.remaining();
      boolean last = chunk.isLast();
      chunk.release();
      if (read[0] > BareProxy.MAX_BODY) {
        refuse.accept(413);
        return;
      }
      if (last) {
        then.run();
        return;
      }
    }
  }

  static BareProxy.Running start(BareProxy.Options o) throws Exception {
    HttpClient client = new HttpClient();
    client.setFollowRedirects(false);
    client.setConnectTimeout(BareProxy.CONNECT_TIMEOUT.toMillis());
    client.setMaxConnectionsPerDestination(64);
    client.getContentDecoderFactories().clear(); // no Accept-Encoding of its own: identity, as the others
    client.start();
    String host = o.upstream().getHost();
    int upstreamPort = o.upstreamPort();
    String path = o.upstream().getRawPath() + (o.upstream().getRawQuery() == null ? "" : "?" + o.upstream().getRawQuery());

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(o.port());
    connector.setIdleTimeout(BareProxy.IDLE.toMillis());
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request req, Response res, Callback callback) {
        if (!HttpMethod.POST.is(req.getMethod())) {
          Response.writeError(req, res, callback, 405);
          return true;
        }
        if (req.getLength() > BareProxy.MAX_BODY) {
          Response.writeError(req, res, callback, 413);
          return true;
        }
        drain(req, new long[1], status -> Response.writeError(req, res, callback, status), () -> {
          client.newRequest(host, upstreamPort).path(path).method(HttpMethod.GET).followRedirects(false)
              .idleTimeout(BareProxy.READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .headers(h -> h.put(HttpHeader.ACCEPT_ENCODING, "identity").put(o.header(), o.value()))
              .send(new BufferingResponseListener(16 << 20) {
                @Override
                public void onComplete(Result result) {
                  if (result.isFailed()) {
                    Response.writeError(req, res, callback, 502);
                    return;
                  }
                  byte[] answer = getContent();
                  res.setStatus(result.getResponse().getStatus());
                  String type = result.getResponse().getHeaders().get(HttpHeader.CONTENT_TYPE);
                  if (type != null) {
                    res.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
                  }
                  res.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
                  res.write(true, ByteBuffer.wrap(answer), callback);
                }
              });
        });
        return true;
      }
    });
    server.start();
    return new BareProxy.Running() {
      @Override
      public int port() {
        return connector.getLocalPort();
      }

      @Override
      public void close() {
        try {
          server.stop();
          client.stop();
        } catch (Exception e) {
          // stopping a benchmark reference: nothing to recover
        }
      }
    };
  }
}
