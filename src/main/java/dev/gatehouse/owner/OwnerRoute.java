package dev.gatehouse.owner;

import dev.gatehouse.broker.Broker;
import java.util.Objects;

/**
 * One route of the owner plane, declaring what it needs: the least {@code role}, whether it
 * is {@code sensitive} (needs a TOTP code within the last 5 minutes, even inside a session),
 * and whether it is a dashboard {@code page} (cookie session and CSRF token; a missing session
 * sends the browser to the login page) or an API route ({@code Authorization: Bearer}). The
 * daemon's one routing table holds these beside the agent routes; nothing reaches
 * {@code handler} before the owner gate has checked all of it.
 */
public record OwnerRoute(String method, String path, Role role, boolean sensitive, boolean page, Handler handler) {
  /** Answers a call made within {@code session}, which the gate has already checked. */
  @FunctionalInterface
  public interface Handler {
    Broker.Answer handle(OwnerSession session, Broker.Call call);
  }

  /**
   * The segment of {@code path} that a {@code {name}} segment of {@code pattern} matches (the
   * daemon routes by the same rule: one segment, no slash), or empty if the path does not
   * match the pattern or the segment is empty.
   */
  public static java.util.Optional<String> param(String pattern, String path, String name) {
    String[] p = pattern.split("/", -1);
    String[] a = path.split("/", -1);
    if (p.length != a.length) {
      return java.util.Optional.empty();
    }
    String found = null;
    for (int i = 0; i < p.length; i++) {
      if (p[i].startsWith("{") && p[i].endsWith("}")) {
        if (a[i].isEmpty()) {
          return java.util.Optional.empty();
        }
        if (p[i].equals("{" + name + "}")) {
          found = a[i];
        }
      } else if (!p[i].equals(a[i])) {
        return java.util.Optional.empty();
      }
    }
    return java.util.Optional.ofNullable(found);
  }

  public OwnerRoute {
    Objects.requireNonNull(method);
    Objects.requireNonNull(path);
    Objects.requireNonNull(role, "every owner route declares its role");
    Objects.requireNonNull(handler);
  }
}
