package dev.gatehouse.owner;

import dev.gatehouse.Sha256;
import dev.gatehouse.owner.OwnerAuth.Tokens;
import dev.gatehouse.store.StateDb;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The rows of {@code owner_sessions} and {@code owner_tokens}; {@link OwnerAccounts} makes the
 * decisions. Every method but {@link #hash} runs inside a {@link StateDb} transaction the caller
 * holds.
 *
 * <p>Guarantees: a token is 32 bytes of the given {@link SecureRandom} in base64url, and only
 * its SHA-256 is stored; no token of a session expires after the session's absolute end
 * ({@link OwnerAuth#REFRESH_ABSOLUTE} after the login); an ended session stays ended.
 */
final class SessionStore {
  static final int TOKEN_BYTES = 32;
  static final String ACCESS = "access";
  static final String REFRESH = "refresh";
  /** Rows of tokens and sessions certainly dead this long are deleted by {@link #prune}. */
  static final Duration KEPT_AFTER_END = Duration.ofDays(7);
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  /** A session's row; {@code role} null when its user no longer exists. */
  record Session(String id, String user, Role role, Instant started, Instant reauthAt, String csrf, Instant ended) {
    Instant absoluteEnd() {
      return started.plus(OwnerAuth.REFRESH_ABSOLUTE);
    }

    /** Not ended, its user still there, and younger than its absolute end. */
    boolean liveAt(Instant now) {
      return ended == null && role != null && now.isBefore(absoluteEnd());
    }

    OwnerSession view() {
      return new OwnerSession(user, role, id, started, reauthAt, csrf);
    }

    @Override
    public String toString() {
      return "Session[" + id + ", " + user + "]";
    }
  }

  /** A token's row (never the token), with its session. */
  record TokenRow(String hash, String kind, Instant expires, Instant spent, Session session) {}

  private final StateDb db;
  private final SecureRandom random;

  SessionStore(StateDb db, SecureRandom random) {
    this.db = db;
    this.random = random;
  }

  /** The hex SHA-256 of {@code token}: what is stored and looked up. */
  static String hash(String token) {
    return Sha256.hex(token.getBytes(StandardCharsets.UTF_8));
  }

  /** A new session of {@code user} from {@code now}, with a new random id and CSRF token. */
  Session start(String user, Role role, Instant now) throws SQLException {
    Session s = new Session(token(), user, role, now, now, token(), null);
    PreparedStatement ins = db.prepared("INSERT INTO owner_sessions (id, \"user\", started_at, last_seen_at,"
        + " reauth_at, csrf_token) VALUES (?, ?, ?, ?, ?, ?)");
    ins.setString(1, s.id());
    ins.setString(2, user);
    ins.setLong(3, now.toEpochMilli());
    ins.setLong(4, now.toEpochMilli());
    ins.setLong(5, now.toEpochMilli());
    ins.setString(6, s.csrf());
    ins.executeUpdate();
    return s;
  }

  /** A new pair for {@code s} from {@code now}: neither outlives the session's absolute end. */
  Tokens issue(Session s, Instant now) throws SQLException {
    Instant accessExpires = min(now.plus(OwnerAuth.ACCESS_TTL), s.absoluteEnd());
    Instant refreshExpires = min(now.plus(OwnerAuth.REFRESH_IDLE), s.absoluteEnd());
    String access = token();
    String refresh = token();
    insertToken(access, ACCESS, s.id(), now, accessExpires);
    insertToken(refresh, REFRESH, s.id(), now, refreshExpires);
    return new Tokens(access, refresh, Duration.between(now, accessExpires), s.view());
  }

  /** Spends the refresh token {@code hash} and notes its session as seen {@code now}. */
  void spend(String hash, String session, Instant now) throws SQLException {
    PreparedStatement spend = db.prepared("UPDATE owner_tokens SET spent_at = ? WHERE token_sha256 = ?");
    spend.setLong(1, now.toEpochMilli());
    spend.setString(2, hash);
    spend.executeUpdate();
    seen(session, now);
  }

  /** The session proved a code {@code now}. */
  void reauthenticated(String session, Instant now) throws SQLException {
    PreparedStatement u = db.prepared("UPDATE owner_sessions SET reauth_at = ? WHERE id = ?");
    u.setLong(1, now.toEpochMilli());
    u.setString(2, session);
    u.executeUpdate();
    seen(session, now);
  }

  private void seen(String session, Instant now) throws SQLException {
    PreparedStatement s = db.prepared("UPDATE owner_sessions SET last_seen_at = ? WHERE id = ?");
    s.setLong(1, now.toEpochMilli());
    s.setString(2, session);
    s.executeUpdate();
  }

  /** Ends session {@code id} for {@code reason}, unless it has ended already. */
  void end(String id, String reason, Instant now) throws SQLException {
    PreparedStatement s = db.prepared("UPDATE owner_sessions SET ended_at = ?, end_reason = ?"
        + " WHERE id = ? AND ended_at IS NULL");
    s.setLong(1, now.toEpochMilli());
    s.setString(2, reason);
    s.setString(3, id);
    s.executeUpdate();
  }

  /** Ends every session of {@code user} still open; returns how many. */
  int endAllOf(String user, String reason, Instant now) throws SQLException {
    PreparedStatement s = db.prepared("UPDATE owner_sessions SET ended_at = ?, end_reason = ?"
        + " WHERE \"user\" = ? AND ended_at IS NULL"); // quoted: a reserved word in PostgreSQL
    s.setLong(1, now.toEpochMilli());
    s.setString(2, reason);
    s.setString(3, user);
    return s.executeUpdate();
  }

  /** The row of the token whose hash is {@code hash}, with its session. */
  Optional<TokenRow> token(String hash) throws SQLException {
    PreparedStatement s = db.prepared("SELECT token_sha256, kind, expires_at, spent_at, session"
        + " FROM owner_tokens WHERE token_sha256 = ?");
    s.setString(1, hash);
    String stored;
    String kind;
    Instant expires;
    Instant spent;
    String session;
    try (ResultSet rs = s.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      stored = rs.getString(1);
      kind = rs.getString(2);
      expires = Instant.ofEpochMilli(rs.getLong(3));
      long sp = rs.getLong(4);
      spent = rs.wasNull() ? null : Instant.ofEpochMilli(sp);
      session = rs.getString(5);
    }
    return session(session).map(x -> new TokenRow(stored, kind, expires, spent, x));
  }

  /** Session {@code id} with its user's current role (null when the user is gone). */
  Optional<Session> session(String id) throws SQLException {
    PreparedStatement s = db.prepared("SELECT s.id, s.\"user\", u.role, s.started_at, s.reauth_at, s.csrf_token,"
        + " s.ended_at FROM owner_sessions s LEFT JOIN owner_users u ON u.name = s.\"user\" WHERE s.id = ?");
    s.setString(1, id);
    try (ResultSet rs = s.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      String role = rs.getString(3);
      long ended = rs.getLong(7);
      Instant endedAt = rs.wasNull() ? null : Instant.ofEpochMilli(ended);
      return Optional.of(new Session(rs.getString(1), rs.getString(2), role == null ? null : OwnerAccounts.role(role),
          Instant.ofEpochMilli(rs.getLong(4)), Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6), endedAt));
    }
  }

  /**
   * Deletes tokens expired more than {@link #KEPT_AFTER_END} ago and sessions that had ended by
   * then and have no token left. A spent refresh token is kept while its session can live, so
   * its reuse is still seen as such.
   */
  void prune(Instant now) throws SQLException {
    long before = now.minus(KEPT_AFTER_END).toEpochMilli();
    PreparedStatement t = db.prepared("DELETE FROM owner_tokens WHERE expires_at < ?");
    t.setLong(1, before);
    t.executeUpdate();
    PreparedStatement s = db.prepared("DELETE FROM owner_sessions WHERE started_at < ?"
        + " AND id NOT IN (SELECT session FROM owner_tokens)");
    s.setLong(1, before - OwnerAuth.REFRESH_ABSOLUTE.toMillis());
    s.executeUpdate();
  }

  private void insertToken(String token, String kind, String session, Instant now, Instant expires)
      throws SQLException {
    PreparedStatement s = db.prepared("INSERT INTO owner_tokens (token_sha256, kind, session, issued_at, expires_at)"
        + " VALUES (?, ?, ?, ?, ?)");
    s.setString(1, hash(token));
    s.setString(2, kind);
    s.setString(3, session);
    s.setLong(4, now.toEpochMilli());
    s.setLong(5, expires.toEpochMilli());
    s.executeUpdate();
  }

  private String token() {
    byte[] b = new byte[TOKEN_BYTES];
    random.nextBytes(b);
    return B64URL.encodeToString(b);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
