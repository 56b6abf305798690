package dev.gatehouse.notify;

import java.io.IOException;

/**
 * Sends plain text to a chat: the seam the Telegram bridge fills for the {@code telegram} sink
 * ({@code TelegramBridge.notificationSender}), so this package needs nothing of the chat gate.
 */
public interface ChatSender extends AutoCloseable {
  /**
   * @throws DeliveryException why the message was not sent (no token or URL in it)
   * @throws InterruptedException if stopping
   */
  void send(long chatId, String text) throws DeliveryException, InterruptedException;

  @Override
  default void close() {}

  /** Makes the sender when the first telegram sink needs it. */
  @FunctionalInterface
  interface Factory {
    ChatSender open() throws IOException;
  }
}
