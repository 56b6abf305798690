package dev.gatehouse.vault;

/**
 * A token that must be passed to read a secret's raw bytes. It checks nothing: it makes every
 * place that handles raw secret material findable with one search for {@code SecretAccess}.
 * Only code that hands a secret to the upstream it belongs to (or to the TOTP check) may
 * take one.
 */
public final class SecretAccess {
  private static final SecretAccess TOKEN = new SecretAccess();

  private SecretAccess() {}

  public static SecretAccess get() {
    return TOKEN;
  }
}
