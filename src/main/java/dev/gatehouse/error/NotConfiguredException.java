package dev.gatehouse.error;

/** Something the request needs is not set up yet (no home, no TOTP key, ...). Exit code 4. */
public final class NotConfiguredException extends GatehouseException {
  public NotConfiguredException(String message) {
    super(message);
  }
}
