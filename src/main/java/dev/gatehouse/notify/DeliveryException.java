package dev.gatehouse.notify;

/**
 * A notification was not delivered. The message is what the audit records: it never holds a
 * secret, a bot token or a webhook's path, and there is never a cause (its message might).
 * {@code retryable} is false when trying again cannot help (a token refused, a vault entry
 * missing, an IP address the egress guard refuses).
 */
public final class DeliveryException extends Exception {
  private final boolean retryable;

  public DeliveryException(String message, boolean retryable) {
    super(message, null, false, false);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
