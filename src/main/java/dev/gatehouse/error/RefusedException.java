package dev.gatehouse.error;

/**
 * The request was refused: a check said no, or Gatehouse could not make the state that
 * guards the decision durable and so fails closed. Exit code 1.
 */
public final class RefusedException extends GatehouseException {
  public RefusedException(String message) {
    super(message);
  }

  public RefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
