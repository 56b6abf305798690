package dev.gatehouse.broker;

import dev.gatehouse.config.Globs;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.guard.EgressDeniedException;
import dev.gatehouse.guard.InjectionScanner;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Trust;
import dev.gatehouse.guard.Limit;
import dev.gatehouse.guard.RateLimiter;
import dev.gatehouse.identity.ContentDigest;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.identity.ParsedSignature;
import dev.gatehouse.identity.SignatureException;
import dev.gatehouse.identity.SignedRequest;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The secret broker: one signed agent call in, at most one upstream request out, and an
 * answer with no credential in it. Layers run in the order of DESIGN.md §2; every decision is
 * recorded in the audit log before it takes effect, and a call whose record cannot be made
 * is refused with no upstream request.
 *
 * <p>Independent of any HTTP server: the {@code http} package adapts requests to {@link Call}.
 */
public final class Broker {
  public static final String ACTION_PREFIX = "/v1/actions/";
  /** Where an agent polls an approval: {@code GET /v1/approvals/ID}. */
  public static final String APPROVALS_PREFIX = "/v1/approvals/";
  /** How far {@code created} may be from the gateway's clock, either way. */
  public static final Duration SKEW = Authenticator.SKEW;
  /** Nonces are kept longer than any signature can be accepted. */
  public static final Duration NONCE_KEEP = Duration.ofMinutes(2);
  public static final String AUDIT_SEQ_HEADER = "Gatehouse-Audit-Seq";
  /** Prompt-injection kinds found in a text answer: a structured-field list of tokens (RFC 9651). */
  public static final String FLAGS_HEADER = "Gatehouse-Flags";
  /**
   * How much of a text answer is scanned for injection flags (the whole answer is passed on
   * regardless). The scanner reads about 1 MB/s on a 100 KiB JSON answer (docs/injection.md),
   * so this bounds what a call can pay for its flags to about a quarter of a second.
   */
  static final int SCAN_LIMIT = 256 * 1024;
  private static final int MAX_REDIRECTS = 3;
  /** Strict: one JSON value and nothing after it, no key twice (a body has one reading). */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  /** Never forwarded from an upstream answer. */
  private static final Set<String> DROPPED_RESPONSE_HEADERS = Set.of("connection", "keep-alive",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
      "set-cookie", "set-cookie2", "content-length", "www-authenticate", "location", "content-encoding");
  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
  private static final java.util.regex.Pattern INTEGER_TEXT = java.util.regex.Pattern.compile("-?[0-9]{1,18}");
  private static final java.util.regex.Pattern BOOLEAN_TEXT = java.util.regex.Pattern.compile("true|false");
  /** Query names that carry credentials; a caller's pass-through query never sets them. */
  private static final Set<String> CREDENTIAL_NAMES = Set.of("authorization", "cookie", "x-api-key", "apikey",
      "api_key", "api-key", "token", "access_token", "auth", "password", "passwd", "secret", "key", "x-emby-token",
      "x-auth-token", "session", "sid");

  /** An agent's request as the HTTP layer received it; header names lower-case. */
  public record Call(String method, String authority, String path, String rawQuery, Map<String, String> headers,
      byte[] body, String remote) {}

  /** The answer to send back. */
  public record Answer(int status, Map<String, String> headers, byte[] body) {}

  private final Authenticator authenticator;
  private final AtomicReference<Catalog> catalog;
  private final AuditLog audit;
  private final Upstream upstream;
  private final Clock clock;
  private final Sessions sessions;
  private final RateLimits limits;
  private final InjectionScanner scanner;
  private final TrustStage trustStage;
  private final Trust trust;
  private final Notifier notifier;
  private final Metrics metrics;
  private final ActionListEndpoint listing;
  /** Policy refusals that count as evidence against the agent in the action's domain (DESIGN §10). */
  private static final Set<Problem.Kind> EVIDENCE = Set.of(Problem.Kind.PATH_REFUSED, Problem.Kind.BAD_PARAMETERS);
  /** Credentials as decrypted at a vault generation; any change to the vault drops them. */
  private final Map<String, CachedSecret> credentials = new java.util.concurrent.ConcurrentHashMap<>();

  private record CachedSecret(long generation, String value) {
    @Override
    public String toString() {
      return "CachedSecret[" + generation + ", value redacted]";
    }
  }

  /** The trust layer's parts: levels, the approvals queue, and where the owner is told. */
  public record TrustParts(Trust trust, ActionApprovals approvals, Notifier notifier) {}

  public Broker(Authenticator authenticator, AtomicReference<Catalog> catalog, AuditLog audit,
      Upstream upstream, RateLimits limits, InjectionScanner scanner, TrustParts trustParts, Clock clock) {
    this(authenticator, catalog, audit, upstream, limits, scanner, trustParts, clock, Metrics.NONE);
  }

  /** A broker that reports each call's action, outcome and duration to {@code metrics}. */
  public Broker(Authenticator authenticator, AtomicReference<Catalog> catalog, AuditLog audit,
      Upstream upstream, RateLimits limits, InjectionScanner scanner, TrustParts trustParts, Clock clock,
      Metrics metrics) {
    this.metrics = metrics;
    this.scanner = scanner;
    this.trust = trustParts.trust();
    this.trustStage = new TrustStage(trustParts.trust(), trustParts.approvals());
    this.notifier = trustParts.notifier();
    this.authenticator = authenticator;
    this.catalog = catalog;
    this.audit = audit;
    this.upstream = upstream;
    this.clock = clock;
    this.sessions = new Sessions(upstream, audit);
    this.limits = limits;
    this.listing = new ActionListEndpoint(authenticator, catalog, audit);
  }

  /** The authenticator every signed endpoint shares: an entry before {@link #invoke} authenticates with it. */
  public Authenticator authenticator() {
    return authenticator;
  }

  /** The catalog as it is now (a reload replaces it). */
  public Catalog catalog() {
    return catalog.get();
  }

  /** Where the broker records its decisions; other entries record their own refusals there. */
  public AuditLog audit() {
    return audit;
  }

  /** The limits each call is held to beyond its source's (which the {@link Authenticator} holds). */
  public record RateLimits(Limit perAgent, Limit perAction) {}

  /** {@code GET /v1/actions}: the actions the signing agent may call ({@link ActionListEndpoint}). */
  public Answer listActions(Call call) {
    return listing.handle(call);
  }

  public Answer handle(Call call) {
    long began = System.nanoTime();
    Tally tally = new Tally();
    try {
      return handle(call, tally);
    } finally {
      metrics.call(tally.action, tally.outcome, tally.cause, System.nanoTime() - began);
    }
  }

  private Answer handle(Call call, Tally t) {
    String actionName = call.path().startsWith(ACTION_PREFIX) ? call.path().substring(ACTION_PREFIX.length()) : "";
    Instant started = clock.instant();
    Catalog cat = catalog.get(); // one snapshot for the whole call, whatever a reload does meanwhile
    t.action = cat.action(actionName).map(Action::fullName).orElse(Metrics.UNKNOWN_ACTION); // never the raw path
    Authenticator.Signed signed;
    try {
      signed = authenticator.authenticate(call);
    } catch (Refused r) {
      return t.refused(r.problem().kind(), refuseUnauthenticated(r, call, actionName));
    }
    // The signature verified: from here on every refusal, whichever stage makes it, is this signer's.
    NonceStore.Recording nonce;
    try {
      nonce = authenticator.admit(signed, call, Principal.Kind.AGENT);
    } catch (Refused r) {
      return t.refused(r.problem().kind(), refuse(r, call, actionName, signed.principal().actor(), null));
    }
    return run(cat, started, signed, nonce, call, actionName, call.body(),
        call.headers().get(TrustStage.APPROVAL_HEADER),
        signed.signature().components().contains(TrustStage.APPROVAL_HEADER), null, t);
  }

  /**
   * A call of action {@code actionName} with parameters {@code params} (a JSON object) by an
   * agent whose request {@code call} another endpoint has already authenticated and admitted
   * ({@link Authenticator#authenticate}, then {@link Authenticator#admit} for
   * {@link Principal.Kind#AGENT}): every layer after the signature runs
   * as for {@code POST /v1/actions/NAME}, on the same path (authorization, rate limits,
   * parameters, trust, credentials, upstream, scrubbing, flags, audit). {@code via} names the
   * entry in the audit entries ({@code via} detail), e.g. {@code mcp}. {@code approval} is the
   * approval id the call carries for its retry (docs/trust.md), or null; it must come from
   * what {@code signed} covers (the entry's signed body), as a {@code Gatehouse-Approval}
   * header must be covered on the action route. {@code call}'s own headers are not read for one.
   * {@code nonce}: the admitted request's use, which this call's decision entry puts on record
   * (the caller awaits it afterwards for anything else the request does); null when the caller
   * already awaited it.
   *
   * @throws IllegalArgumentException if {@code signed} is not an agent's
   */
  public Answer invoke(Authenticator.Signed signed, NonceStore.Recording nonce, Call call, String actionName,
      byte[] params, String approval, String via) {
    if (signed.principal().kind() != Principal.Kind.AGENT) {
      throw new IllegalArgumentException("only an agent's request calls actions");
    }
    long began = System.nanoTime();
    Tally t = new Tally();
    try {
      Instant started = clock.instant();
      Catalog cat = catalog.get();
      t.action = cat.action(actionName).map(Action::fullName).orElse(Metrics.UNKNOWN_ACTION);
      return run(cat, started, signed, nonce, call, actionName, params, approval, true, via, t);
    } finally {
      metrics.call(t.action, t.outcome, t.cause, System.nanoTime() - began);
    }
  }

  /**
   * The layers after the signature and the nonce. {@code nonce}: the admitted nonce's use, put on
   * record by the call's decision entry before any effect; null when the caller already awaited it.
   */
  private Answer run(Catalog cat, Instant started, Authenticator.Signed signed, NonceStore.Recording nonce,
      Call call, String actionName, byte[] paramsJson, String approval, boolean approvalSigned, String via, Tally t) {
    Agent agent = signed.principal().agent();
    Action called = null;
    Map<String, JsonNode> params;
    Service service;
    TrustStage.Decision decision;
    Map<String, String> secrets;
    Upstream.Request request;
    try {
      called = authorize(cat, agent, actionName);
      authenticator.limit(List.of(new RateLimiter.Check("agent", agent.name(), limits.perAgent()),
          new RateLimiter.Check("action", called.fullName(), limits.perAction())));
      params = parameters(called, paramsJson);
      service = cat.services().get(called.service());
      decision = trustStage.decide(signed.principal(), approval, approvalSigned, called, params,
          build(service, called, params, TrustStage.placeholders(service)));
      if (!(decision instanceof TrustStage.Run)) {
        return answerUndone(decision, nonce, call, called, signed.principal().actor(), via, t);
      }
      secrets = credentials(service, signed.vault());
      request = build(service, called, params, secrets);
    } catch (Refused r) {
      if (called != null && EVIDENCE.contains(r.problem().kind())) {
        evidence(called, agent, r.problem().kind().slug);
      }
      // The refusal's entry carries the nonce too: a replay of a refused request stays refused.
      return t.refused(r.problem().kind(), refuse(r, call, actionName, signed.principal().actor(), via, nonce));
    }
    TrustStage.Run run = (TrustStage.Run) decision;
    Action action = called; // the action of this call, from here on settled
    long seq;
    try {
      Map<String, String> details = describe(params, call);
      details.put("trust", Integer.toString(run.level().number()));
      if (run.approval() != null) {
        details.put("approval", run.approval());
      }
      if (via != null) {
        details.put("via", via);
      }
      if (nonce != null) {
        details.putAll(nonce.details()); // the decision's entry is the nonce's record too
      }
      seq = audit.record(new AuditEvent("broker.call", "agent:" + agent.name(), action.fullName(), "allowed",
          details));
    } catch (RuntimeException e) {
      return t.refused(new Problem(Problem.Kind.AUDIT_UNAVAILABLE, null), -1);
    }
    if (!onRecord(nonce, seq)) {
      return finish(seq, agent, action, started, request.retries(), "replay-record-failed", -1, 0,
          t.refused(new Problem(Problem.Kind.AUDIT_UNAVAILABLE, "the replay record could not be made"), seq));
    }
    Upstream.Response response;
    String outcome;
    List<String> sessionValuesSent = new ArrayList<>(); // this call's, whatever the shared slot holds now
    try {
      Upstream.Request plain = request;
      response = sessions.send(service, secrets, sessionHeaders -> {
        sessionValuesSent.addAll(sessionHeaders.values());
        Map<String, String> headers = new LinkedHashMap<>(plain.headers());
        headers.putAll(sessionHeaders);
        return sendFollowingSameOrigin(new Upstream.Request(plain.service(), plain.method(), plain.uri(), headers,
            plain.body(), plain.timeout(), plain.maxResponseBytes(), plain.retries()), action);
      });
      outcome = response.truncated() ? "too-large" : "answered";
    } catch (RefusedRedirect r) {
      return finish(seq, agent, action, started, request.retries(), r.refused.problem().kind().slug, -1, 0,
          t.failed(r.refused.problem(), seq));
    } catch (Sessions.LoginFailed e) {
      return finish(seq, agent, action, started, request.retries(), "login-refused", -1, 0,
          t.failed(new Problem(Problem.Kind.UPSTREAM, "the service refused Gatehouse's login"), seq));
    } catch (EgressDeniedException e) {
      evidence(action, agent, "egress-denied");
      return finish(seq, agent, action, started, request.retries(), "egress-denied", -1, 0,
          t.failed(new Problem(Problem.Kind.EGRESS_DENIED, "the service's address is not allowed"), seq));
    } catch (java.net.http.HttpTimeoutException | java.net.SocketTimeoutException e) {
      return finish(seq, agent, action, started, request.retries(), "timeout", -1, 0,
          t.failed(new Problem(Problem.Kind.UPSTREAM_TIMEOUT, null), seq));
    } catch (IOException | RuntimeException e) {
      return finish(seq, agent, action, started, request.retries(), "unreachable", -1, 0,
          t.failed(new Problem(Problem.Kind.UPSTREAM, "the service could not be reached"), seq));
    }
    if (response.truncated()) {
      return finish(seq, agent, action, started, request.retries(), outcome, response.status(), response.body().length,
          t.failed(new Problem(Problem.Kind.UPSTREAM, "the service's answer exceeds this action's size limit ("
              + action.maxResponseBytes() / 1024 + " KiB)"), seq));
    }
    List<String> forms = injectedForms(service, secrets);
    forms.addAll(sessions.values(service));
    forms.addAll(sessionValuesSent);
    Set<String> dropped = service.auth() instanceof UpstreamAuth.SessionHeader h
        ? Set.of(h.header().toLowerCase(Locale.ROOT)) : Set.of();
    response.headers().forEach((name, values) -> {
      if (dropped.contains(name.toLowerCase(Locale.ROOT))) {
        forms.addAll(values); // a session id handed out in this answer (a 409 repeats it in its body)
      }
    });
    Scrubber scrubber = new Scrubber(forms);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    response.headers().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      // Gatehouse-* headers are the gateway's word about the answer; an upstream never speaks for it.
      if (!DROPPED_RESPONSE_HEADERS.contains(lower) && !dropped.contains(lower) && !values.isEmpty()
          && !lower.startsWith("gatehouse-")) {
        headers.put(name, scrubber.text(String.join(", ", values)));
      }
    });
    headers.put(AUDIT_SEQ_HEADER, Long.toString(seq));
    byte[] body = scrubber.bytes(response.body());
    // Scrubbed at all (bytes() returns its input untouched otherwise)? Only then look again for the
    // credentials alone: a session id the service hands out is no echo.
    if (body != response.body() && new Scrubber(secrets.values()).bytes(response.body()) != response.body()) {
      evidence(action, agent, "secret-echo"); // the answer held the credential itself; scrubbed
    }
    List<String> flags = flags(headers, body);
    if (!flags.isEmpty()) {
      headers.put(FLAGS_HEADER, String.join(", ", flags));
    }
    if (run.report()) {
      notifier.notify(new Notification("action.reported", clock.instant(), "agent " + agent.name() + " ran "
          + action.fullName() + " (act-and-report): status " + response.status(), Map.of("agent", agent.name(),
          "action", action.fullName(), "domain", action.domain().wire(), "status",
          Integer.toString(response.status()), "audit_seq", Long.toString(seq))));
    }
    t.ended(Metrics.Outcome.ANSWERED);
    return finish(seq, agent, action, started, request.retries(), outcome, response.status(), body.length, flags,
        new Answer(response.status(), headers, body));
  }

  // ---- layers ------------------------------------------------------------------------------

  private Action authorize(Catalog cat, Agent agent, String actionName) throws Refused {
    Optional<Action> action = cat.action(actionName);
    if (action.isEmpty()) {
      throw new Refused(Problem.Kind.UNKNOWN_ACTION, null);
    }
    if (!agent.allows(actionName)) {
      throw new Refused(Problem.Kind.FORBIDDEN, null);
    }
    return action.get();
  }

  /** The call's parameters, checked against the action: only declared ones, of their types and values. */
  static Map<String, JsonNode> parameters(Action action, byte[] body) throws Refused {
    JsonNode n;
    try {
      n = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "the body must be a JSON object of parameters");
    }
    if (n == null || !n.isObject()) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "the body must be a JSON object of parameters");
    }
    Map<String, JsonNode> params = new LinkedHashMap<>();
    for (var it = n.fields(); it.hasNext(); ) {
      var f = it.next();
      Action.Param p = action.params().get(f.getKey());
      if (p == null) {
        throw new Refused(Problem.Kind.BAD_PARAMETERS, "unknown parameter '" + safe(f.getKey()) + "'; this action takes "
            + action.params().keySet());
      }
      JsonNode v = f.getValue();
      JsonNode value = switch (p.type()) {
        case STRING -> v.isTextual() ? v : null;
        case INTEGER -> v.isIntegralNumber() ? v
            : v.isTextual() && INTEGER_TEXT.matcher(v.asText()).matches() ? JSON.getNodeFactory().numberNode(Long.parseLong(v.asText()))
            : null;
        case BOOLEAN -> v.isBoolean() ? v : v.isTextual() && BOOLEAN_TEXT.matcher(v.asText()).matches()
            ? JSON.getNodeFactory().booleanNode(Boolean.parseBoolean(v.asText())) : null;
        case JSON -> v;
      };
      if (value == null) {
        throw new Refused(Problem.Kind.BAD_PARAMETERS, "parameter '" + f.getKey() + "' must be "
            + p.type().name().toLowerCase(Locale.ROOT));
      }
      if (!p.values().isEmpty() && !p.values().contains(value.asText())) {
        throw new Refused(Problem.Kind.BAD_PARAMETERS, "parameter '" + f.getKey() + "' must be one of " + p.values());
      }
      params.put(f.getKey(), value);
    }
    for (var e : action.params().entrySet()) {
      if (e.getValue().required() && !params.containsKey(e.getKey())) {
        throw new Refused(Problem.Kind.BAD_PARAMETERS, "parameter '" + e.getKey() + "' is required");
      }
    }
    return params;
  }

  /** The service's credentials, by entry name, as the vault stands in the call's view of it. */
  private Map<String, String> credentials(Service service, Vault.View view) throws Refused {
    Map<String, String> secrets = new LinkedHashMap<>();
    try {
      long generation = view.generation();
      for (String name : service.auth().secrets()) {
        CachedSecret c = credentials.get(name);
        if (c == null || c.generation() != generation) {
          try (SecretValue v = view.reveal(name, SecretAccess.get()).orElseThrow(
              () -> new Refused(Problem.Kind.UPSTREAM, "the service's credential is missing from the vault"))) {
            c = new CachedSecret(generation, new String(v.bytes(SecretAccess.get()), StandardCharsets.UTF_8));
          }
          credentials.put(name, c);
        }
        secrets.put(name, c.value());
      }
    } catch (RuntimeException e) {
      throw new Refused(Problem.Kind.SEALED, null); // sealed since the view was taken
    }
    return secrets;
  }

  static Upstream.Request build(Service service, Action action, Map<String, JsonNode> params,
      Map<String, String> secrets) throws Refused {
    Set<String> used = new HashSet<>();
    StringBuilder path = new StringBuilder(service.baseUrl().basePath());
    List<String[]> query = new ArrayList<>();
    try {
      if (action.passThrough()) {
        String raw = params.get("path").asText();
        used.add("path");
        int q = raw.indexOf('?');
        String decoded = PathRules.normalize(q < 0 ? raw : raw.substring(0, q));
        if (action.allowPaths().stream().noneMatch(g -> Globs.matchesPath(g, decoded))) {
          throw new Refused(Problem.Kind.PATH_REFUSED, "allowed here: " + action.allowPaths());
        }
        path.append(PathRules.encodePath(decoded));
        if (q >= 0) {
          for (String pair : raw.substring(q + 1).split("&")) {
            if (pair.isEmpty()) {
              continue;
            }
            int eq = pair.indexOf('=');
            String k = PathRules.decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : PathRules.decode(pair.substring(eq + 1));
            if (!isCredentialName(k, service)) {
              query.add(new String[] {k, v});
            }
          }
        }
      } else {
        var m = Catalog.HOLE.matcher(action.path());
        int last = 0;
        while (m.find()) {
          path.append(action.path(), last, m.start()).append(PathRules.segment(params.get(m.group(1)).asText()));
          used.add(m.group(1));
          last = m.end();
        }
        path.append(action.path().substring(last));
      }
    } catch (IllegalArgumentException e) {
      throw new Refused(Problem.Kind.PATH_REFUSED, e.getMessage());
    }
    for (var e : action.query().entrySet()) {
      var m = Catalog.HOLE.matcher(e.getValue());
      StringBuilder v = new StringBuilder();
      boolean missing = false;
      int last = 0;
      while (m.find()) {
        String value = params.containsKey(m.group(1)) ? params.get(m.group(1)).asText() : null;
        used.add(m.group(1));
        missing |= value == null;
        v.append(e.getValue(), last, m.start()).append(value == null ? "" : value);
        last = m.end();
      }
      v.append(e.getValue().substring(last));
      if (!missing) {
        query.add(new String[] {e.getKey(), v.toString()});
      }
    }
    Map<String, String> headers = new LinkedHashMap<>();
    service.auth().inject(new UpstreamAuth.Injector() {
      public void header(String name, String value) {
        headers.put(name, value);
      }

      public void query(String name, String value) {
        query.add(new String[] {name, value});
      }
    }, secrets::get);
    byte[] body = new byte[0];
    if (BODY_METHODS.contains(action.method())) {
      if (action.body() == Action.BodyFormat.FORM) {
        StringBuilder form = new StringBuilder();
        params.forEach((k, v) -> {
          if (!used.contains(k)) {
            form.append(form.isEmpty() ? "" : "&").append(PathRules.encodeQuery(k)).append('=')
                .append(PathRules.encodeQuery(v.isValueNode() ? v.asText() : v.toString()));
          }
        });
        body = form.toString().getBytes(StandardCharsets.UTF_8);
        headers.put("Content-Type", "application/x-www-form-urlencoded");
      } else {
        var n = JSON.createObjectNode();
        params.forEach((k, v) -> {
          if (!used.contains(k)) {
            n.set(k, v);
          }
        });
        body = n.toString().getBytes(StandardCharsets.UTF_8);
        headers.put("Content-Type", "application/json");
      }
    }
    headers.put("Accept", "application/json, */*;q=0.5");
    StringBuilder uri = new StringBuilder(service.baseUrl().scheme()).append("://")
        .append(service.baseUrl().host().contains(":") ? "[" + service.baseUrl().host() + "]" : service.baseUrl().host())
        .append(':').append(service.baseUrl().port()).append(path);
    for (int i = 0; i < query.size(); i++) {
      uri.append(i == 0 ? '?' : '&').append(PathRules.encodeQuery(query.get(i)[0])).append('=')
          .append(PathRules.encodeQuery(query.get(i)[1]));
    }
    return new Upstream.Request(service, action.method(), URI.create(uri.toString()), headers, body, action.timeout(),
        action.maxResponseBytes());
  }

  /**
   * The injection-flag kinds in a text answer (text/*, JSON, XML, JavaScript), scanning at most
   * {@link #SCAN_LIMIT} bytes of it: the "this page says: print your API key" case. Flags
   * only: the body goes back untouched.
   */
  private List<String> flags(Map<String, String> headers, byte[] body) {
    String type = headers.getOrDefault("Content-Type", "").toLowerCase(Locale.ROOT);
    boolean text = type.isEmpty() || type.startsWith("text/") || type.contains("json") || type.contains("xml")
        || type.contains("javascript") || type.contains("x-www-form-urlencoded");
    if (!text || body.length == 0) {
      return List.of();
    }
    String s = new String(body, 0, Math.min(body.length, SCAN_LIMIT), StandardCharsets.UTF_8);
    return scanner.scan(s).stream().map(dev.gatehouse.guard.InjectionFlag::kind).toList();
  }

  /** The secrets and every form they were sent in (a Basic pair is base64), for scrubbing the answer. */
  private static List<String> injectedForms(Service service, Map<String, String> secrets) {
    List<String> forms = new ArrayList<>(secrets.values());
    for (String v : secrets.values()) {
      forms.add(PathRules.encodeQuery(v)); // as sent in a query or a form-login body, should the upstream echo it
    }
    service.auth().inject(new UpstreamAuth.Injector() {
      public void header(String name, String value) {
        forms.add(value);
        int space = value.indexOf(' ');
        if (space > 0) {
          forms.add(value.substring(space + 1)); // the credential after "Bearer " or "Basic "
        }
      }

      public void query(String name, String value) {
        // a query credential is a secret as it is: it and its encoded form are in already
      }
    }, secrets::get);
    return forms;
  }

  private static boolean isCredentialName(String name, Service service) {
    String n = name.toLowerCase(Locale.ROOT);
    return CREDENTIAL_NAMES.contains(n) || service.auth().credentialNames().contains(n);
  }

  /** A redirect refusal, carried through the session layer as an IOException. */
  private static final class RefusedRedirect extends IOException {
    final Refused refused;

    RefusedRedirect(Refused refused) {
      super(refused.problem().kind().slug);
      this.refused = refused;
    }
  }

  private Upstream.Response sendFollowingSameOrigin(Upstream.Request request, Action action)
      throws IOException, EgressDeniedException {
    try {
      return followSameOrigin(request, action);
    } catch (Refused r) {
      throw new RefusedRedirect(r);
    }
  }

  /** Follows a redirect only to the same scheme, host and port, and only to a path the action may reach. */
  private Upstream.Response followSameOrigin(Upstream.Request request, Action action)
      throws IOException, EgressDeniedException, Refused {
    Upstream.Request current = request;
    for (int hop = 0; ; hop++) {
      Upstream.Response r = upstream.send(current);
      if (r.status() < 300 || r.status() >= 400 || r.status() == 304) {
        return r;
      }
      List<String> location = r.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("location"))
          .flatMap(e -> e.getValue().stream()).toList();
      if (location.isEmpty()) {
        return r;
      }
      if (hop >= MAX_REDIRECTS) {
        throw new Refused(Problem.Kind.UPSTREAM, "the service redirected too many times");
      }
      URI next;
      try {
        next = current.uri().resolve(location.get(0));
      } catch (IllegalArgumentException e) {
        throw new Refused(Problem.Kind.UPSTREAM, "the service redirected to a malformed location");
      }
      URI from = current.uri();
      if (!from.getScheme().equalsIgnoreCase(String.valueOf(next.getScheme()))
          || !from.getHost().equalsIgnoreCase(String.valueOf(next.getHost())) || from.getPort() != portOf(next)
          || next.getRawUserInfo() != null) {
        throw new Refused(Problem.Kind.UPSTREAM, "the service redirected to another host; not followed");
      }
      String decoded;
      try {
        decoded = PathRules.normalize(next.getRawPath() == null || next.getRawPath().isEmpty() ? "/" : next.getRawPath());
      } catch (IllegalArgumentException e) {
        throw new Refused(Problem.Kind.UPSTREAM, "the service redirected to a refused path");
      }
      String base = current.service().baseUrl().basePath();
      // Inside the base path means the base itself or below it at a segment boundary (/sub, not /subx).
      String relative = decoded.equals(base) ? "/"
          : decoded.startsWith(base + "/") ? decoded.substring(base.length()) : null;
      if (relative == null || (action.passThrough()
          && action.allowPaths().stream().noneMatch(g -> Globs.matchesPath(g, relative)))) {
        throw new Refused(Problem.Kind.UPSTREAM, "the service redirected outside this action's paths");
      }
      current = new Upstream.Request(current.service(), r.status() == 303 ? "GET" : current.method(), next,
          current.headers(), r.status() == 303 ? new byte[0] : current.body(), current.timeout(),
          current.maxResponseBytes(), current.retries());
    }
  }

  private static int portOf(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  // ---- answers and records -----------------------------------------------------------------

  /** Evidence against {@code agent} in the action's domain; never fails the call. */
  private void evidence(Action action, Agent agent, String kind) {
    try {
      trust.evidence(action.domain(), agent.name(), kind);
    } catch (RuntimeException e) {
      // the refusal or the answer stands either way; the store reports its own failures
    }
  }

  /**
   * The answer to a call trust did not let run: described (403 trust-inform with {@code would})
   * or waiting for the owner (202 with the approval); its entry is the nonce's record too.
   */
  private Answer answerUndone(TrustStage.Decision decision, NonceStore.Recording nonce, Call call, Action action,
      String actor, String via, Tally t) {
    Map<String, String> details = new TreeMap<>();
    details.put("remote", call.remote());
    details.put("domain", action.domain().wire());
    if (via != null) {
      details.put("via", via);
    }
    if (nonce != null) {
      details.putAll(nonce.details());
    }
    long seq;
    try {
      if (decision instanceof TrustStage.AwaitApproval a) {
        details.put("approval", a.approval().id());
        seq = audit.record(new AuditEvent("broker.call", actor, action.fullName(), "pending", details));
      } else {
        seq = audit.record(new AuditEvent("broker.call", actor, action.fullName(), "described", details));
      }
    } catch (RuntimeException e) {
      return t.refused(new Problem(Problem.Kind.AUDIT_UNAVAILABLE, null), -1);
    }
    if (!onRecord(nonce, seq)) {
      return t.refused(new Problem(Problem.Kind.AUDIT_UNAVAILABLE, "the replay record could not be made"), seq);
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put(AUDIT_SEQ_HEADER, Long.toString(seq));
    var n = JSON.createObjectNode();
    t.ended(decision instanceof TrustStage.AwaitApproval ? Metrics.Outcome.PENDING : Metrics.Outcome.DESCRIBED);
    if (decision instanceof TrustStage.AwaitApproval a) {
      n.put("approval", a.approval().id());
      n.put("status", a.approval().status().wire());
      n.put("expires", a.approval().expires().toString());
      n.put("poll", APPROVALS_PREFIX + a.approval().id());
      headers.put("Content-Type", "application/json");
      headers.put("Location", APPROVALS_PREFIX + a.approval().id());
      return new Answer(202, headers, n.toString().getBytes(StandardCharsets.UTF_8));
    }
    Problem p = new Problem(Problem.Kind.TRUST_INFORM, "level 1 (inform) in the domain '" + action.domain().wire()
        + "': this is what would have been done; nothing ran");
    n = p.node(seq);
    n.set("would", ((TrustStage.Describe) decision).would());
    headers.put("Content-Type", "application/problem+json");
    return new Answer(p.status(), headers, n.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * How one call ended, for {@link Metrics}: set where its answer is made, reported once the
   * call returns. Holds closed-set values only (an action of the catalog or "unknown", an
   * outcome, a problem kind's slug).
   */
  private static final class Tally {
    String action = Metrics.UNKNOWN_ACTION;
    Metrics.Outcome outcome = Metrics.Outcome.REFUSED;
    String cause;

    /** {@code answer}, a refusal of kind {@code kind} made before any upstream request. */
    Answer refused(Problem.Kind kind, Answer answer) {
      outcome = Metrics.Outcome.REFUSED;
      cause = kind.slug;
      return answer;
    }

    Answer refused(Problem p, long seq) {
      return refused(p.kind(), answer(p, seq));
    }

    /** {@code p} as the answer to an allowed call whose upstream part failed. */
    Answer failed(Problem p, long seq) {
      outcome = Metrics.Outcome.FAILED;
      cause = p.kind().slug;
      return answer(p, seq);
    }

    void ended(Metrics.Outcome o) {
      outcome = o;
      cause = null;
    }
  }

  /** A refusal before any signature verified: the caller is unknown, whatever key id it claimed. */
  private Answer refuseUnauthenticated(Refused r, Call call, String actionName) {
    return refuse(r, call, actionName, "unauthenticated", null);
  }

  /** A refusal of a call signed by {@code actor} (through entry {@code via}, or null): the evidence names who tried. */
  private Answer refuse(Refused r, Call call, String actionName, String actor, String via) {
    return refuse(r, call, actionName, actor, via, null);
  }

  /** A refusal after the signature; its entry is {@code nonce}'s record too, when there is one. */
  private Answer refuse(Refused r, Call call, String actionName, String actor, String via,
      NonceStore.Recording nonce) {
    Map<String, String> details = new TreeMap<>();
    if (via != null) {
      details.put("via", via);
    }
    if (nonce != null) {
      details.putAll(nonce.details());
    }
    long seq = recordRefusal(audit, "broker.call", r, call, safe(actionName), actor, details);
    if (nonce != null && seq >= 0) {
      nonce.recordedIn(seq);
    }
    return refusalAnswer(r, seq);
  }

  /**
   * After entry {@code seq}, which carries {@code nonce}'s details, is durable: the use is on
   * record (nothing to do for a null {@code nonce}, awaited by the caller). False if the
   * replay record could not be made (the call must not act).
   */
  private static boolean onRecord(NonceStore.Recording nonce, long seq) {
    if (nonce == null) {
      return true;
    }
    nonce.recordedIn(seq);
    try {
      nonce.await();
      return true;
    } catch (NonceStore.Unrecorded e) {
      return false;
    }
  }

  /**
   * Records refusal {@code r} of {@code call} as a {@code denied} entry of {@code eventType}
   * and answers it as problem+json; the refusal stands even if it cannot be recorded.
   */
  public static Answer refusal(AuditLog audit, String eventType, Refused r, Call call, String subject, String actor) {
    return refusal(audit, eventType, r, call, subject, actor, Map.of());
  }

  /** {@link #refusal(AuditLog, String, Refused, Call, String, String)} with {@code extra} details in the entry. */
  public static Answer refusal(AuditLog audit, String eventType, Refused r, Call call, String subject, String actor,
      Map<String, String> extra) {
    return refusalAnswer(r, recordRefusal(audit, eventType, r, call, subject, actor, extra));
  }

  /** Records refusal {@code r} as a {@code denied} entry; its seq, or -1 if it could not be recorded. */
  private static long recordRefusal(AuditLog audit, String eventType, Refused r, Call call, String subject,
      String actor, Map<String, String> extra) {
    long seq = -1;
    try {
      Map<String, String> details = new TreeMap<>(extra);
      details.put("reason", r.problem().kind().slug);
      details.put("remote", call.remote());
      if (r.problem().detail() != null && r.problem().kind() == Problem.Kind.RATE_LIMITED) {
        details.put("limit", r.problem().detail());
      }
      seq = audit.record(new AuditEvent(eventType, actor, subject, "denied", details));
    } catch (RuntimeException e) {
      // the refusal stands either way
    }
    return seq;
  }

  /** Refusal {@code r} as problem+json, naming its entry {@code seq} when there is one. */
  private static Answer refusalAnswer(Refused r, long seq) {
    Answer a = answer(r.problem(), seq);
    if (r.retryAfterSeconds() > 0) {
      a.headers().put("Retry-After", Long.toString(r.retryAfterSeconds()));
    }
    return a;
  }

  private Answer finish(long seq, Agent agent, Action action, Instant started, Upstream.Retries retries,
      String outcome, int status, int bytes, Answer answer) {
    return finish(seq, agent, action, started, retries, outcome, status, bytes, List.of(), answer);
  }

  private Answer finish(long seq, Agent agent, Action action, Instant started, Upstream.Retries retries,
      String outcome, int status, int bytes, List<String> flags, Answer answer) {
    Map<String, String> details = new TreeMap<>();
    details.put("call_seq", Long.toString(seq));
    if (retries.count() > 0) {
      details.put("retried", Integer.toString(retries.count())); // a request sent again on a fresh connection
    }
    details.put("status", Integer.toString(status));
    details.put("bytes", Integer.toString(bytes));
    details.put("ms", Long.toString(Duration.between(started, clock.instant()).toMillis()));
    if (!flags.isEmpty()) {
      details.put("flags", String.join(",", flags));
    }
    try {
      // An outcome, not a decision (the decision was made durable before the call): the
      // answer does not wait for the disk.
      audit.recordEventually(new AuditEvent("broker.result", "agent:" + agent.name(), action.fullName(), outcome,
          details));
    } catch (RuntimeException e) {
      // the upstream call already happened and its decision is on record; the answer goes back
    }
    return answer;
  }

  /** {@code p} as problem+json, naming audit entry {@code seq} when there is one. */
  public static Answer answer(Problem p, long seq) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/problem+json");
    if (seq >= 0) {
      headers.put(AUDIT_SEQ_HEADER, Long.toString(seq));
    }
    return new Answer(p.status(), headers, p.json(seq));
  }

  private static Map<String, String> describe(Map<String, JsonNode> params, Call call) {
    Map<String, String> d = new TreeMap<>();
    params.forEach((k, node) -> {
      String v = node.isValueNode() ? node.asText() : node.toString();
      d.put("param." + k, v.length() > 200 ? v.substring(0, 200) + "…" : v);
    });
    d.put("remote", call.remote());
    return d;
  }

  /** Caller-chosen text echoed in a problem: short and printable. */
  private static String safe(String s) {
    return Problem.printable(s, 64);
  }
}
