package dev.gatehouse.error;

/**
 * The failures Gatehouse reports to a person or a client. Each subtype has one meaning, and
 * the faces map them to an exit code or an HTTP status in exactly one place each.
 *
 * <p>Messages are written for the user and never contain a secret, a code or a key: they
 * are printed as they are.
 */
public abstract sealed class GatehouseException extends RuntimeException
    permits BadInputException, NotConfiguredException, RefusedException {

  protected GatehouseException(String message) {
    super(message, null, false, false);
  }

  protected GatehouseException(String message, Throwable cause) {
    // The cause is kept for debugging in-process only; faces print getMessage() alone.
    super(message, cause, false, false);
  }
}
