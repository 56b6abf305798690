package dev.gatehouse.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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
 * <p>With {@code --threading virtual} the same proxy runs as Gatehouse's handlers would have to
 * on this stack, since the broker blocks (it waits for the durable audit record): in virtual-thread
 * verticles (one per event loop), each request on a virtual thread that awaits the body, the
 * upstream's answer and its body in turn.
 *
 * <pre>
 * VertxBareProxy --port 18085 --upstream http://127.0.0.1:18081/data.json --header X-Api-Key --value-file F
 *   [--threading event-loop|virtual]
 * </pre>
 */
public final class VertxBareProxy {
  private VertxBareProxy() {}

  public static void main(String[] args) throws IOException {
    List<String> rest = new ArrayList<>(List.of(args));
    boolean virtual = false;
    int at = rest.indexOf("--threading");
    if (at >= 0 && at + 1 < rest.size()) {
      virtual = switch (rest.get(at + 1)) {
        case "virtual" -> true;
        case "event-loop" -> false;
        default -> throw new IllegalArgumentException("--threading takes event-loop or virtual");
      };
      rest.subList(at, at + 2).clear();
    }
    BareProxy.Options o = BareProxy.Options.parse(rest.toArray(String[]::new));
    BareProxy.Running r = virtual ? startVirtual(o) : start(o);
    Runtime.getRuntime().addShutdownHook(new Thread(r::close));
    System.out.println("bare proxy (vertx, " + (virtual ? "virtual threads" : "event loop") + ") on 127.0.0.1:"
        + r.port() + " -> " + o.upstream());
  }

  private static HttpClientAgent client(Vertx vertx) {
    return vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setMaxRedirects(0)
            .setConnectTimeout((int) BareProxy.CONNECT_TIMEOUT.toMillis()),
        new PoolOptions().setHttp1MaxSize(64));
  }

  private static HttpServerOptions serverOptions(BareProxy.Options o) {
    return new HttpServerOptions().setHost("127.0.0.1").setPort(o.port())
        .setIdleTimeout((int) BareProxy.IDLE.toSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS);
  }

  private static RequestOptions upstreamRequest(BareProxy.Options o) {
    URI u = o.upstream();
    return new RequestOptions().setMethod(HttpMethod.GET).setHost(u.getHost()).setPort(o.upstreamPort())
        .setURI(u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()))
        .setFollowRedirects(false).setIdleTimeout(BareProxy.READ_TIMEOUT.toMillis())
        .putHeader("Accept-Encoding", "identity").putHeader(o.header(), o.value());
  }

  /**
   * Refuses what the daemon refuses before reading: not a POST (405), a declared body over the
   * limit (413); else counts the body as it arrives and refuses past the limit. False if refused.
   */
  private static boolean admit(HttpServerRequest req) {
    HttpServerResponse res = req.response();
    if (req.method() != HttpMethod.POST) {
      res.setStatusCode(405).end();
      return false;
    }
    if (declaredLength(req) > BareProxy.MAX_BODY) {
      tooLarge(req);
      return false;
    }
    long[] read = {0};
    req.handler(chunk -> {
      read[0] += chunk.length();
      if (read[0] > BareProxy.MAX_BODY && !res.ended()) {
        tooLarge(req);
      }
    });
    return true;
  }

  static BareProxy.Running startVirtual(BareProxy.Options o) {
    Vertx vertx = Vertx.vertx();
    int[] port = {0};
    started(vertx, o, vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        HttpClientAgent client = client(vertx);
        return vertx.createHttpServer(serverOptions(o)).requestHandler(req -> {
          if (!admit(req)) {
            return;
          }
          HttpServerResponse res = req.response();
          try {
            req.end().await();
            if (res.ended()) {
              return;
            }
            HttpClientResponse answer = client.request(upstreamRequest(o)).await().send().await();
            Buffer body = answer.body().await();
            res.setStatusCode(answer.statusCode());
            String type = answer.getHeader("Content-Type");
            if (type != null) {
              res.putHeader("Content-Type", type);
            }
            res.end(body);
          } catch (Exception e) { // await() rethrows a failure as it is, checked or not
            if (!res.ended()) {
              res.setStatusCode(502).end();
            }
          }
        }).listen().onSuccess(s -> port[0] = s.actualPort());
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)
        .setInstances(2 * Runtime.getRuntime().availableProcessors())));
    return running(vertx, port[0]);
  }

  static BareProxy.Running start(BareProxy.Options o) {
    Vertx vertx = Vertx.vertx();
    HttpClientAgent client = client(vertx);
    HttpServer server = vertx.createHttpServer(serverOptions(o));
    server.requestHandler(req -> {
      if (!admit(req)) {
        return;
      }
      HttpServerResponse res = req.response();
      req.endHandler(end -> {
        if (res.ended()) {
          return;
        }
        client.request(upstreamRequest(o))
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
    started(vertx, o, server.listen());
    return running(vertx, server.actualPort());
  }

  /** Waits for {@code listening}; on failure closes {@code vertx} and says why. */
  private static void started(Vertx vertx, BareProxy.Options o, Future<?> listening) {
    try {
      listening.toCompletionStage().toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      vertx.close();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (ExecutionException e) {
      vertx.close();
      throw new IllegalStateException("cannot listen on 127.0.0.1:" + o.port() + ": " + e.getCause().getMessage(), e);
    }
  }

  private static BareProxy.Running running(Vertx vertx, int port) {
    return new BareProxy.Running() {
      @Override
      public int port() {
        return port;
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
