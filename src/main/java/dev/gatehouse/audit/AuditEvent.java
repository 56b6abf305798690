package dev.gatehouse.audit;

import java.util.Map;
import java.util.TreeMap;

/**
 * One decision, as the capability that made it describes it. Values must already be free of
 * secrets and codes: an event says "a code was refused", never which code.
 *
 * @param type what kind of decision, dotted: {@code totp.verify}, {@code totp.setup}, ...
 * @param actor who asked (an OS user, an agent key id, a chat sender)
 * @param target what it was about
 * @param outcome the decision: {@code accepted}, {@code rejected}, {@code locked}, ...
 * @param details more, as names and values
 */
public record AuditEvent(String type, String actor, String target, String outcome, Map<String, String> details) {
  public AuditEvent {
    details = Map.copyOf(new TreeMap<>(details));
  }
}
