package dev.gatehouse.owner;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.guard.Limit;
import dev.gatehouse.guard.RateLimiter;
import dev.gatehouse.otp.Enrollment;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpPolicy;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.TotpStatus;
import dev.gatehouse.otp.VaultEnrollmentStore;
import dev.gatehouse.otp.VerifyOutcome;
import dev.gatehouse.store.HomeLock;
import dev.gatehouse.owner.SessionStore.Session;
import dev.gatehouse.owner.SessionStore.TokenRow;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Owner-plane accounts and their sessions, in {@code state.db}, each user's TOTP key in the
 * vault: the {@link OwnerAuth} of DESIGN §11 plus the management {@code gatehouse user} does.
 *
 * <p>Guarantees, beyond {@link OwnerAuth}'s:
 * <ul>
 *   <li>A login is decided in this order, and stops at the first "no": the address's limit
 *       ({@value #LOGIN_MAX} a minute, every attempt counted), the password (Argon2id; an unknown
 *       user costs the same one derivation), then, only after the right password, the user's own
 *       TOTP code (its own replay memory and lockout). A user with no active TOTP key cannot log
 *       in. Every refusal is the same {@link LoginResult.Refused}; only the audit entry names the
 *       reason.
 *   <li>Tokens are 32 bytes of the injected {@link SecureRandom} in base64url; {@code state.db}
 *       holds the SHA-256 of each, never the token. The session is the refresh family: a refresh
 *       token is spent by its one use, and a spent one presented again ends the session, so
 *       every token of the family (also the newer ones) stops working.
 *   <li>No token outlives its session's absolute end (24 h after login); a refresh token lives
 *       {@link #REFRESH_IDLE} from its issue; the access token {@link #ACCESS_TTL}.
 *   <li>A grant, a rotation, a revocation and every change of a user are in the audit log before
 *       they take effect (recorded inside the {@code state.db} transaction that makes them; lock
 *       order: {@code state.db}, then the audit log). Refusals are recorded as outcomes. No entry,
 *       message or row ever holds a password, a code or a token.
 *   <li>A user's TOTP state is never inherited: adding a user clears whatever a removed user of
 *       the same name left, and removing one deletes its key before its row.
 *   <li>The role is read from the user's row at every {@link #authenticate}: a removed user's
 *       tokens stop working at once.
 * </ul>
 *
 * <p>Passwords are {@code char[]} the caller owns and zeroes; the bytes made from them here are
 * zeroed after use.
 */
public final class OwnerAccounts implements OwnerAuth {
  /** User names: short, lower case, safe in a vault entry name, a URL path and a log line. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9._-]{0,31}");
  public static final int MIN_PASSWORD_CHARS = 12;
  public static final int MAX_PASSWORD_CHARS = 1024;
  static final int LOGIN_MAX = 5;
  /** Login attempts per address: every attempt counts, a refused one too. */
  public static final Limit LOGIN_LIMIT = new Limit(LOGIN_MAX, Duration.ofMinutes(1));

  /** A user as {@code gatehouse user list} shows it: never the hash. */
  public record User(String name, Role role, Instant created, Instant passwordChanged, boolean totpActive) {}

  /** What OwnerAccounts works with; all of them are the home's shared ones. */
  public record Parts(StateDb db, Vault vault, AuditLog audit, HomeLock lock, TotpPolicy totp, RateLimiter limiter,
      PasswordHash passwords, Clock clock, SecureRandom random) {
    public Parts {
      Objects.requireNonNull(db, "db");
      Objects.requireNonNull(vault, "vault");
      Objects.requireNonNull(audit, "audit");
      Objects.requireNonNull(lock, "lock");
      Objects.requireNonNull(totp, "totp");
      Objects.requireNonNull(limiter, "limiter");
      Objects.requireNonNull(passwords, "passwords");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(random, "random");
    }
  }

  private final Parts p;
  private final StateDb db;
  private final SessionStore sessions;

  public OwnerAccounts(Parts parts) {
    this.p = Objects.requireNonNull(parts, "parts");
    this.db = parts.db();
    this.sessions = new SessionStore(db, parts.random());
  }

  /** The vault entry holding {@code user}'s TOTP key and recovery-code hashes. */
  public static String totpEntry(String user) {
    return "gatehouse.user." + requireName(user) + ".totp";
  }

  // ---- user management

  /**
   * Adds {@code name} with {@code role} and {@code password}; the user can log in once their
   * TOTP key is confirmed ({@link #beginTotp}).
   *
   * @throws BadInputException for a bad name, a taken name or a password out of bounds
   */
  public void add(String name, Role role, char[] password, String actor) {
    requireName(name);
    Objects.requireNonNull(role, "role");
    checkPassword(password);
    if (read(c -> account(c, name)).isPresent()) {
      throw exists(name); // before anything is touched: the existing user's key stays
    }
    String hash = p.passwords().hash(password);
    Instant now = p.clock().instant();
    forgetTotp(name); // whatever a removed user of this name left is not inherited
    boolean added = write(c -> {
      if (account(c, name).isPresent()) {
        return false;
      }
      PreparedStatement s = db.prepared("INSERT INTO owner_users (name, role, password_hash, created_at,"
          + " password_changed_at) VALUES (?, ?, ?, ?, ?)");
      s.setString(1, name);
      s.setString(2, role.id());
      s.setString(3, hash);
      s.setLong(4, now.toEpochMilli());
      s.setLong(5, now.toEpochMilli());
      s.executeUpdate();
      p.audit().record(new AuditEvent("user.add", actor, "user:" + name, "added", Map.of("role", role.id())));
      return true;
    });
    if (!added) {
      throw exists(name);
    }
  }

  private static BadInputException exists(String name) {
    return new BadInputException("user " + name + " already exists; `gatehouse user passwd " + name
        + "` changes the password");
  }

  /** Every user, by name. */
  public List<User> list() {
    record Row(String name, Role role, Instant created, Instant changed) {}
    List<Row> rows = read(c -> {
      List<Row> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT name, role, created_at, password_changed_at FROM owner_users ORDER BY name");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(new Row(rs.getString(1), role(rs.getString(2)), Instant.ofEpochMilli(rs.getLong(3)),
              Instant.ofEpochMilli(rs.getLong(4))));
        }
      }
      return out;
    });
    List<User> users = new ArrayList<>();
    for (Row r : rows) { // the vault is read outside the state.db transaction
      users.add(new User(r.name(), r.role(), r.created(), r.changed(), totpActive(r.name())));
    }
    return users;
  }

  /** The user {@code name}, if there is one. */
  public Optional<User> find(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    return list().stream().filter(u -> u.name().equals(name)).findFirst();
  }

  /** Whether at least one user has the role owner (the daemon needs one to serve beyond loopback). */
  public boolean hasOwner() {
    return read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM owner_users WHERE role = ? LIMIT 1")) {
        s.setString(1, Role.OWNER.id());
        try (ResultSet rs = s.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Sets {@code name}'s password and ends all of their sessions. */
  public void passwd(String name, char[] password, String actor) {
    requireName(name);
    checkPassword(password);
    String hash = p.passwords().hash(password);
    Instant now = p.clock().instant();
    write(c -> {
      requireUser(c, name);
      PreparedStatement s = db.prepared(
          "UPDATE owner_users SET password_hash = ?, password_changed_at = ? WHERE name = ?");
      s.setString(1, hash);
      s.setLong(2, now.toEpochMilli());
      s.setString(3, name);
      s.executeUpdate();
      int n = sessions.endAllOf(name, "password-changed", now);
      p.audit().record(new AuditEvent("user.passwd", actor, "user:" + name, "changed",
          Map.of("sessions_ended", Integer.toString(n))));
      return n;
    });
  }

  /** Removes {@code name}: their TOTP key and its state first, then their sessions and their row. */
  public void remove(String name, String actor) {
    requireName(name);
    read(c -> requireUser(c, name));
    forgetTotp(name);
    Instant now = p.clock().instant();
    write(c -> {
      requireUser(c, name);
      int n = sessions.endAllOf(name, "user-removed", now);
      PreparedStatement s = db.prepared("DELETE FROM owner_users WHERE name = ?");
      s.setString(1, name);
      s.executeUpdate();
      p.audit().record(new AuditEvent("user.remove", actor, "user:" + name, "removed",
          Map.of("sessions_ended", Integer.toString(n))));
      return n;
    });
  }

  /**
   * A new pending TOTP key for {@code name} (replacing a pending one). Refused while their key
   * is active: {@link #resetTotp} first, deliberately.
   */
  public OtpAuthUri beginTotp(String name, String actor) {
    requireName(name);
    read(c -> requireUser(c, name));
    if (totpActive(name)) {
      throw new BadInputException("user " + name + " already has an active TOTP key; to enroll a new device, run"
          + " `gatehouse user totp " + name + " --reset`");
    }
    OtpAuthUri uri = totp(name).beginEnrollment(name, actor);
    p.audit().record(new AuditEvent("user.totp", actor, "user:" + name, "pending", Map.of()));
    return uri;
  }

  /** Confirms {@code name}'s pending key with a code from their app; on success it is active. */
  public TotpService.Confirmation confirmTotp(String name, String code, String actor) {
    requireName(name);
    read(c -> requireUser(c, name));
    TotpService.Confirmation c;
    try {
      c = totp(name).confirm(code, actor);
    } catch (NotConfiguredException e) {
      throw new NotConfiguredException("no TOTP key is pending for user " + name + "; start with `gatehouse user totp "
          + name + "`");
    }
    if (c.outcome() instanceof VerifyOutcome.Accepted) {
      p.audit().record(new AuditEvent("user.totp", actor, "user:" + name, "activated", Map.of()));
    }
    return c;
  }

  /** Removes {@code name}'s key, recovery codes and TOTP state; they cannot log in until they enroll again. */
  public boolean resetTotp(String name, String actor) {
    requireName(name);
    read(c -> requireUser(c, name));
    boolean existed = totp(name).reset(actor);
    p.audit().record(new AuditEvent("user.totp", actor, "user:" + name, existed ? "reset" : "nothing", Map.of()));
    return existed;
  }

  /** {@code name}'s TOTP status (never the key). */
  public TotpStatus totpStatus(String name) {
    requireName(name);
    return totp(name).status();
  }

  // ---- OwnerAuth

  @Override
  public LoginResult login(String user, char[] password, String code, String address) {
    String from = address(address);
    char[] pw = password == null ? new char[0] : password;
    if (p.limiter().tryAcquire(List.of(new RateLimiter.Check("owner-login", from, LOGIN_LIMIT)))
        instanceof RateLimiter.Limited limited) {
      refused("owner.login", from, "rate-limited", from, null);
      return new LoginResult.Refused(limited.retryAfter());
    }
    Optional<Account> found = user != null && NAME.matcher(user).matches() ? read(c -> account(c, user))
        : Optional.empty();
    if (found.isEmpty()) {
      p.passwords().verifyNothing(pw); // as long as a wrong password takes
      refused("owner.login", from, "unknown-user", from, null); // never the name typed: it may be a password
      return new LoginResult.Refused(null);
    }
    Account account = found.get();
    String actor = "owner:" + account.name();
    if (!p.passwords().verify(pw, account.hash())) {
      refused("owner.login", actor, "bad-password", from, null);
      return new LoginResult.Refused(null);
    }
    Optional<String> codeRefusal = checkCode(account.name(), code, actor);
    if (codeRefusal.isPresent()) {
      refused("owner.login", actor, codeRefusal.get(), from, null);
      return new LoginResult.Refused(null);
    }
    Instant now = p.clock().instant();
    Optional<Tokens> granted = write(c -> {
      Optional<Account> current = account(c, account.name());
      if (current.isEmpty() || !current.get().hash().equals(account.hash())) {
        return Optional.<Tokens>empty(); // removed, or its password changed, since it was checked
      }
      sessions.prune(now);
      Session s = sessions.start(account.name(), current.get().role(), now);
      Tokens t = sessions.issue(s, now);
      p.audit().record(new AuditEvent("owner.login", actor, "owner-plane", "granted",
          Map.of("address", from, "session", s.id(), "role", s.role().id())));
      return Optional.of(t);
    });
    if (granted.isEmpty()) {
      refused("owner.login", actor, "changed-meanwhile", from, null);
      return new LoginResult.Refused(null);
    }
    return new LoginResult.Granted(granted.get());
  }

  @Override
  public Optional<Tokens> refresh(String refreshToken, String address) {
    String from = address(address);
    Instant now = p.clock().instant();
    Optional<TokenRow> row = lookup(refreshToken);
    if (row.isEmpty() || !row.get().kind().equals(SessionStore.REFRESH)) {
      return Optional.empty(); // nothing to attribute it to; an access token is not a refresh token
    }
    String hash = row.get().hash();
    record Answer(Optional<Tokens> tokens, String refusal, Session session) {}
    Answer a = write(c -> {
      Optional<TokenRow> again = sessions.token(hash); // the decision on the row as of this transaction
      if (again.isEmpty()) {
        return new Answer(Optional.empty(), null, null);
      }
      TokenRow t = again.get();
      Session s = t.session();
      if (t.spent() != null) {
        if (s.ended() == null) {
          sessions.end(s.id(), "refresh-reuse", now);
          p.audit().record(new AuditEvent("owner.refresh-reuse", "owner:" + s.user(), "owner-plane", "revoked",
              Map.of("address", from, "session", s.id(), "spent_at", t.spent().toString())));
          return new Answer(Optional.empty(), null, s);
        }
        return new Answer(Optional.empty(), "spent", s);
      }
      if (s.ended() != null) {
        return new Answer(Optional.empty(), "session-ended", s);
      }
      if (s.role() == null || !now.isBefore(t.expires()) || !now.isBefore(s.absoluteEnd())) {
        sessions.end(s.id(), s.role() == null ? "user-removed" : "expired", now);
        return new Answer(Optional.empty(), "expired", s);
      }
      sessions.spend(hash, s.id(), now);
      Tokens fresh = sessions.issue(s, now);
      p.audit().record(new AuditEvent("owner.refresh", "owner:" + s.user(), "owner-plane", "rotated",
          Map.of("address", from, "session", s.id())));
      return new Answer(Optional.of(fresh), null, s);
    });
    if (a.refusal() != null) {
      refused("owner.refresh", "owner:" + a.session().user(), a.refusal(), from, a.session().id());
    }
    return a.tokens();
  }

  @Override
  public void logout(String accessToken, String refreshToken) {
    Instant now = p.clock().instant();
    for (String token : new String[] {accessToken, refreshToken}) {
      Optional<TokenRow> row = lookup(token);
      if (row.isEmpty()) {
        continue;
      }
      write(c -> {
        Optional<TokenRow> t = sessions.token(row.get().hash());
        if (t.isPresent() && t.get().session().ended() == null) {
          Session s = t.get().session();
          sessions.end(s.id(), "logout", now);
          p.audit().record(new AuditEvent("owner.logout", "owner:" + s.user(), "owner-plane", "ended",
              Map.of("session", s.id())));
        }
        return null;
      });
    }
  }

  @Override
  public Optional<OwnerSession> authenticate(String accessToken) {
    Instant now = p.clock().instant();
    return lookup(accessToken)
        .filter(t -> t.kind().equals(SessionStore.ACCESS) && now.isBefore(t.expires()))
        .map(TokenRow::session)
        .filter(s -> s.liveAt(now))
        .map(Session::view);
  }

  @Override
  public Optional<OwnerSession> reauth(OwnerSession session, String code, String address) {
    Objects.requireNonNull(session, "session");
    String from = address(address);
    Instant now = p.clock().instant();
    Optional<Session> current = read(c -> sessions.session(session.sessionId()))
        .filter(s -> s.user().equals(session.user()) && s.liveAt(now));
    String actor = "owner:" + session.user();
    if (current.isEmpty()) {
      refused("owner.reauth", actor, "session-ended", from, session.sessionId());
      return Optional.empty();
    }
    Optional<String> codeRefusal = checkCode(session.user(), code, actor);
    if (codeRefusal.isPresent()) {
      refused("owner.reauth", actor, codeRefusal.get(), from, session.sessionId());
      return Optional.empty();
    }
    return write(c -> {
      Optional<Session> s = sessions.session(session.sessionId()).filter(x -> x.liveAt(now));
      if (s.isEmpty()) {
        return Optional.<OwnerSession>empty();
      }
      sessions.reauthenticated(session.sessionId(), now);
      p.audit().record(new AuditEvent("owner.reauth", actor, "owner-plane", "accepted",
          Map.of("address", from, "session", session.sessionId())));
      return Optional.of(new OwnerSession(session.user(), s.get().role(), session.sessionId(), s.get().started(), now,
          s.get().csrf()));
    });
  }

  // ---- internals

  /** A user's row: the hash stays inside this class. */
  private record Account(String name, Role role, String hash) {
    @Override
    public String toString() {
      return "Account[" + name + ", " + role + "]";
    }
  }

  /**
   * {@code name}'s code checked by their own TOTP core; empty when accepted, else the reason for
   * the audit log. State that cannot be read refuses (fail closed) like any other "no".
   */
  private Optional<String> checkCode(String name, String code, String actor) {
    try {
      VerifyOutcome outcome = totp(name).verify(code, actor);
      return switch (outcome) {
        case VerifyOutcome.Accepted a -> Optional.empty();
        case VerifyOutcome.Rejected r -> Optional.of(r.lockedUntil() != null ? "bad-code-locked" : "bad-code");
        case VerifyOutcome.LockedOut l -> Optional.of("locked");
      };
    } catch (NotConfiguredException e) {
      return Optional.of("no-totp");
    } catch (BadInputException e) {
      return Optional.of("bad-code"); // malformed: not counted, as with every other code gate
    } catch (RefusedException e) {
      return Optional.of("totp-unavailable");
    }
  }

  private TotpService totp(String name) {
    return new TotpService(new VaultEnrollmentStore(p.vault(), totpEntry(name)),
        UserAttemptStore.of(db, p.lock(), name), p.totp(), p.clock(), p.random(), p.audit());
  }

  private boolean totpActive(String name) {
    return totp(name).status().enrollment() == Enrollment.Status.ACTIVE;
  }

  /** Deletes a key and TOTP state under {@code name}, with no audit entry of its own (the caller records the change). */
  private void forgetTotp(String name) {
    try {
      UserAttemptStore.of(db, p.lock(), name).exclusive(state -> {
        if (p.vault().contains(totpEntry(name))) {
          p.vault().remove(totpEntry(name));
        }
        state.delete();
        return null;
      });
    } catch (IOException e) {
      throw new RefusedException("the TOTP state of user " + name + " cannot be removed (" + e.getMessage()
          + "); nothing else was changed", e);
    }
  }

  /**
   * The row of {@code token}, found by its hash; the stored hash is then compared with the
   * computed one in constant time, so a row is accepted only for the exact token.
   */
  private Optional<TokenRow> lookup(String token) {
    if (token == null || token.isEmpty() || token.length() > 128) {
      return Optional.empty();
    }
    String h = SessionStore.hash(token);
    return read(c -> sessions.token(h)).filter(t -> MessageDigest.isEqual(
        t.hash().getBytes(StandardCharsets.US_ASCII), h.getBytes(StandardCharsets.US_ASCII)));
  }

  private Optional<Account> account(Connection c, String name) throws SQLException {
    PreparedStatement s = db.prepared("SELECT role, password_hash FROM owner_users WHERE name = ?");
    s.setString(1, name);
    try (ResultSet rs = s.executeQuery()) {
      return rs.next() ? Optional.of(new Account(name, role(rs.getString(1)), rs.getString(2))) : Optional.empty();
    }
  }

  private Account requireUser(Connection c, String name) throws SQLException {
    return account(c, name).orElseThrow(() -> new BadInputException("there is no user " + name
        + "; `gatehouse user list` shows them"));
  }

  private void refused(String type, String actor, String reason, String address, String session) {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("reason", reason);
    details.put("address", address);
    if (session != null) {
      details.put("session", session);
    }
    p.audit().recordEventually(new AuditEvent(type, actor, "owner-plane", "refused", details));
  }

  static Role role(String id) {
    return Role.parse(id).orElseThrow(() -> new RefusedException("the state holds a user role that is not one: "
        + id));
  }

  /** The address as it goes into the limiter and the audit log: printable, at most 64 characters. */
  private static String address(String address) {
    if (address == null || address.isBlank()) {
      return "unknown";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < address.length() && b.length() < 64; i++) {
      char ch = address.charAt(i);
      b.append(ch > 0x20 && ch < 0x7f ? ch : '?');
    }
    return b.toString();
  }

  private static String requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new BadInputException("a user name is 1 to 32 characters: a lower-case letter, then lower-case letters,"
          + " digits, '.', '_' or '-'");
    }
    return name;
  }

  private static void checkPassword(char[] password) {
    if (password == null || password.length < MIN_PASSWORD_CHARS) {
      throw new BadInputException("a user's password has at least " + MIN_PASSWORD_CHARS + " characters");
    }
    if (password.length > MAX_PASSWORD_CHARS) {
      throw new BadInputException("a user's password has at most " + MAX_PASSWORD_CHARS + " characters");
    }
  }

  private <T> T read(StateDb.Work<T> work) {
    try {
      return db.read(work);
    } catch (SQLException e) {
      throw new RefusedException("the owner accounts in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private <T> T write(StateDb.Work<T> work) {
    try {
      return db.transaction(work);
    } catch (SQLException e) {
      throw new RefusedException("the owner accounts in " + db.name() + " cannot be changed (" + e.getMessage()
          + "); nothing was changed", e);
    }
  }
}
