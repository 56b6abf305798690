package dev.gatehouse.doctor;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.http.ServerTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * {@code --deep}: asks the running daemon rather than its files: does it answer on the
 * configured port, what does {@code GET /v1/health} say, is TLS 1.3 actually offered (with
 * the configured certificate) when server.tls is set, and does it answer beyond loopback
 * when the config says loopback (a daemon started with an older config).
 */
final class DeepChecks {
  static final int TIMEOUT_MILLIS = 3000;

  private DeepChecks() {}

  record Answer(int status, String body) {}

  static List<Finding> daemon(Inspection in) throws Exception {
    var server = in.config().server();
    InetAddress bind = ServerChecks.bind(in);
    InetAddress target = bind.isAnyLocalAddress()
        ? (bind instanceof Inet6Address ? InetAddress.getByName("::1") : InetAddress.getLoopbackAddress()) : bind;
    InetSocketAddress at = new InetSocketAddress(target, server.port());
    String where = target.getHostAddress() + ":" + server.port();
    String pid = pid(in);
    List<Finding> out = new ArrayList<>();
    Optional<Answer> answer;
    if (server.tls().isPresent()) {
      SSLContext trust;
      try {
        trust = ServerTls.trusting(in.home().resolve(server.tls().get().certificate()), "server.tls.certificate");
      } catch (GatehouseException e) {
        throw new NotChecked("server.tls cannot be read (see tls.invalid)", "fix tls.invalid first");
      }
      Socket secure;
      try {
        secure = tls(trust, at);
      } catch (IOException handshake) {
        Optional<Answer> plain = tryPlain(at);
        if (plain.isPresent()) {
          out.add(Finding.critical("deep.tls_not_offered", "server.tls is set, but the daemon at " + where + " answers "
              + "plain HTTP (it was started before server.tls was set, or with another config)",
              "restart the daemon (`gatehouse serve`) so it serves TLS 1.3"));
        } else if (reachable(at)) {
          out.add(Finding.critical("deep.tls_not_offered", "something listens at " + where + " but no TLS 1.3 handshake "
              + "with the certificate of server.tls succeeds (" + handshake.getClass().getSimpleName() + "): the daemon "
              + "serves another certificate, or it is not the daemon", "restart the daemon after renewing the "
              + "certificate; check what listens on port " + server.port()));
        } else {
          out.add(unreachable(where, pid));
        }
        return out;
      }
      answer = answer(secure);
      if (answer.isEmpty()) {
        return List.of(Finding.warn("deep.health_degraded", "the daemon at " + where + " took the TLS handshake but "
            + "gave no answer to GET /v1/health", "check the daemon's log"));
      }
    } else {
      answer = tryPlain(at);
      if (answer.isEmpty()) {
        return List.of(unreachable(where, pid));
      }
    }
    Answer a = answer.get();
    if (a.status() != 200) {
      out.add(Finding.warn("deep.health_degraded", "the daemon at " + where + " says it is not healthy (HTTP "
          + a.status() + "): " + a.body().strip(), "a sealed vault: unseal by restarting `gatehouse serve` with its "
          + "credential; audit not writable: see audit.unwritable; no catalog: see catalog.invalid"));
    } else {
      out.add(Finding.info("deep.daemon", "the daemon answers at " + where + (server.tls().isPresent()
          ? " over TLS 1.3 with the configured certificate" : " over plain HTTP") + (pid == null ? "" : ", " + pid)
          + ": " + a.body().strip(), "nothing to do"));
    }
    if (bind.isLoopbackAddress()) {
      for (InetAddress other : nonLoopbackAddresses()) {
        if (reachable(new InetSocketAddress(other, server.port()))) {
          out.add(Finding.critical("deep.bind_mismatch", "server.bind is " + server.bind() + ", but port "
              + server.port() + " also answers on " + other.getHostAddress() + ": the running daemon listens beyond "
              + "loopback (started with another config?), or another program does", "restart the daemon; check `ss "
              + "-ltnp` for what listens on port " + server.port()));
          break;
        }
      }
    }
    return out;
  }

  private static Finding unreachable(String where, String pid) {
    return Finding.warn("deep.daemon_unreachable", "nothing answers at " + where + (pid == null
        ? " (no serve.pid: the daemon is not running)" : " (" + pid + ")"), "start it: `gatehouse serve`");
  }

  private static String pid(Inspection in) {
    try {
      String text = Files.readString(in.file(Gatehouse.PID_FILE), StandardCharsets.US_ASCII).strip();
      long pid = Long.parseLong(text);
      boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      return "serve.pid names process " + pid + (alive ? ", which runs" : ", which is gone");
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  private static Optional<Answer> tryPlain(InetSocketAddress at) {
    Socket s = new Socket();
    try {
      s.connect(at, TIMEOUT_MILLIS);
    } catch (IOException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing was opened
      }
      return Optional.empty();
    }
    return answer(s);
  }

  private static Optional<Answer> answer(Socket s) {
    try {
      return Optional.of(get(s));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Socket tls(SSLContext context, InetSocketAddress at) throws IOException {
    Socket raw = new Socket();
    raw.connect(at, TIMEOUT_MILLIS);
    try {
      SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw, at.getHostString(), at.getPort(), true);
      s.setEnabledProtocols(ServerTls.PROTOCOLS.toArray(new String[0]));
      s.setSoTimeout(TIMEOUT_MILLIS);
      s.startHandshake();
      return s;
    } catch (IOException | RuntimeException e) {
      raw.close(); // a plain server still waiting for a request line hears the end at once
      throw e;
    }
  }

  /** GET /v1/health over {@code s} (HTTP/1.1, closed after); the status and up to 4 KiB of the body. */
  private static Answer get(Socket s) throws IOException {
    try (s) {
      s.setSoTimeout(TIMEOUT_MILLIS);
      OutputStream o = s.getOutputStream();
      o.write(("GET /v1/health HTTP/1.1\r\nHost: " + s.getInetAddress().getHostAddress() + "\r\nConnection: close\r\n"
          + "\r\n").getBytes(StandardCharsets.US_ASCII));
      o.flush();
      InputStream i = s.getInputStream();
      String head = head(i);
      if (!head.startsWith("HTTP/1.") || head.length() < 12) {
        throw new IOException("not an HTTP answer");
      }
      int status = Integer.parseInt(head.substring(9, 12));
      java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d{1,9})\\s*$")
          .matcher(head);
      byte[] body = length.find() ? i.readNBytes(Math.min(4096, Integer.parseInt(length.group(1)))) : new byte[0];
      return new Answer(status, new String(body, StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP answer");
    }
  }

  /** The status line and headers, up to the blank line (at most 8 KiB). */
  private static String head(InputStream i) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while (b.length() < 8192 && (c = i.read()) >= 0) {
      b.append((char) c);
      if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
        return b.toString();
      }
    }
    throw new IOException("no complete HTTP answer");
  }

  private static boolean reachable(InetSocketAddress at) {
    try (Socket s = new Socket()) {
      s.connect(at, 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static List<InetAddress> nonLoopbackAddresses() throws IOException {
    List<InetAddress> out = new ArrayList<>();
    for (NetworkInterface n : NetworkInterface.networkInterfaces().toList()) {
      if (n.isUp() && !n.isLoopback()) {
        n.inetAddresses().filter(a -> !a.isLinkLocalAddress()).forEach(out::add);
      }
    }
    return out;
  }
}
