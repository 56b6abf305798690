package dev.gatehouse.chat;

import dev.gatehouse.guard.InjectionFlag;
import java.time.Instant;
import java.util.List;

/**
 * The gate's answer to one message (DESIGN §9).
 *
 * @param reply what the adapter sends back to the sender, or null
 * @param text the text to hand to the model; set only for {@link Decision#FORWARD}
 * @param flags injection flags on a forwarded text (recorded, never acted on by the gate)
 * @param deleteMessage whether the adapter should delete the sender's message (a code)
 * @param auditSeq the audit entry of this decision
 * @param pairingCode set for {@link Decision#PAIRING}
 * @param until set for {@link Decision#LOCKED}: when codes are looked at again
 */
public record GateAnswer(Decision decision, String reply, String text, List<InjectionFlag> flags,
    boolean deleteMessage, long auditSeq, String pairingCode, Instant until) {
  public GateAnswer {
    flags = List.copyOf(flags);
  }

  @Override
  public String toString() {
    return "GateAnswer[" + decision.wire() + ", seq " + auditSeq + ", flags " + flags.size() + "]";
  }
}
