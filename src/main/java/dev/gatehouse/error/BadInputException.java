package dev.gatehouse.error;

/** Malformed input or bad usage: nothing was changed. Exit code 2. */
public non-sealed class BadInputException extends GatehouseException {
  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
