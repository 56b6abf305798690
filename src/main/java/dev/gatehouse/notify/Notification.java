package dev.gatehouse.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One message to the owner (DESIGN §10): {@code event} is {@code approval.pending},
 * {@code action.reported}, {@code trust.changed}, {@code totp.locked} or
 * {@code pairing.requested}; {@code fields} say what happened. Nothing secret is ever put
 * in one: no credential, code, key or message text.
 */
public record Notification(String event, Instant time, String summary, Map<String, String> fields) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public Notification {
    java.util.Objects.requireNonNull(event, "event");
    java.util.Objects.requireNonNull(time, "time");
    java.util.Objects.requireNonNull(summary, "summary");
    fields = Map.copyOf(fields);
  }

  /**
   * What every sink sends (frozen): {@code {"event","time","summary","fields":{...}}}, UTF-8,
   * {@code time} in ISO 8601 UTC, {@code fields} in name order; exactly the record's values,
   * nothing added.
   */
  public byte[] json() {
    ObjectNode n = JSON.createObjectNode();
    n.put("event", event);
    n.put("time", time.toString());
    n.put("summary", summary);
    ObjectNode f = n.putObject("fields");
    new TreeMap<>(fields).forEach(f::put);
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }
}
