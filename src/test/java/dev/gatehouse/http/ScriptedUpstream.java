package dev.gatehouse.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP server on loopback whose connection handling is scripted: for the n-th request
 * on the c-th connection it answers in a chosen HTTP version and with or without a Connection
 * header, keeping the connection open after that, or it closes the connection without a byte
 * of answer. It counts connections, so a test sees whether the client reused one.
 */
final class ScriptedUpstream implements AutoCloseable {
  enum Move {
    HTTP_11, HTTP_11_CONNECTION_CLOSE, HTTP_10, HTTP_10_KEEP_ALIVE, CLOSE_UNANSWERED
  }

  /** What to do with request {@code request} (0-based) on connection {@code connection} (0-based). */
  interface Script {
    Move move(int connection, int request);
  }

  /** A request as received: connection index, request index on it, method, path. */
  record Seen(int connection, int request, String method, String path) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();
  private final ServerSocket server;
  private final Script script;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  ScriptedUpstream(Script script) throws IOException {
    this.script = script;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::accept);
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        open.add(s);
        int c = connections.getAndIncrement();
        Thread.ofVirtual().start(() -> serve(s, c));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s, int c) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      for (int n = 0; ; n++) {
        String head = readHead(in);
        if (head == null) {
          return; // the client closed it
        }
        String[] lines = head.split("\r\n");
        String[] first = lines[0].split(" ");
        long length = 0;
        for (String l : lines) {
          if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Long.parseLong(l.substring(15).strip());
          }
        }
        in.readNBytes((int) length);
        seen.add(new Seen(c, n, first[0], first[1]));
        Move move = script.move(c, n);
        if (move == Move.CLOSE_UNANSWERED) {
          return;
        }
        String body = "{\"connection\":" + c + ",\"request\":" + n + "}";
        String status = switch (move) {
          case HTTP_10, HTTP_10_KEEP_ALIVE -> "HTTP/1.0 200 OK\r\n";
          default -> "HTTP/1.1 200 OK\r\n";
        };
        String connection = switch (move) {
          case HTTP_11_CONNECTION_CLOSE -> "Connection: close\r\n";
          case HTTP_10_KEEP_ALIVE -> "Connection: keep-alive\r\n";
          default -> "";
        };
        out.write((status + connection + "Content-Type: application/json\r\nContent-Length: " + body.length()
            + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        out.flush(); // and the connection stays open, whatever the answer said: the client must not rely on that
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  /** The request head up to the blank line, or null at the end of the stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    int ch;
    while ((ch = in.read()) >= 0) {
      b.write(ch);
      state = (ch == '\r' && (state == 0 || state == 2)) ? state + 1 : (ch == '\n' && (state == 1 || state == 3))
          ? state + 1 : 0;
      if (state == 4) {
        return b.toString(StandardCharsets.US_ASCII);
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
