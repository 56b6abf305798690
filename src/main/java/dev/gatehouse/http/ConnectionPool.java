package dev.gatehouse.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.webclient.api.ClientConnection;
import io.helidon.webclient.api.ConnectionKey;
import io.helidon.webclient.api.TcpClientConnection;
import io.helidon.webclient.api.WebClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * Idle keep-alive connections of one service's client, by origin (scheme, host, port and how
 * the host is resolved). Guarantees: a connection is offered for reuse only after an exchange
 * whose answer was read whole and lets the connection persist (RFC 9112 §9.3: HTTP/1.1 unless
 * it says {@code Connection: close}; HTTP/1.0 only with {@code Connection: keep-alive}); the
 * most recently used is reused first; at most {@link #MAX_IDLE} wait per origin.
 */
final class ConnectionPool {
  static final int MAX_IDLE = 64;
  private static final List<String> ALPN_HTTP1 = List.of("http/1.1");
  private static final byte[] HTTP_1_1 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HTTP_1_0 = "HTTP/1.0 ".getBytes(StandardCharsets.US_ASCII);

  private final Map<ConnectionKey, LinkedBlockingDeque<Pooled>> idle = new ConcurrentHashMap<>();

  /** An idle connection to {@code key}'s origin that still looks open, or null. */
  Pooled take(ConnectionKey key) {
    LinkedBlockingDeque<Pooled> q = idle.get(key);
    if (q == null) {
      return null;
    }
    Pooled p;
    while ((p = q.pollFirst()) != null) {
      if (p.tcp.isConnected()) {
        return p;
      }
      p.closeResource(); // the server closed it while it waited, and the idle watch saw it
    }
    return null;
  }

  /** A new connection: the resolver of {@code key} (the egress guard) chooses and checks the address. */
  Pooled open(WebClient web, ConnectionKey key) {
    TcpClientConnection tcp = TcpClientConnection.create(web, key, ALPN_HTTP1, c -> false, c -> {});
    tcp.connect();
    return new Pooled(this, key, tcp);
  }

  /** Closes every idle connection (a reload changed what the service may connect to). */
  void closeIdle() {
    idle.values().forEach(q -> {
      Pooled p;
      while ((p = q.pollFirst()) != null) {
        p.closeResource();
      }
    });
  }

  private void offer(Pooled p) {
    if (!idle.computeIfAbsent(p.key, k -> new LinkedBlockingDeque<>(MAX_IDLE)).offerFirst(p)) {
      p.closeResource();
    }
  }

  /**
   * One connection, used by one exchange at a time. It watches the bytes of each exchange: how
   * many of the answer arrived, the answer's HTTP version, and whether the request was handed to
   * the socket whole.
   */
  static final class Pooled implements ClientConnection {
    private final ConnectionPool pool;
    private final ConnectionKey key;
    private final TcpClientConnection tcp;
    private final DataReader reader;
    private final DataWriter writer;
    // this exchange (one thread at a time; the pool's deque publishes them between exchanges)
    private long received;
    private final byte[] head = new byte[HTTP_1_1.length];
    private int headLength;
    private boolean leftover;
    private boolean sent;
    private boolean persists;
    private boolean released;
    private boolean closed;

    private Pooled(ConnectionPool pool, ConnectionKey key, TcpClientConnection tcp) {
      this.pool = pool;
      this.key = key;
      this.tcp = tcp;
      HelidonSocket socket = tcp.helidonSocket();
      this.reader = DataReader.create(() -> received(socket.get()));
      DataWriter out = tcp.writer();
      this.writer = new DataWriter() { // a request is sent once it is flushed (or written at once) whole
        @Override
        public void write(BufferData... buffers) {
          out.write(buffers);
        }

        @Override
        public void write(BufferData buffer) {
          out.write(buffer);
        }

        @Override
        public void writeNow(BufferData... buffers) {
          out.writeNow(buffers);
          sent = true;
        }

        @Override
        public void writeNow(BufferData buffer) {
          out.writeNow(buffer);
          sent = true;
        }

        @Override
        public void flush() {
          out.flush();
          sent = true;
        }
      };
    }

    private byte[] received(byte[] bytes) {
      if (bytes != null) {
        received += bytes.length;
        int n = Math.min(bytes.length, head.length - headLength);
        System.arraycopy(bytes, 0, head, headLength, n);
        headLength += n;
      }
      return bytes;
    }

    void beginExchange() {
      received = 0;
      headLength = 0;
      leftover = reader.available() > 0; // bytes the last answer did not account for: not a clean start
      sent = false;
      persists = false;
      released = false;
    }

    /** The answer was read whole; its version and Connection options decide whether the connection persists. */
    void answerLetsItPersist(Set<String> connectionOptions) {
      boolean v11 = !leftover && headLength == head.length && java.util.Arrays.equals(head, HTTP_1_1);
      boolean v10 = !leftover && headLength == head.length && java.util.Arrays.equals(head, HTTP_1_0);
      persists = (v11 && !connectionOptions.contains("close")) || (v10 && connectionOptions.contains("keep-alive")
          && !connectionOptions.contains("close"));
    }

    /** Back to the pool if the exchange ended cleanly and the answer lets the connection persist; else closed. */
    void endExchange() {
      if (released && persists && !closed && tcp.isConnected()) {
        tcp.helidonSocket().idle(); // a watch that notices the server closing it while it waits
        pool.offer(this);
      } else {
        closeResource();
      }
    }

    /**
     * Whether {@code failure} is this connection found closed (end of stream, reset, broken pipe)
     * before any byte of an answer; a timeout or any other failure is not.
     */
    boolean diedUnanswered(Throwable failure) {
      boolean closedOnUs = false;
      for (Throwable c = failure; c != null; c = c.getCause()) {
        if (c instanceof java.net.SocketTimeoutException) {
          return false;
        }
        closedOnUs |= c instanceof java.io.IOException || c instanceof java.io.UncheckedIOException
            || c instanceof DataReader.InsufficientDataAvailableException; // the end of the stream
      }
      return closedOnUs && received == 0 && !leftover;
    }

    /**
     * Whether the whole request was handed to the socket, so the server may have acted on it. A
     * request whose writing failed never reached the server whole, and no server acts on part
     * of a request.
     */
    boolean requestSent() {
      return sent;
    }

    @Override
    public DataReader reader() {
      return reader;
    }

    @Override
    public DataWriter writer() {
      return writer;
    }

    @Override
    public String channelId() {
      return tcp.channelId();
    }

    @Override
    public HelidonSocket helidonSocket() {
      return tcp.helidonSocket();
    }

    @Override
    public void readTimeout(Duration readTimeout) {
      tcp.readTimeout(readTimeout);
    }

    @Override
    public boolean isConnected() {
      return !closed && tcp.isConnected();
    }

    /** Helidon's word that the exchange is complete and the connection reusable as far as HTTP framing goes. */
    @Override
    public void releaseResource() {
      released = true;
    }

    @Override
    public void closeResource() {
      closed = true;
      tcp.closeResource();
    }
  }
}
