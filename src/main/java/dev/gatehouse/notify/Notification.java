package dev.gatehouse.notify;

import java.time.Instant;
import java.util.Map;

/**
 * One message to the owner (DESIGN §10): {@code event} is {@code approval.pending},
 * {@code action.reported}, {@code trust.changed}, {@code totp.locked} or
 * {@code pairing.requested}; {@code fields} say what happened. Nothing secret is ever put
 * in one: no credential, code, key or message text.
 */
public record Notification(String event, Instant time, String summary, Map<String, String> fields) {
  public Notification {
    fields = Map.copyOf(fields);
  }
}
