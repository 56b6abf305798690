package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gatehouse.broker.Service;
import dev.gatehouse.broker.Upstream;
import dev.gatehouse.broker.UpstreamAuth;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.ScriptedUpstream.Move;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which connections the upstream client reuses, against a scripted server that keeps every
 * connection open whatever its answer says: only an answer that lets the connection persist
 * puts it back in the pool; a pooled connection found closed before any answer byte is
 * replaced by a fresh one once, for an idempotent request; and nothing else is retried.
 */
class GuardedUpstreamConnectionTest {
  ScriptedUpstream server;
  final GuardedUpstream upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));

  @AfterEach
  void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  Upstream.Request request(String method) {
    Service service = new Service("scripted", EgressGuard.parseBaseUrl("http://127.0.0.1:" + server.port()),
        List.of(Cidr.parse("127.0.0.1/32")), new UpstreamAuth.Bearer("unused"), Map.of(), "scripted.yaml");
    return new Upstream.Request(service, method, URI.create("http://127.0.0.1:" + server.port() + "/x"), Map.of(),
        method.equals("GET") ? new byte[0] : "{}".getBytes(), Duration.ofSeconds(10), 4096);
  }

  @ParameterizedTest(name = "{0}: {1} connections for 3 calls")
  @CsvSource({"HTTP_11, 1", "HTTP_11_CONNECTION_CLOSE, 3", "HTTP_10, 3", "HTTP_10_KEEP_ALIVE, 1"})
  void aConnection_isReused_onlyIfTheAnswerLetsItPersist(Move answer, int connections) throws Exception {
    server = new ScriptedUpstream((c, n) -> answer);

    for (int i = 0; i < 3; i++) {
      assertThat(upstream.send(request("GET")).status()).isEqualTo(200);
    }

    assertThat(server.connections.get()).isEqualTo(connections);
    assertThat(server.seen).hasSize(3);
  }

  @Test
  void aPooledConnectionClosedBeforeAnAnswer_isReplacedOnce_forAnIdempotentRequest() throws Exception {
    // Each connection answers its first request and closes, unanswered, at its second.
    server = new ScriptedUpstream((c, n) -> n == 0 ? Move.HTTP_11 : Move.CLOSE_UNANSWERED);
    assertThat(upstream.send(request("GET")).status()).isEqualTo(200);

    Upstream.Request second = request("GET");
    Upstream.Response r = upstream.send(second);

    assertThat(r.status()).isEqualTo(200);
    assertThat(new String(r.body())).isEqualTo("{\"connection\":1,\"request\":0}");
    assertThat(second.retries().count()).isEqualTo(1);
    assertThat(server.seen).extracting(ScriptedUpstream.Seen::connection).containsExactly(0, 0, 1);
  }

  @Test
  void aPostSentOnAPooledConnectionThatCloses_isNotRetried() throws Exception {
    server = new ScriptedUpstream((c, n) -> n == 0 ? Move.HTTP_11 : Move.CLOSE_UNANSWERED);
    assertThat(upstream.send(request("POST")).status()).isEqualTo(200);

    Upstream.Request second = request("POST");
    Throwable e = catchThrowable(() -> upstream.send(second));

    assertThat(e).isInstanceOf(IOException.class);
    assertThat(second.retries().count()).isZero();
    assertThat(server.seen).hasSize(2); // the server received it: sending it again could do it twice
    assertThat(server.connections.get()).isEqualTo(1);
  }

  @Test
  void aFreshConnectionClosedBeforeAnAnswer_isNotRetried() throws Exception {
    server = new ScriptedUpstream((c, n) -> Move.CLOSE_UNANSWERED);

    Upstream.Request only = request("GET");
    Throwable e = catchThrowable(() -> upstream.send(only));

    assertThat(e).isInstanceOf(IOException.class);
    assertThat(only.retries().count()).isZero();
    assertThat(server.connections.get()).isEqualTo(1);
  }
}
