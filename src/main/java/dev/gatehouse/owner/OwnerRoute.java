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

  public OwnerRoute {
    Objects.requireNonNull(method);
    Objects.requireNonNull(path);
    Objects.requireNonNull(role, "every owner route declares its role");
    Objects.requireNonNull(handler);
  }
}
