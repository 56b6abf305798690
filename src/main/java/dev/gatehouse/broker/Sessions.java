package dev.gatehouse.broker;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.guard.EgressDeniedException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sessions Gatehouse holds with upstreams on the agents' behalf, one per service, in memory
 * only: a login cookie ({@code form-login}) or a session id ({@code session-header}). They
 * are never returned to an agent and are scrubbed from answers like credentials.
 *
 * <ul>
 *   <li>{@code form-login}: log in when there is no session; on a 401 or 403 log in again
 *       once and retry once. Logins for one service are serialized: callers that find a
 *       login happened while they waited use its session instead of logging in again.
 *   <li>{@code session-header}: send the current id; on a 409 take the id the answer
 *       carries, remember it, retry once.
 * </ul>
 */
final class Sessions {
  private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(30);
  private static final int LOGIN_MAX_ANSWER = 64 * 1024;

  /** The service refused Gatehouse's own login. */
  static final class LoginFailed extends IOException {
    LoginFailed(String message) {
      super(message);
    }
  }

  /** Sends the agent's request with the given session (null: none yet). */
  interface Send {
    Upstream.Response send(Map<String, String> sessionHeaders) throws IOException, EgressDeniedException;
  }

  private static final class Slot {
    final ReentrantLock lock = new ReentrantLock();
    volatile String value;
    volatile long generation;
  }

  private final Map<String, Slot> slots = new ConcurrentHashMap<>();
  private final Upstream upstream;
  private final AuditLog audit;

  Sessions(Upstream upstream, AuditLog audit) {
    this.upstream = upstream;
    this.audit = audit;
  }

  /** The session values held for {@code service}, for scrubbing. */
  List<String> values(Service service) {
    Slot slot = slots.get(service.name());
    List<String> out = new ArrayList<>();
    if (slot != null && slot.value != null) {
      out.add(slot.value);
    }
    return out;
  }

  Upstream.Response send(Service service, Map<String, String> secrets, Send send)
      throws IOException, EgressDeniedException {
    return switch (service.auth()) {
      case UpstreamAuth.FormLogin f -> formLogin(service, f, secrets, send);
      case UpstreamAuth.SessionHeader h -> sessionHeader(service, h, send);
      default -> send.send(Map.of());
    };
  }

  private Upstream.Response formLogin(Service service, UpstreamAuth.FormLogin f, Map<String, String> secrets, Send send)
      throws IOException, EgressDeniedException {
    Slot slot = slots.computeIfAbsent(service.name(), k -> new Slot());
    long seen = slot.generation;
    String cookie = slot.value;
    if (cookie == null) {
      cookie = login(service, f, secrets, slot, seen);
      seen = slot.generation;
    }
    Upstream.Response r = send.send(Map.of("Cookie", f.cookie() + "=" + cookie));
    if (r.status() == 401 || r.status() == 403) {
      cookie = login(service, f, secrets, slot, seen);
      r = send.send(Map.of("Cookie", f.cookie() + "=" + cookie));
    }
    return r;
  }

  private String login(Service service, UpstreamAuth.FormLogin f, Map<String, String> secrets, Slot slot, long seen)
      throws IOException, EgressDeniedException {
    slot.lock.lock();
    try {
      if (slot.generation != seen && slot.value != null) {
        return slot.value; // someone logged in while this caller waited
      }
      StringBuilder form = new StringBuilder();
      for (var field : f.form().entrySet()) {
        if (!form.isEmpty()) {
          form.append('&');
        }
        // The broker's one encoder, as for FORM action bodies: UTF-8, all but unreserved
        // characters percent-encoded (a space as %20, which form decoders accept).
        form.append(PathRules.encodeQuery(field.getKey())).append('=')
            .append(PathRules.encodeQuery(secrets.get(field.getValue())));
      }
      String origin = origin(service);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", "application/x-www-form-urlencoded");
      headers.put("Referer", origin + "/");
      headers.put("Origin", origin);
      Upstream.Response r = upstream.send(new Upstream.Request(service, "POST",
          URI.create(origin + service.baseUrl().basePath() + f.loginPath()), headers,
          form.toString().getBytes(StandardCharsets.UTF_8), LOGIN_TIMEOUT, LOGIN_MAX_ANSWER));
      String cookie = cookie(r, f.cookie());
      if (r.status() >= 300 || cookie == null) {
        record(service, "refused", r.status());
        throw new LoginFailed("the service refused Gatehouse's login (status " + r.status()
            + "); check the vault entries its catalog file names");
      }
      slot.value = cookie;
      slot.generation++;
      record(service, "logged-in", r.status());
      return cookie;
    } finally {
      slot.lock.unlock();
    }
  }

  private Upstream.Response sessionHeader(Service service, UpstreamAuth.SessionHeader h, Send send)
      throws IOException, EgressDeniedException {
    Slot slot = slots.computeIfAbsent(service.name(), k -> new Slot());
    String id = slot.value;
    Upstream.Response r = send.send(id == null ? Map.of() : Map.of(h.header(), id));
    if (r.status() == 409) {
      String next = header(r, h.header());
      if (next == null || next.isEmpty() || next.length() > 256) {
        return r;
      }
      slot.value = next;
      r = send.send(Map.of(h.header(), next));
    }
    return r;
  }

  private void record(Service service, String outcome, int status) {
    audit.record(new AuditEvent("broker.login", "gatehouse", service.name(), outcome,
        Map.of("status", Integer.toString(status))));
  }

  private static String origin(Service service) {
    var u = service.baseUrl();
    String host = u.host().contains(":") ? "[" + u.host() + "]" : u.host();
    boolean defaultPort = (u.scheme().equals("http") && u.port() == 80) || (u.scheme().equals("https") && u.port() == 443);
    return u.scheme() + "://" + host + (defaultPort ? "" : ":" + u.port());
  }

  /** The value of cookie {@code name} set by the answer, or null. */
  static String cookie(Upstream.Response r, String name) {
    for (var h : r.headers().entrySet()) {
      if (!h.getKey().equalsIgnoreCase("set-cookie")) {
        continue;
      }
      for (String line : h.getValue()) {
        String first = line.split(";", 2)[0].strip();
        int eq = first.indexOf('=');
        if (eq > 0 && first.substring(0, eq).strip().equals(name)) {
          String v = first.substring(eq + 1).strip();
          return v.isEmpty() ? null : v;
        }
      }
    }
    return null;
  }

  private static String header(Upstream.Response r, String name) {
    for (var h : r.headers().entrySet()) {
      if (h.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT)) && !h.getValue().isEmpty()) {
        return h.getValue().get(0).strip();
      }
    }
    return null;
  }
}
