package dev.gatehouse.testing;

import dev.gatehouse.owner.OwnerAuth;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.owner.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link OwnerAuth} for tests of what stands in front of it (the gate, the API): sessions
 * made at will, tokens that expire on the injected clock, one user ({@link #USER}) whose
 * password and code are planted, and a switch for the address limit.
 */
public final class FakeOwnerAuth implements OwnerAuth {
  public static final String USER = "ann";
  public static final String PASSWORD = "planted-Password-9f3c";
  public static final String CODE = "654321";

  private record Live(OwnerSession session, Instant expires) {}

  private final Clock clock;
  private final Map<String, Live> access = new ConcurrentHashMap<>();
  private final Map<String, OwnerSession> refresh = new ConcurrentHashMap<>();
  private final AtomicLong counter = new AtomicLong();
  /** When set, logins are refused as rate limited with this Retry-After. */
  public volatile Duration limitedFor;

  public FakeOwnerAuth(Clock clock) {
    this.clock = clock;
  }

  /** A new session of {@code role}; {@code fresh}: a code was proved just now, else 10 minutes ago. */
  public Tokens session(Role role, boolean fresh) {
    Instant now = clock.instant();
    long n = counter.incrementAndGet();
    OwnerSession s = new OwnerSession(role.id() + "-user", role, "sess-" + n, now.minus(Duration.ofMinutes(11)),
        fresh ? now : now.minus(Duration.ofMinutes(10)), "csrf-" + HexFormat.of().toHexDigits(n * 7919));
    return mint(s);
  }

  private Tokens mint(OwnerSession s) {
    long n = counter.incrementAndGet();
    String a = "access-" + HexFormat.of().toHexDigits(n * 104729);
    String r = "refresh-" + HexFormat.of().toHexDigits(n * 1299709);
    access.put(a, new Live(s, clock.instant().plus(ACCESS_TTL)));
    refresh.put(r, s);
    return new Tokens(a, r, ACCESS_TTL, s);
  }

  @Override
  public LoginResult login(String user, char[] password, String code, String address) {
    if (limitedFor != null) {
      return new LoginResult.Refused(limitedFor);
    }
    if (USER.equals(user) && PASSWORD.equals(new String(password)) && CODE.equals(code)) {
      Instant now = clock.instant();
      return new LoginResult.Granted(mint(new OwnerSession(USER, Role.OWNER, "sess-login-" + counter.incrementAndGet(),
          now, now, "csrf-login")));
    }
    return new LoginResult.Refused(null);
  }

  @Override
  public Optional<Tokens> refresh(String refreshToken, String address) {
    OwnerSession s = refresh.remove(refreshToken);
    return s == null ? Optional.empty() : Optional.of(mint(s));
  }

  @Override
  public void logout(String accessToken, String refreshToken) {
    if (accessToken != null) {
      access.remove(accessToken);
    }
    if (refreshToken != null) {
      refresh.remove(refreshToken);
    }
  }

  @Override
  public Optional<OwnerSession> authenticate(String accessToken) {
    Live l = access.get(accessToken);
    return l == null || !clock.instant().isBefore(l.expires()) ? Optional.empty() : Optional.of(l.session());
  }

  @Override
  public Optional<OwnerSession> reauth(OwnerSession session, String code, String address) {
    if (!CODE.equals(code)) {
      return Optional.empty();
    }
    OwnerSession fresh = new OwnerSession(session.user(), session.role(), session.sessionId(), session.started(),
        clock.instant(), session.csrfToken());
    access.replaceAll((k, v) -> v.session().sessionId().equals(session.sessionId()) ? new Live(fresh, v.expires()) : v);
    return Optional.of(fresh);
  }
}
