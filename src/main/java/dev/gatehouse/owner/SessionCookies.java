package dev.gatehouse.owner;

import java.time.Duration;

/**
 * The dashboard's session cookies, written by the login page and read by the owner gate:
 * HttpOnly, SameSite=Strict, Path=/, and Secure when the daemon serves TLS.
 */
public final class SessionCookies {
  /** Holds the access token. */
  public static final String ACCESS = "gh_access";
  /** Holds the refresh token; the gate rotates it when the access token has expired. */
  public static final String REFRESH = "gh_refresh";
  /** The form field (or {@code X-CSRF-Token} header) every state-changing page request carries. */
  public static final String CSRF_FIELD = "csrf";
  public static final String CSRF_HEADER = "x-csrf-token";

  private SessionCookies() {}

  /** A {@code Set-Cookie} value for {@code name}={@code value} living {@code maxAge}. */
  public static String set(String name, String value, Duration maxAge, boolean secure) {
    return name + "=" + value + "; Path=/; Max-Age=" + maxAge.toSeconds() + "; HttpOnly; SameSite=Strict"
        + (secure ? "; Secure" : "");
  }

  /** A {@code Set-Cookie} value that removes {@code name}. */
  public static String clear(String name, boolean secure) {
    return set(name, "", Duration.ZERO, secure);
  }
}
