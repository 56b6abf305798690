package dev.gatehouse.guard;

/**
 * An outbound destination was refused. The message names the host and the reason, involves
 * no secret and is meant to be shown to the service owner as it is.
 */
public final class EgressDeniedException extends Exception {
  public EgressDeniedException(String message) {
    super(message, null, false, false);
  }
}
