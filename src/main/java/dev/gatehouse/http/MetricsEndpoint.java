package dev.gatehouse.http;

import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * {@code GET /metrics} (docs/metrics.md): the scrape, to a loopback peer as it is, to any other
 * peer only through {@code ownerGate} (an owner-plane bearer token of the route's role); with
 * no owner plane, a peer beyond loopback is refused. The peer is the connection's address,
 * never a header: nothing a client sends makes it local.
 */
final class MetricsEndpoint {
  static final String PATH = "/metrics";
  /** The least owner role that may scrape from beyond loopback. */
  static final dev.gatehouse.owner.Role ROLE = dev.gatehouse.owner.Role.VIEWER;
  /** 127.0.0.0/8 as the server reports a peer: a dotted quad. */
  private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");

  private MetricsEndpoint() {}

  /**
   * The route's handler.
   *
   * @param ownerGate answers a call from beyond loopback once the owner gate has let it through to
   *     the scrape; null: no owner plane, so such a call is refused
   */
  static Function<Broker.Call, Broker.Answer> handler(Supplier<String> scrape,
      Function<Broker.Call, Broker.Answer> ownerGate) {
    return call -> {
      if (loopback(call.remote())) {
        return scrape(scrape);
      }
      if (ownerGate == null) {
        return Broker.answer(new Problem(Problem.Kind.NOT_FOUND, null), -1); // as if absent: no owner can be asked
      }
      return ownerGate.apply(call);
    };
  }

  /** The scrape as an answer. */
  static Broker.Answer scrape(Supplier<String> scrape) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", dev.gatehouse.metrics.MicrometerMetrics.CONTENT_TYPE);
    headers.put("Cache-Control", "no-store");
    return new Broker.Answer(200, headers, scrape.get().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Whether {@code remote}, the peer's address as the server reports it, is a loopback
   * address: 127.0.0.0/8 or ::1 (also as an IPv4-mapped address). Anything else, a host name
   * included, is not.
   */
  static boolean loopback(String remote) {
    if (remote == null) {
      return false;
    }
    String r = remote.startsWith("[") && remote.endsWith("]") ? remote.substring(1, remote.length() - 1) : remote;
    int zone = r.indexOf('%');
    if (zone >= 0) {
      r = r.substring(0, zone);
    }
    if (r.regionMatches(true, 0, "::ffff:", 0, 7) && r.indexOf('.') > 0) {
      r = r.substring(7);
    }
    if (LOOPBACK_V4.matcher(r).matches()) {
      return true;
    }
    return r.equals("::1") || r.equals("0:0:0:0:0:0:0:1");
  }
}
