package dev.gatehouse.owner;

import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one gate before every owner route (DESIGN §11). Nothing reaches a route's handler unless:
 * <ul>
 *   <li>an API route carries {@code Authorization: Bearer} with a current access token (else
 *       401 with {@code WWW-Authenticate: Bearer});
 *   <li>a page carries the {@value SessionCookies#ACCESS} cookie of a current session, or an
 *       expired one beside a valid {@value SessionCookies#REFRESH} cookie, which is then rotated
 *       and both cookies set anew (else a GET is sent to {@code /login?next=PATH}, any other
 *       method likewise: a page never answers 401 to a browser);
 *   <li>a page request that is not GET or HEAD carries the session's CSRF token (form field
 *       {@value SessionCookies#CSRF_FIELD} or header {@code X-CSRF-Token}), compared in constant
 *       time (else 403);
 *   <li>the session's role includes the route's (else 403), and a sensitive route's session
 *       proved a code within the last 5 minutes (else 403 saying how to re-authenticate).
 * </ul>
 * A handler's refusal ({@link OwnerProblem}, {@link BadInputException}, a {@link RefusedException}
 * about the item's state) becomes a problem answer; any other failure, a store's included, a
 * bare 500 that says nothing of its cause.
 */
public final class OwnerGate {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("gatehouse.owner");
  /** A same-site path with an optional query: one leading slash, never {@code //} or a backslash (no other host). */
  private static final Pattern SAFE_NEXT = Pattern.compile("/(?![/\\\\])[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,512}");

  private final OwnerAuth auth;
  private final Clock clock;
  private final boolean tls;

  /** @param tls whether the daemon serves TLS: cookies are then {@code Secure} */
  public OwnerGate(OwnerAuth auth, Clock clock, boolean tls) {
    this.auth = Objects.requireNonNull(auth, "auth");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tls = tls;
  }

  public boolean tls() {
    return tls;
  }

  public OwnerAuth auth() {
    return auth;
  }

  /** Checks {@code call} against everything {@code route} declares, then answers it with the route's handler. */
  public Broker.Answer handle(OwnerRoute route, Broker.Call call) {
    List<String> setCookies = new ArrayList<>();
    Optional<OwnerSession> found = route.page() ? fromCookies(call, setCookies) : fromBearer(call);
    if (found.isEmpty()) {
      if (route.page()) {
        setCookies.add(SessionCookies.clear(SessionCookies.ACCESS, tls));
        setCookies.add(SessionCookies.clear(SessionCookies.REFRESH, tls));
        return cookies(OwnerAnswers.seeOther(loginPath(call)), setCookies);
      }
      boolean presented = call.headers().containsKey("authorization");
      return OwnerAnswers.with(OwnerAnswers.problem(new Problem(Problem.Kind.OWNER_UNAUTHENTICATED,
          presented ? "the access token is not current: refresh it (POST /v1/owner/refresh) or log in again" : null)),
          "WWW-Authenticate", presented ? "Bearer error=\"invalid_token\"" : "Bearer");
    }
    OwnerSession session = found.get();
    Broker.Answer answer;
    try {
      if (route.page() && !safeMethod(call.method()) && !csrfMatches(call, session.csrfToken())) {
        throw new OwnerProblem(Problem.Kind.CSRF, "reload the page and submit the form again");
      }
      if (!session.role().atLeast(route.role())) {
        throw OwnerProblem.role(route.role());
      }
      if (route.sensitive() && !session.recentlyReauthenticated(clock.instant())) {
        throw OwnerProblem.reauth();
      }
      answer = route.handler().handle(session, call);
    } catch (RuntimeException e) {
      answer = refusal(e, route);
    }
    return cookies(answer, setCookies);
  }

  /** A handler's exception as the client sees it: its problem, or a 500 that names nothing. */
  public static Broker.Answer refusal(RuntimeException e, OwnerRoute route) {
    Problem p;
    if (e instanceof OwnerProblem op) {
      p = op.problem();
    } else if (e instanceof BadInputException) {
      p = new Problem(Problem.Kind.BAD_REQUEST, e.getMessage()); // written for the person who sent it
    } else if ((e instanceof RefusedException || e instanceof NotConfiguredException) && e.getCause() == null) {
      p = new Problem(Problem.Kind.CONFLICT, e.getMessage()); // the item's state, said for the person who asked
    } else { // a store that failed (a RefusedException with a cause wraps one) or a defect: nothing of it is told
      LOG.warn("owner route {} {} failed: {}", route.method(), route.path(), e.getClass().getName());
      p = new Problem(Problem.Kind.INTERNAL, null);
    }
    return OwnerAnswers.problem(p);
  }

  private Optional<OwnerSession> fromBearer(Broker.Call call) {
    return bearer(call).flatMap(auth::authenticate);
  }

  /** The token of an {@code Authorization: Bearer TOKEN} header. */
  public static Optional<String> bearer(Broker.Call call) {
    String h = call.headers().get("authorization");
    if (h == null || h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = h.substring(7).strip();
    return token.isEmpty() || token.contains(",") ? Optional.empty() : Optional.of(token);
  }

  private Optional<OwnerSession> fromCookies(Broker.Call call, List<String> setCookies) {
    String cookie = call.headers().get("cookie");
    Optional<OwnerSession> s = SessionCookies.read(cookie, SessionCookies.ACCESS).flatMap(auth::authenticate);
    if (s.isPresent()) {
      return s;
    }
    Optional<OwnerAuth.Tokens> rotated = SessionCookies.read(cookie, SessionCookies.REFRESH)
        .flatMap(r -> auth.refresh(r, call.remote()));
    rotated.ifPresent(t -> setCookies.addAll(sessionCookies(t, tls)));
    return rotated.map(OwnerAuth.Tokens::session);
  }

  /** The two {@code Set-Cookie} values that carry {@code tokens} to the browser. */
  public static List<String> sessionCookies(OwnerAuth.Tokens tokens, boolean tls) {
    return List.of(SessionCookies.set(SessionCookies.ACCESS, tokens.accessToken(), tokens.expiresIn(), tls),
        SessionCookies.set(SessionCookies.REFRESH, tokens.refreshToken(), OwnerAuth.REFRESH_ABSOLUTE, tls));
  }

  private static Broker.Answer cookies(Broker.Answer a, List<String> setCookies) {
    return setCookies.isEmpty() ? a : OwnerAnswers.with(a, "Set-Cookie", SessionCookies.join(setCookies));
  }

  private static boolean safeMethod(String method) {
    return method.equals("GET") || method.equals("HEAD");
  }

  private static boolean csrfMatches(Broker.Call call, String expected) {
    String given = call.headers().get(SessionCookies.CSRF_HEADER);
    if (given == null) {
      given = formField(call, SessionCookies.CSRF_FIELD).orElse(null);
    }
    return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        expected.getBytes(StandardCharsets.UTF_8));
  }

  /** Field {@code name} of an {@code application/x-www-form-urlencoded} body (first wins). */
  public static Optional<String> formField(Broker.Call call, String name) {
    String type = call.headers().getOrDefault("content-type", "").toLowerCase(Locale.ROOT);
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      return Optional.empty();
    }
    for (String pair : new String(call.body(), StandardCharsets.UTF_8).split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      try {
        if (URLDecoder.decode(k, StandardCharsets.UTF_8).equals(name)) {
          return Optional.of(eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      } catch (IllegalArgumentException malformed) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static String loginPath(Broker.Call call) {
    String here = call.path() + (call.rawQuery() == null ? "" : "?" + call.rawQuery());
    return "/login?next=" + URLEncoder.encode(safeNext(here), StandardCharsets.UTF_8);
  }

  /**
   * {@code next} if it is a path on this site (one leading slash, not {@code //} nor a
   * backslash, no scheme, at most 512 characters of URL characters), else {@code /}: where the
   * login page may send the browser after signing in, and nowhere else.
   */
  public static String safeNext(String next) {
    return next != null && SAFE_NEXT.matcher(next).matches() ? next : "/";
  }
}
