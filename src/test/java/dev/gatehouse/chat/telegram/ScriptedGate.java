package dev.gatehouse.chat.telegram;

import dev.gatehouse.chat.Decision;
import dev.gatehouse.chat.Gate;
import dev.gatehouse.chat.GateAnswer;
import dev.gatehouse.chat.GateMessage;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.guard.InjectionFlag;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A small stand-in for the chat gate, with DESIGN §9's shapes: unknown senders get a pairing
 * code, {@code 123456} authenticates and other 6-digit texts are rejected (both to be
 * deleted), {@code boom} and {@code 000 000} cannot be recorded, anything else from a known sender is forwarded
 * (flagged when it says "ignore previous").
 */
final class ScriptedGate implements Gate {
  private final Set<String> known;
  private final List<GateMessage> seen = new ArrayList<>();

  ScriptedGate(String... known) {
    this.known = Set.of(known);
  }

  synchronized List<GateMessage> seen() {
    return List.copyOf(seen);
  }

  @Override
  public synchronized GateAnswer decide(String channel, GateMessage m) {
    seen.add(m);
    long seq = seen.size();
    if (!known.contains(m.sender())) {
      return new GateAnswer(Decision.PAIRING, "Pairing code: ABCD2345", null, List.of(), false, seq, "ABCD2345", null);
    }
    if (!m.invokesAgent()) {
      return new GateAnswer(Decision.FORWARD, null, m.text(), List.of(), false, seq, null, null);
    }
    if (m.text().equals("boom") || m.text().equals("000 000")) {
      throw new RefusedException("cannot record the decision: audit/segment-000001.jsonl is not writable");
    }
    if (m.text().matches("[0-9]{6}")) {
      return m.text().equals("123456")
          ? new GateAnswer(Decision.AUTHENTICATED, "Authenticated.", null, List.of(), true, seq, null, null)
          : new GateAnswer(Decision.REJECTED, "Wrong code; 2 attempts left.", null, List.of(), true, seq, null, null);
    }
    List<InjectionFlag> flags = m.text().contains("ignore previous")
        ? List.of(new InjectionFlag("instruction_override", "ignore previous")) : List.of();
    return new GateAnswer(Decision.FORWARD, null, m.text(), flags, false, seq, null, null);
  }
}
