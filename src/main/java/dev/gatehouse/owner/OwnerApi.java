package dev.gatehouse.owner;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.chat.PairingStore;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.TrustStore;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The owner plane's JSON API (DESIGN §11; every route in {@code docs/owner-api.md}): login and
 * refresh answer anyone, every other route is an {@link OwnerRoute} behind the owner gate.
 * Bodies are one strict JSON object (no key twice, nothing after it, no unknown member); a
 * malformed one is a 400 naming the member. Passwords are read as {@code char[]} and wiped,
 * and the request body that carried them is zeroed once read.
 */
public final class OwnerApi {
  public static final String PREFIX = "/v1/owner/";
  public static final String LOGIN = PREFIX + "login";
  public static final String REFRESH = PREFIX + "refresh";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private final OwnerAuth auth;
  private final OwnerOperations ops;
  private final Clock clock;
  private final List<OwnerRoute> routes;

  public OwnerApi(OwnerAuth auth, OwnerOperations ops, Clock clock) {
    this.auth = Objects.requireNonNull(auth);
    this.ops = Objects.requireNonNull(ops);
    this.clock = Objects.requireNonNull(clock);
    this.routes = List.copyOf(build());
  }

  /** Every gated route of the API (login and refresh are {@link #login} and {@link #refresh}). */
  public List<OwnerRoute> routes() {
    return routes;
  }

  private List<OwnerRoute> build() {
    List<OwnerRoute> r = new ArrayList<>();
    r.add(api("POST", "logout", Role.VIEWER, false, this::logout));
    r.add(api("POST", "reauth", Role.VIEWER, false, this::reauth));
    r.add(api("GET", "me", Role.VIEWER, false, (s, c) -> ok(me(s))));
    r.add(api("GET", "status", Role.VIEWER, false, (s, c) -> ok(status(ops.status()))));
    r.add(api("POST", "audit/verify", Role.VIEWER, false, (s, c) -> ok(check(ops.verifyAudit()))));
    r.add(api("GET", "audit", Role.VIEWER, false, (s, c) -> ok(records(ops.audit(filter(c))))));
    r.add(api("GET", "audit/{seq}", Role.VIEWER, false, (s, c) -> ok(entry(ops.auditEntry(seq(c))))));
    r.add(api("GET", "trust", Role.VIEWER, false, (s, c) -> ok(trust(ops.trust()))));
    r.add(api("GET", "trust/history", Role.VIEWER, false, (s, c) -> ok(history(ops.trustHistory()))));
    r.add(api("GET", "approvals", Role.OPERATOR, false, (s, c) -> ok(approvals(ops.approvals()))));
    r.add(api("POST", "approvals/{id}/approve", Role.OPERATOR, false,
        (s, c) -> ok(approval(ops.approve(s, param(c, "approvals/{id}/approve", "id"))))));
    r.add(api("POST", "approvals/{id}/deny", Role.OPERATOR, false, (s, c) -> ok(approval(ops.deny(s,
        param(c, "approvals/{id}/deny", "id"), optionalString(object(c, Set.of("reason")), "reason"))))));
    r.add(api("GET", "pairing", Role.OPERATOR, false, (s, c) -> ok(pairings(ops.pairings()))));
    r.add(api("POST", "pairing/{code}/approve", Role.OPERATOR, false, (s, c) -> {
      PairingStore.Allowed a = ops.approvePairing(s, param(c, "pairing/{code}/approve", "code"));
      return ok(JSON.createObjectNode().put("channel", a.channel()).put("sender", a.sender()).put("approved", true));
    }));
    r.add(api("POST", "pairing/{code}/deny", Role.OPERATOR, false, (s, c) -> {
      PairingStore.Pending d = ops.denyPairing(s, param(c, "pairing/{code}/deny", "code"));
      return ok(JSON.createObjectNode().put("channel", d.channel()).put("sender", d.sender()).put("denied", true));
    }));
    r.add(api("POST", "trust/{domain}", Role.ADMIN, false, this::setTrust));
    r.add(api("POST", "trust/rollback/{id}", Role.ADMIN, true, (s, c) -> ok(JSON.createObjectNode()
        .put("change", ops.rollbackTrust(s, number(param(c, "trust/rollback/{id}", "id"), "id"))))));
    r.add(api("GET", "agents", Role.ADMIN, false, (s, c) -> ok(holders(ops.agents()))));
    r.add(api("POST", "agents/{name}/revoke", Role.ADMIN, true, (s, c) -> {
      ops.revokeAgent(s, param(c, "agents/{name}/revoke", "name"));
      return ok(JSON.createObjectNode().put("revoked", true));
    }));
    r.add(api("GET", "channels", Role.ADMIN, false, (s, c) -> ok(holders(ops.channels()))));
    r.add(api("POST", "channels/{name}/revoke", Role.ADMIN, true, (s, c) -> {
      ops.revokeChannel(s, param(c, "channels/{name}/revoke", "name"));
      return ok(JSON.createObjectNode().put("revoked", true));
    }));
    r.add(api("GET", "services", Role.ADMIN, false, (s, c) -> ok(services(ops.services()))));
    r.add(api("GET", "vault", Role.ADMIN, false, (s, c) -> {
      ArrayNode names = JSON.createArrayNode();
      ops.vaultNames().forEach(names::add);
      return ok(JSON.createObjectNode().set("names", names));
    }));
    r.add(api("GET", "users", Role.OWNER, false, (s, c) -> ok(users(ops.users()))));
    r.add(api("POST", "users/{name}/remove", Role.OWNER, true, (s, c) -> {
      ops.removeUser(s, param(c, "users/{name}/remove", "name"));
      return ok(JSON.createObjectNode().put("removed", true));
    }));
    r.add(api("POST", "reload", Role.OWNER, true, (s, c) -> {
      OwnerOperations.Reloaded done = ops.reload(s);
      return ok(JSON.createObjectNode().put("services", done.services()).put("actions", done.actions()));
    }));
    return r;
  }

  private static OwnerRoute api(String method, String rest, Role role, boolean sensitive, OwnerRoute.Handler h) {
    return new OwnerRoute(method, PREFIX + rest, role, sensitive, false, h);
  }

  // --- login, refresh, logout, reauth ---

  /** The members of a login body; {@link #wipe} clears the password. */
  record LoginBody(String user, char[] password, String code) {
    void wipe() {
      Arrays.fill(password, '\0');
    }

    @Override
    public String toString() {
      return "LoginBody[" + user + ", password and code redacted]";
    }
  }

  /**
   * {@code body} as {@code {"user","password","code"}}, each a string, nothing else, no key
   * twice; the password read as {@code char[]} without a String of it.
   *
   * @throws OwnerProblem {@code bad-request} naming what is wrong
   */
  static LoginBody loginBody(byte[] body) {
    String user = null;
    String code = null;
    char[] password = null;
    boolean done = false;
    try (JsonParser p = STRICT.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw OwnerProblem.badRequest("the body is one JSON object: {\"user\",\"password\",\"code\"}");
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          throw OwnerProblem.badRequest(Problem.printable(name, 32) + " must be a string");
        }
        switch (name) {
          case "user" -> user = p.getText();
          case "code" -> code = p.getText();
          case "password" -> password = Arrays.copyOfRange(p.getTextCharacters(), p.getTextOffset(),
              p.getTextOffset() + p.getTextLength()); // a second one is refused as a key twice
          default -> throw OwnerProblem.badRequest("unknown field '" + Problem.printable(name, 32) + "'");
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw OwnerProblem.badRequest("the body is one JSON object, with nothing after it");
      }
      for (var missing : new Object[][] {{user, "user"}, {password, "password"}, {code, "code"}}) {
        if (missing[0] == null) {
          throw OwnerProblem.badRequest(missing[1] + " is missing");
        }
      }
      done = true;
      return new LoginBody(user, password, code);
    } catch (IOException e) {
      throw OwnerProblem.badRequest("the body is not one JSON object (a key twice, or not JSON)");
    } finally {
      if (!done && password != null) {
        Arrays.fill(password, '\0');
      }
    }
  }

  /** {@code POST /v1/owner/login {"user","password","code"}}: a token pair, a generic 401, or 429 with Retry-After. */
  public Broker.Answer login(Broker.Call call) {
    LoginBody body;
    try {
      body = loginBody(call.body());
    } catch (OwnerProblem e) {
      return OwnerAnswers.problem(e.problem());
    } finally {
      Arrays.fill(call.body(), (byte) 0); // the password's bytes
    }
    OwnerAuth.LoginResult result;
    try {
      result = auth.login(body.user(), body.password(), body.code(), call.remote());
    } finally {
      body.wipe();
    }
    if (result instanceof OwnerAuth.LoginResult.Granted g) {
      return ok(tokens(g.tokens()));
    }
    Duration retry = ((OwnerAuth.LoginResult.Refused) result).retryAfter();
    if (retry != null) {
      return OwnerAnswers.with(OwnerAnswers.problem(new Problem(Problem.Kind.RATE_LIMITED,
          "too many login attempts from this address")), "Retry-After", Long.toString(seconds(retry)));
    }
    return OwnerAnswers.problem(new Problem(Problem.Kind.LOGIN_REFUSED, null));
  }

  /** {@code POST /v1/owner/refresh {"refresh_token"}}: a new pair; the token given is spent. */
  public Broker.Answer refresh(Broker.Call call) {
    try {
      String token = requiredString(object(call, Set.of("refresh_token")), "refresh_token");
      return auth.refresh(token, call.remote()).map(t -> ok(tokens(t))).orElseGet(() -> OwnerAnswers.problem(
          new Problem(Problem.Kind.OWNER_UNAUTHENTICATED, "the refresh token is not current: log in again")));
    } catch (OwnerProblem e) {
      return OwnerAnswers.problem(e.problem());
    }
  }

  private Broker.Answer logout(OwnerSession session, Broker.Call call) {
    String refresh = optionalString(object(call, Set.of("refresh_token")), "refresh_token");
    auth.logout(OwnerGate.bearer(call).orElse(null), refresh);
    return new Broker.Answer(204, OwnerAnswers.headers(), new byte[0]);
  }

  private Broker.Answer reauth(OwnerSession session, Broker.Call call) {
    String code = requiredString(object(call, Set.of("code")), "code");
    OwnerSession fresh = auth.reauth(session, code, call.remote())
        .orElseThrow(() -> new OwnerProblem(Problem.Kind.CODE_REFUSED, null));
    return ok(me(fresh));
  }

  private Broker.Answer setTrust(OwnerSession session, Broker.Call call) {
    String d = param(call, "trust/{domain}", "domain");
    Domain domain = Domain.parse(d).orElseThrow(() -> OwnerProblem.noSuch("no domain " + Problem.printable(d, 32)
        + "; the domains are " + Domain.names()));
    ObjectNode body = object(call, Set.of("level", "reason"));
    String l = requiredString(body, "level");
    Level level = Level.parse(l).orElseThrow(() -> OwnerProblem.badRequest("level must be one of " + Level.names()));
    long id = ops.setTrust(session, domain, level, requiredString(body, "reason"));
    return ok(JSON.createObjectNode().put("change", id).put("domain", domain.wire()).put("level", level.wire()));
  }

  // --- request parts ---

  /** The body as one JSON object whose members are among {@code allowed}; an empty body is {@code {}}. */
  static ObjectNode object(Broker.Call call, Set<String> allowed) {
    if (call.body().length == 0) {
      return JSON.createObjectNode();
    }
    JsonNode n;
    try (JsonParser p = STRICT.createParser(call.body())) {
      n = JSON.readTree(p);
      if (p.nextToken() != null) {
        throw OwnerProblem.badRequest("the body is one JSON object, with nothing after it");
      }
    } catch (IOException e) {
      throw OwnerProblem.badRequest("the body is not one JSON object (a key twice, or not JSON)");
    }
    if (!(n instanceof ObjectNode o)) {
      throw OwnerProblem.badRequest("the body is one JSON object");
    }
    for (var it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw OwnerProblem.badRequest("unknown field '" + Problem.printable(f, 32) + "'");
      }
    }
    return o;
  }

  private static String requiredString(ObjectNode o, String field) {
    String s = optionalString(o, field);
    if (s == null) {
      throw OwnerProblem.badRequest(field + " is missing");
    }
    return s;
  }

  private static String optionalString(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw OwnerProblem.badRequest(field + " must be a string");
    }
    return v.textValue();
  }

  private static String param(Broker.Call call, String pattern, String name) {
    return OwnerRoute.param(PREFIX + pattern, call.path(), name)
        .orElseThrow(() -> OwnerProblem.noSuch("no such " + name));
  }

  private static long number(String text, String name) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw OwnerProblem.badRequest(name + " must be a number");
    }
  }

  private static long seq(Broker.Call call) {
    return number(param(call, "audit/{seq}", "seq"), "seq");
  }

  private static OwnerOperations.AuditFilter filter(Broker.Call call) {
    Map<String, String> q = query(call.rawQuery(), Set.of("type", "actor", "since", "limit"));
    Instant since = null;
    if (q.containsKey("since")) {
      try {
        since = Instant.parse(q.get("since"));
      } catch (DateTimeParseException e) {
        throw OwnerProblem.badRequest("since must be an instant such as 2026-01-31T12:00:00Z");
      }
    }
    int limit = q.containsKey("limit") ? (int) Math.min(Integer.MAX_VALUE, Math.max(Integer.MIN_VALUE,
        number(q.get("limit"), "limit"))) : OwnerOperations.AUDIT_LIMIT_DEFAULT;
    return new OwnerOperations.AuditFilter(q.get("type"), q.get("actor"), since, limit);
  }

  /** The query's parameters, each at most once and among {@code allowed}. */
  static Map<String, String> query(String raw, Set<String> allowed) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k;
      String v;
      try {
        k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw OwnerProblem.badRequest("the query is not well-formed percent-encoding");
      }
      if (!allowed.contains(k)) {
        throw OwnerProblem.badRequest("unknown query parameter '" + Problem.printable(k, 32) + "'; known: "
            + String.join(", ", allowed.stream().sorted().toList()));
      }
      if (out.put(k, v) != null) {
        throw OwnerProblem.badRequest(k + " is given twice");
      }
    }
    return out;
  }

  // --- answers ---

  private static Broker.Answer ok(JsonNode n) {
    return OwnerAnswers.json(200, n);
  }

  private static long seconds(Duration d) {
    return Math.max(1, d.toSeconds() + (d.toNanosPart() > 0 ? 1 : 0));
  }

  private static ObjectNode tokens(OwnerAuth.Tokens t) {
    return JSON.createObjectNode().put("access_token", t.accessToken()).put("refresh_token", t.refreshToken())
        .put("expires_in", t.expiresIn().toSeconds()).put("token_type", "Bearer");
  }

  private ObjectNode me(OwnerSession s) {
    boolean fresh = s.recentlyReauthenticated(clock.instant());
    ObjectNode n = JSON.createObjectNode().put("user", s.user()).put("role", s.role().id())
        .put("started", s.started().toString()).put("recently_reauthenticated", fresh);
    n.put("reauth_until", fresh ? s.reauthAt().plus(OwnerSession.REAUTH_WINDOW).toString() : null);
    return n;
  }

  private static ObjectNode status(OwnerOperations.Status s) {
    ObjectNode n = JSON.createObjectNode().put("sealed", s.sealed());
    n.set("audit", s.audit().<JsonNode>map(OwnerApi::check).orElse(JSON.nullNode()));
    ArrayNode l = n.putArray("lockouts");
    s.lockouts().forEach(x -> l.addObject().put("who", x.who()).put("until", x.until().toString()));
    return n.put("pending_approvals", s.pendingApprovals()).put("pending_pairings", s.pendingPairings());
  }

  private static ObjectNode check(OwnerOperations.AuditCheck c) {
    return JSON.createObjectNode().put("intact", c.intact()).put("entries", c.entries())
        .put("verified_at", c.verifiedAt().toString()).put("problem", c.problem());
  }

  private static ObjectNode record(AuditRecord r) {
    ObjectNode n = JSON.createObjectNode().put("seq", r.seq()).put("time", r.time().toString()).put("type", r.type())
        .put("actor", r.actor()).put("target", r.target()).put("outcome", r.outcome());
    ObjectNode d = n.putObject("details");
    r.details().forEach(d::put);
    return n.put("hash", r.hash());
  }

  private static ObjectNode records(List<AuditRecord> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("entries");
    list.forEach(r -> a.add(record(r)));
    return n;
  }

  private static ObjectNode entry(OwnerOperations.AuditEntry e) {
    ObjectNode n = record(e.record());
    n.put("line", e.line());
    n.set("evidence", e.evidence().toJson());
    return n;
  }

  private static ObjectNode trust(List<TrustStore.DomainTrust> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("domains");
    for (TrustStore.DomainTrust d : list) {
      ObjectNode o = a.addObject().put("domain", d.domain().wire()).put("level", d.level().number())
          .put("level_name", d.level().wire());
      o.set("last_change", d.lastChange().<JsonNode>map(OwnerApi::change).orElse(JSON.nullNode()));
      o.putObject("evidence_for_raising").put("since", d.forRaising().since().map(Instant::toString).orElse(null))
          .put("approved", d.forRaising().approved()).put("denied", d.forRaising().denied())
          .put("refused", d.forRaising().refused());
    }
    return n;
  }

  private static ObjectNode change(TrustStore.Change c) {
    ObjectNode o = JSON.createObjectNode().put("id", c.id()).put("time", c.time().toString())
        .put("domain", c.domain().wire()).put("from", c.from().number()).put("to", c.to().number())
        .put("who", c.who()).put("reason", c.reason());
    o.put("rollback_of", c.rollbackOf().orElse(null));
    return o;
  }

  private static ObjectNode history(List<TrustStore.Change> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("changes");
    list.forEach(c -> a.add(change(c)));
    return n;
  }

  private ObjectNode approval(Approval a) {
    return JSON.createObjectNode().put("id", a.id()).put("agent", a.agent()).put("action", a.action())
        .put("domain", a.domain().wire()).put("status", a.status().wire()).put("created", a.created().toString())
        .put("expires", a.expires().toString()).put("summary", a.summary()).put("request_sha256", a.requestSha256());
  }

  private ObjectNode approvals(List<Approval> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("approvals");
    list.forEach(x -> a.add(approval(x)));
    return n;
  }

  private static ObjectNode pairings(OwnerOperations.Pairings p) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode pending = n.putArray("pending");
    p.pending().forEach(x -> pending.addObject().put("channel", x.channel()).put("sender", x.sender())
        .put("sender_name", x.senderName()).put("code", x.code()).put("created", x.created().toString())
        .put("expires", x.expires().toString()));
    ArrayNode allowed = n.putArray("allowed");
    p.allowed().forEach(x -> allowed.addObject().put("channel", x.channel()).put("sender", x.sender())
        .put("sender_name", x.senderName()).put("approved_at", x.approvedAt().toString())
        .put("approved_by", x.approvedBy()));
    return n;
  }

  private static ObjectNode holders(List<OwnerOperations.KeyHolder> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("items");
    for (var h : list) {
      ObjectNode o = a.addObject().put("name", h.name()).put("key_id", h.keyId()).put("created", h.created().toString());
      ArrayNode allow = o.putArray("allow");
      h.allow().forEach(allow::add);
      o.put("previous_key_id", h.previousKeyId().orElse(null));
      o.put("previous_until", h.previousUntil().map(Instant::toString).orElse(null));
    }
    return n;
  }

  private static ObjectNode services(List<OwnerOperations.ServiceInfo> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("services");
    for (var s : list) {
      ObjectNode o = a.addObject().put("name", s.name()).put("base_url", s.baseUrl());
      ArrayNode actions = o.putArray("actions");
      s.actions().forEach(x -> actions.addObject().put("name", x.name()).put("method", x.method())
          .put("domain", x.domain().wire()));
    }
    return n;
  }

  private static ObjectNode users(List<OwnerUsers.User> list) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("users");
    list.forEach(u -> a.addObject().put("name", u.name()).put("role", u.role().id())
        .put("totp_enrolled", u.totpEnrolled()).put("locked_until", u.lockedUntil().map(Instant::toString).orElse(null)));
    return n;
  }
}
