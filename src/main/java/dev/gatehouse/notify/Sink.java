package dev.gatehouse.notify;

/** One place notifications go: a webhook, a command, a Telegram chat. */
interface Sink extends AutoCloseable {
  /**
   * How the audit names it: its kind and a name free of secrets ({@code webhook
   * https://host:443}, never the path, which is often the webhook's credential; {@code command
   * /usr/local/bin/notify}, never the other arguments; {@code telegram chat 42}).
   */
  String name();

  /**
   * Delivers one notification once; {@code json} is {@link Notification#json}.
   *
   * @throws DeliveryException why it was not delivered
   * @throws InterruptedException if the service is stopping (whatever the sink started is ended)
   */
  void deliver(Notification n, byte[] json) throws DeliveryException, InterruptedException;

  @Override
  default void close() {}
}
