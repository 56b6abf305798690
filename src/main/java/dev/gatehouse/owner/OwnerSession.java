package dev.gatehouse.owner;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * An authenticated owner-plane session, as an access token resolves to it: who, with which
 * role, since when, and when they last proved a TOTP code (at login or through re-auth).
 * {@code csrfToken} is the session's anti-forgery token for the dashboard's forms; it is not
 * an authentication token and is never accepted as one.
 */
public record OwnerSession(String user, Role role, String sessionId, Instant started, Instant reauthAt,
    String csrfToken) {
  /** How long a TOTP code counts as fresh for sensitive operations (DESIGN §11). */
  public static final Duration REAUTH_WINDOW = Duration.ofMinutes(5);

  public OwnerSession {
    Objects.requireNonNull(user);
    Objects.requireNonNull(role);
    Objects.requireNonNull(sessionId);
    Objects.requireNonNull(started);
    Objects.requireNonNull(reauthAt);
    Objects.requireNonNull(csrfToken);
  }

  /** Whether a code was proved within {@link #REAUTH_WINDOW} before {@code now}. */
  public boolean recentlyReauthenticated(Instant now) {
    return !now.isBefore(reauthAt) && now.isBefore(reauthAt.plus(REAUTH_WINDOW));
  }

  /** How the audit log names the person: {@code owner:USER}. */
  public String actor() {
    return "owner:" + user;
  }

  @Override
  public String toString() {
    return "OwnerSession[user=" + user + ", role=" + role.id() + ", session=" + sessionId + ", reauthAt=" + reauthAt
        + "]";
  }
}
