package dev.gatehouse.chat;

/**
 * One incoming chat message as an adapter reports it (DESIGN §9).
 *
 * @param sender the platform's user id of the sender (an opaque string)
 * @param text the message text
 * @param senderName a display name, for the owner's lists only; may be null
 * @param invokesAgent false for a bot command that never reaches the model (then only pairing applies)
 */
public record GateMessage(String sender, String text, String senderName, boolean invokesAgent) {
  @Override
  public String toString() {
    return "GateMessage[sender=" + sender + ", " + (text == null ? 0 : text.length()) + " chars]";
  }
}
