package dev.gatehouse.notify;

import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code telegram} sink: the summary, then one {@code name: value} line per field, as plain
 * text (no markup) through the bridge's bot ({@link ChatSender}) to {@code chatId}.
 */
final class TelegramSender implements Sink {
  /** A Telegram message holds at most 4096 characters. */
  static final int MAX_TEXT = 4096;

  private final long chatId;
  private final ChatSender sender;

  TelegramSender(long chatId, ChatSender sender) {
    this.chatId = chatId;
    this.sender = sender;
  }

  @Override
  public String name() {
    return "telegram chat " + chatId;
  }

  @Override
  public void deliver(Notification n, byte[] json) throws DeliveryException, InterruptedException {
    sender.send(chatId, text(n));
  }

  static String text(Notification n) {
    StringBuilder text = new StringBuilder("Gatehouse: ").append(n.summary());
    for (Map.Entry<String, String> f : new TreeMap<>(n.fields()).entrySet()) {
      text.append('\n').append(f.getKey()).append(": ").append(f.getValue());
    }
    text.append('\n').append(n.event()).append(" at ").append(n.time());
    return text.length() <= MAX_TEXT ? text.toString() : text.substring(0, MAX_TEXT - 1) + "…";
  }

  @Override
  public String toString() {
    return "TelegramSender[" + name() + "]";
  }
}
