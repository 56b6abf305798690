package dev.gatehouse.owner;

import java.time.Duration;
import java.util.Optional;

/**
 * Owner-plane login and sessions (DESIGN §11): password (Argon2id) plus the user's own TOTP
 * code gives a 15-minute access token and a refresh token that rotates on every use (24 h
 * absolute, 30 min idle); presenting a spent refresh token revokes its whole family.
 *
 * <p>Guarantees: tokens carry at least 128 bits from {@code SecureRandom}, are stored only
 * hashed and compared in constant time; every login makes a new session id; a refusal never
 * says which factor failed; every attempt is audited, never with the password or the code;
 * logins are limited per address (5 a minute) and by the user's TOTP lockout. A password
 * change or the removal of a user ends all of that user's sessions.
 */
public interface OwnerAuth {
  Duration ACCESS_TTL = Duration.ofMinutes(15);
  Duration REFRESH_ABSOLUTE = Duration.ofHours(24);
  Duration REFRESH_IDLE = Duration.ofMinutes(30);

  /** A new token pair for {@code session}. */
  record Tokens(String accessToken, String refreshToken, Duration expiresIn, OwnerSession session) {
    @Override
    public String toString() {
      return "Tokens[" + session + ", expiresIn=" + expiresIn + "]";
    }
  }

  /** The answer to a login. */
  sealed interface LoginResult {
    record Granted(Tokens tokens) implements LoginResult {}

    /** Refused, saying nothing of why; {@code retryAfter} is set when the address is rate limited. */
    record Refused(Duration retryAfter) implements LoginResult {}
  }

  /** Checks {@code user}'s password and code; {@code address} is the client's, for the rate limit and audit. */
  LoginResult login(String user, char[] password, String code, String address);

  /** Rotates {@code refreshToken}; empty if it is unknown, expired, idle too long or spent (then its family ends). */
  Optional<Tokens> refresh(String refreshToken, String address);

  /** Ends the session of {@code accessToken} and the family of {@code refreshToken} (either may be null). */
  void logout(String accessToken, String refreshToken);

  /** The live session an access token belongs to, if the token is current. */
  Optional<OwnerSession> authenticate(String accessToken);

  /** Checks a fresh TOTP code of the session's user; on success the session is re-authenticated from now. */
  Optional<OwnerSession> reauth(OwnerSession session, String code, String address);
}
