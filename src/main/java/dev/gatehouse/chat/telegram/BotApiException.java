package dev.gatehouse.chat.telegram;

/**
 * A Bot API call that did not succeed. The message never holds the bot token or a URL, and
 * there is never a cause (a cause's message might hold either).
 */
final class BotApiException extends Exception {
  enum Kind {
    /** 401 (or 404 for the whole bot path): the token is not accepted; retrying cannot help. */
    UNAUTHORIZED,
    /** 429: wait {@link #retryAfterSeconds} before the next call. */
    RETRY_AFTER,
    /** The network, a 5xx, a 409 (another poller), an unreadable answer: worth retrying later. */
    NETWORK,
    /** Any other 4xx: this request is wrong (a deleted chat, a message too old to delete); do not repeat it. */
    REFUSED,
    /** The bridge is stopping. */
    STOPPED
  }

  private final Kind kind;
  private final long retryAfterSeconds;

  BotApiException(Kind kind, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  Kind kind() {
    return kind;
  }

  long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
