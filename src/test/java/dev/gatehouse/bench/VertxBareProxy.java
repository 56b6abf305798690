package dev.gatehouse.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@link BareProxy} on Vert.x 5 (Netty, event loops, NIO transport): an {@code HttpServer}
 * forwarding each POST as a GET with the one injected header through an {@code HttpClient} with
 * a keep-alive pool of up to 64 connections (nginx proxy's {@code keepalive 64}; Vert.x's
 * default of 5 would queue 32 concurrent calls behind 5 connections). Same options and limits as
 * {@code BareProxy}; nothing blocks, so every step runs on the event loop that accepted the
 * connection. Default event-loop count (2 × cores) and default JVM flags.
 *
 * <pre>
 * VertxBareProxy --port 18085 --upstream http://127.0.0.1:18081/data.json --header X-Api-Key --value-file F
 * </pre>
 */
public final class VertxBareProxy {
  private VertxBareProxy() {}

  public static void main(String[] args) throws IOException {
    BareProxy.Options o = BareProxy.Options.parse(args);
    BareProxy.Running r = start(o);
    Runtime.getRuntime().addShutdownHook(new Thread(r::close));
    System.out.println("bare proxy (vertx) on 127.0.0.1:" + r.port() + " -> " + o.upstream());
  }

  static BareProxy.Running start(BareProxy.Options o) {
    Vertx vertx = Vertx.vertx();
    HttpClientAgent client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setMaxRedirects(0)
            .setConnectTimeout((int) BareProxy.CONNECT_TIMEOUT.toMillis()),
        new PoolOptions().setHttp1MaxSize(64));
    String host = o.upstream().getHost();
    int port = o.upstreamPort();
    String path = o.upstream().getRawPath() + (o.upstream().getRawQuery() == null ? "" : "?" + o.upstream().getRawQuery());
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(o.port())
        .setIdleTimeout((int) BareProxy.IDLE.toSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS));
    server.requestHandler(req -> {
      HttpServerResponse res = req.response();
      if (req.method() != HttpMethod.POST) {
        res.setStatusCode(405).end();
        return;
      }
      if (declaredLength(req) > BareProxy.MAX_BODY) {
        tooLarge(req);
        return;
      }
      long[] read = {0};
      req.handler(chunk -> {
        read[0] += chunk.length();
        if (read[0] > BareProxy.MAX_BODY && !res.ended()) {
          tooLarge(req);
        }
      });
      req.endHandler(end -> {
        if (res.ended()) {
          return;
        }
        client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(path)
                .setFollowRedirects(false).setIdleTimeout(BareProxy.READ_TIMEOUT.toMillis())
                .putHeader("Accept-Encoding", "identity").putHeader(o.header(), o.value()))
            .compose(up -> up.send())
            .compose(answer -> answer.body().map(body -> {
              res.setStatusCode(answer.statusCode());
              String type = answer.getHeader("Content-Type");
              if (type != null) {
                res.putHeader("Content-Type", type);
              }
              return res.end(body);
            }))
            .onFailure(e -> {
              if (!res.ended()) {
                res.setStatusCode(502).end();
              }
            });
      });
    });
    try {
      server.listen().toCompletionStage().toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      vertx.close();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (ExecutionException e) {
      vertx.close();
      throw new IllegalStateException("cannot listen on 127.0.0.1:" + o.port() + ": " + e.getCause().getMessage(), e);
    }
    return new BareProxy.Running() {
      @Override
      public int port() {
        return server.actualPort();
      }

      @Override
      public void close() {
        try {
          vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          // stopping a benchmark reference: nothing to recover
        }
      }
    };
  }

  private static long declaredLength(HttpServerRequest req) {
    String length = req.getHeader("Content-Length");
    try {
      return length == null ? -1 : Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** 413 and the connection closed: the rest of the body is not read. */
  private static void tooLarge(HttpServerRequest req) {
    req.response().setStatusCode(413).putHeader("Connection", "close").end()
        .onComplete(done -> req.connection().close());
  }
}
