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

  /**
   * Several {@code Set-Cookie} values in the one value an answer's single-valued header map
   * holds: joined by a line feed, which no header value may contain, so the daemon splits them
   * back into separate headers ({@link #split}) without ambiguity.
   */
  public static String join(java.util.List<String> setCookies) {
    for (String c : setCookies) {
      if (c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("a Set-Cookie value holds a line break");
      }
    }
    return String.join("\n", setCookies);
  }

  /** The separate {@code Set-Cookie} values of {@link #join}. */
  public static String[] split(String joined) {
    return joined.split("\n");
  }

  /** The value of cookie {@code name} in a {@code Cookie} request header, if it is there (first wins). */
  public static java.util.Optional<String> read(String cookieHeader, String name) {
    if (cookieHeader == null) {
      return java.util.Optional.empty();
    }
    for (String part : cookieHeader.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).strip().equals(name)) {
        String v = part.substring(eq + 1).strip();
        return v.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(v);
      }
    }
    return java.util.Optional.empty();
  }

  /** A {@code Set-Cookie} value that removes {@code name}. */
  public static String clear(String name, boolean secure) {
    return set(name, "", Duration.ZERO, secure);
  }
}
