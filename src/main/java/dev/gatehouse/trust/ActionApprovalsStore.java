package dev.gatehouse.trust;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.otp.Base32;
import dev.gatehouse.otp.CodeInput;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.VerifyOutcome;
import dev.gatehouse.store.StateDb;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The owner's approvals queue in {@code state.db} (DESIGN §10), table {@code action_approvals}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>An id is {@value #ID_LENGTH} characters of lower-case base32 holding 128 bits from the
 *       injected {@link SecureRandom}: unguessable, URL-safe, and never reused.
 *   <li>An approval is valid from its creation until exactly {@code trust.approval_minutes}
 *       later; from then on a pending or approved (unused) one reads {@link Status#EXPIRED},
 *       cannot be approved, denied or redeemed, and counts as denied. Expiry is computed on
 *       every read, never stored.
 *   <li>An agent has at most one pending approval per request: {@link #open} for the same
 *       (agent, request SHA-256) while one is pending returns it.
 *   <li>{@link #redeem} spends an approval at most once, and only for the agent and the exact
 *       request SHA-256 it was opened for; a redeem for anything else changes nothing.
 *   <li>Approving a request in a domain of {@code trust.approve_with_code} needs a fresh code
 *       from the owner's authenticator app, verified by the TOTP core (its replay memory and
 *       lockout, shared with {@code totp verify}, {@code exec} and the chat gate); recovery
 *       codes are refused here, before they are looked at. A code given for another domain
 *       is verified too.
 *   <li>Every change ({@code approval.open}, {@code approval.approve}, {@code approval.deny},
 *       {@code approval.use}) is recorded in the audit log inside the {@code state.db}
 *       transaction that makes it, before its commit: no process sees a change that is not on
 *       record, and a failed record leaves nothing changed. (Lock order, as everywhere:
 *       {@code state.db}, then the audit log. A code is verified outside any transaction.)
 *   <li>A denial is reported as {@code owner-denied} evidence to {@link Trust}, and an opened
 *       approval to the {@link Notifier}, both after the change is committed; neither can
 *       change or undo the decision.
 * </ul>
 */
public final class ActionApprovalsStore implements ActionApprovals {
  public static final int ID_LENGTH = 26;
  /** Longest summary kept; longer ones are cut (the summary is for the owner's eyes, not the decision). */
  public static final int MAX_SUMMARY_CHARS = 2000;
  /** Longest reason the owner may give for a denial. */
  public static final int MAX_REASON_CHARS = 500;
  /** How many decided, used or expired approvals {@link #list} shows after the pending ones. */
  public static final int LIST_RECENT = 50;
  private static final Pattern ID = Pattern.compile("[a-z2-7]{" + ID_LENGTH + "}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String COLUMNS =
      "id, agent, action, domain, request_sha256, status, created_at, expires_at, summary";

  /** What the owner's approval gave. */
  public sealed interface Approved {}

  /** The approval is granted: the request may now run once. */
  public record Done(Approval approval) implements Approved {}

  /** The owner's code was refused (wrong, replayed, locked out): nothing changed. */
  public record CodeRefused(VerifyOutcome outcome) implements Approved {}

  private final StateDb db;
  private final AuditLog audit;
  private final Trust trust;
  private final Notifier notifier;
  private final TotpService totp;
  private final Clock clock;
  private final SecureRandom random;
  private final Supplier<Config.TrustSettings> settings;

  public ActionApprovalsStore(StateDb db, AuditLog audit, Trust trust, Notifier notifier, TotpService totp,
      Clock clock, SecureRandom random, Supplier<Config.TrustSettings> settings) {
    this.db = Objects.requireNonNull(db, "db");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.trust = Objects.requireNonNull(trust, "trust");
    this.notifier = Objects.requireNonNull(notifier, "notifier");
    this.totp = Objects.requireNonNull(totp, "totp");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if agent or action is empty or {@code requestSha256} is
   *     not 64 lower-case hex digits (the broker computes them; this is a programming error)
   * @throws RefusedException if the approval or its audit entry cannot be written (nothing changed)
   */
  @Override
  public Approval open(String agent, String action, Domain domain, String requestSha256, String summary) {
    if (agent == null || agent.isEmpty() || action == null || action.isEmpty() || domain == null
        || requestSha256 == null || !SHA256.matcher(requestSha256).matches()) {
      throw new IllegalArgumentException("an approval needs an agent, an action, a domain and a request SHA-256");
    }
    String text = summary(summary);
    Instant now = clock.instant();
    Instant expires = now.plus(Duration.ofMinutes(settings.get().approvalMinutes()));
    record Opened(Approval approval, boolean isNew) {}
    Opened opened;
    try {
      opened = db.transaction(c -> {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM action_approvals"
            + " WHERE agent = ? AND request_sha256 = ? AND status = 'pending' AND expires_at > ?"
            + " ORDER BY created_at LIMIT 1")) {
          s.setString(1, agent);
          s.setString(2, requestSha256);
          s.setLong(3, now.toEpochMilli());
          try (ResultSet rs = s.executeQuery()) {
            if (rs.next()) {
              return new Opened(approval(rs, now), false);
            }
          }
        }
        String id = unusedId(c);
        Approval a = new Approval(id, agent, action, domain, requestSha256, Status.PENDING, now, expires, text);
        Map<String, String> d = details(a);
        d.put("expires", expires.toString());
        audit.record(new AuditEvent("approval.open", "agent:" + agent, action, "pending", d));
        try (PreparedStatement s = c.prepareStatement("INSERT INTO action_approvals (id, agent, action, domain,"
            + " request_sha256, summary, created_at, expires_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')")) {
          s.setString(1, id);
          s.setString(2, agent);
          s.setString(3, action);
          s.setString(4, domain.wire());
          s.setString(5, requestSha256);
          s.setString(6, text);
          s.setLong(7, now.toEpochMilli());
          s.setLong(8, expires.toEpochMilli());
          s.executeUpdate();
        }
        return new Opened(a, true);
      });
    } catch (SQLException e) {
      throw new RefusedException("the approval cannot be recorded in " + db.name() + " (" + e.getMessage() + ")", e);
    }
    if (opened.isNew()) {
      tellOwner(opened.approval());
    }
    return opened.approval();
  }

  /** Never lets a notifier's failure reach the decision (a notifier must not throw; this is belt and braces). */
  private void tellOwner(Approval a) {
    try {
      notifier.notify(new Notification("approval.pending", a.created(),
          "agent " + a.agent() + " asks to run " + a.action() + " (" + a.domain().wire() + "); approve or deny it with "
              + "`gatehouse approvals approve|deny " + a.id() + "` before " + a.expires(),
          Map.of("approval", a.id(), "agent", a.agent(), "action", a.action(), "domain", a.domain().wire(),
              "expires", a.expires().toString())));
    } catch (RuntimeException e) {
      // the approval stands; delivery is the notifier's to retry and audit
    }
  }

  /** {@inheritDoc} An id that is not shaped like one is simply unknown. */
  @Override
  public Optional<Approval> find(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    try {
      return db.read(c -> row(c, id, now));
    } catch (SQLException e) {
      throw new RefusedException("the approvals in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checked in this order: the id is known ({@code unknown}); it was opened for this agent
   * and this request ({@code other-request}); it is approved, not used, denied, pending or
   * expired. Only a grant changes anything: the approval becomes USED, recorded as
   * {@code approval.use} before the commit.
   *
   * @throws RefusedException if the state or the audit entry cannot be written (not granted, nothing changed)
   */
  @Override
  public Redeemed redeem(String id, String agent, String requestSha256) {
    if (id == null || !ID.matcher(id).matches()) {
      return new NotGranted("unknown");
    }
    Instant now = clock.instant();
    try {
      return db.transaction(c -> {
        Optional<Approval> found = row(c, id, now);
        if (found.isEmpty()) {
          return new NotGranted("unknown");
        }
        Approval a = found.get();
        if (!a.agent().equals(agent) || !a.requestSha256().equals(requestSha256)) {
          return new NotGranted("other-request");
        }
        if (a.status() != Status.APPROVED) {
          return new NotGranted(a.status().wire());
        }
        audit.record(new AuditEvent("approval.use", "agent:" + agent, a.action(), "used", details(a)));
        try (PreparedStatement s = c.prepareStatement("UPDATE action_approvals SET status = 'used', used_at = ?"
            + " WHERE id = ? AND status = 'approved'")) {
          s.setLong(1, now.toEpochMilli());
          s.setString(2, id);
          if (s.executeUpdate() != 1) {
            throw new SQLException("approval changed inside its own transaction");
          }
        }
        return new Granted(with(a, Status.USED));
      });
    } catch (SQLException e) {
      throw new RefusedException("the approval cannot be spent in " + db.name() + " (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The owner approves pending approval {@code id}. In a domain of
   * {@code trust.approve_with_code} {@code code} must be a fresh code from the authenticator
   * app; elsewhere it may be null (a code given anyway is verified, and must be right).
   *
   * @return {@link Done}, or {@link CodeRefused} when the code was wrong, replayed or the
   *     owner is locked out (it counted; nothing else changed)
   * @throws BadInputException if {@code id} is not shaped like an approval id, the code is
   *     missing where it is needed, malformed, or a recovery code (nothing was spent)
   * @throws RefusedException if no such approval exists, it is not pending (approved,
   *     denied, used, expired), it changed while the code was checked, or the change cannot
   *     be recorded
   */
  public Approved approve(String id, String code, String actor) {
    String canonical = canonicalId(id);
    // Checked before the code: a code is never spent on what cannot be approved.
    Approval a = find(canonical).orElseThrow(() -> unknown(canonical));
    if (a.status() != Status.PENDING) {
      throw notDecidable(a);
    }
    boolean needsCode = needsCode(a);
    if (code == null && needsCode) {
      throw new BadInputException("approvals in the " + a.domain().wire() + " domain need a fresh code from your "
          + "authenticator app: add --code (trust.approve_with_code)");
    }
    if (code != null) {
      if (!(CodeInput.parse(code) instanceof CodeInput.TotpCode)) {
        throw new BadInputException("approve with a code from the authenticator app, not a recovery code; it was "
            + "not used");
      }
      VerifyOutcome verified = totp.verify(code, actor);
      if (!(verified instanceof VerifyOutcome.Accepted)) {
        Map<String, String> d = details(a);
        d.put("code", "refused");
        audit.record(new AuditEvent("approval.approve", actor, a.action(), "code-refused", d));
        return new CodeRefused(verified);
      }
    }
    Instant now = clock.instant();
    Approval done = decide(canonical, actor, now, "approve", d -> d.put("code", code == null ? "none" : "totp"),
        null);
    return new Done(done);
  }

  /**
   * Approves {@code id} for an owner-plane user whose own authenticator code the caller has
   * verified within the last 5 minutes: in a {@code trust.approve_with_code} domain that code
   * stands in for the home's, and {@code verifiedBy} (e.g. {@code owner-reauth}) is recorded
   * in the audit entry's {@code code} detail where a code given here records {@code totp}.
   * The caller, not this store, is responsible for that check.
   *
   * @throws BadInputException if {@code id} is not shaped like an approval id
   * @throws RefusedException as {@link #approve}
   */
  public Approval approveVerified(String id, String actor, String verifiedBy) {
    String canonical = canonicalId(id);
    return decide(canonical, actor, clock.instant(), "approve", d -> d.put("code", verifiedBy), null);
  }

  /** Whether approving {@code a} needs a fresh code ({@code trust.approve_with_code}). */
  public boolean needsCode(Approval a) {
    return settings.get().approveWithCode().contains(a.domain());
  }

  /**
   * The owner denies approval {@code id}, pending or approved but not yet used: it can never
   * run, and the denial counts as {@code owner-denied} evidence against its agent in its domain.
   *
   * @param reason the owner's words, at most {@value #MAX_REASON_CHARS} characters; may be null
   * @throws BadInputException if {@code id} is not shaped like an approval id, or the reason
   *     is too long or holds control characters
   * @throws RefusedException if no such approval exists, it is used, denied or expired, or
   *     the change cannot be recorded
   */
  public Approval deny(String id, String actor, String reason) {
    String canonical = canonicalId(id);
    String why = reason == null ? null : reason.strip();
    if (why != null && (why.length() > MAX_REASON_CHARS || why.codePoints().anyMatch(Character::isISOControl))) {
      throw new BadInputException("a reason is one line of at most " + MAX_REASON_CHARS + " characters");
    }
    Approval denied = decide(canonical, actor, clock.instant(), "deny", d -> {
      if (why != null && !why.isEmpty()) {
        d.put("reason", why);
      }
    }, why == null || why.isEmpty() ? null : why);
    try {
      trust.evidence(denied.domain(), denied.agent(), "owner-denied");
    } catch (RuntimeException e) {
      // the denial stands; demotion is the trust store's to record
    }
    return denied;
  }

  private static RefusedException unknown(String id) {
    return new RefusedException("no approval " + id + "; `gatehouse approvals list` shows them");
  }

  private static RefusedException notDecidable(Approval a) {
    return new RefusedException("approval " + a.id() + switch (a.status()) {
      case EXPIRED -> " expired at " + a.expires() + " and counts as denied; the agent has to ask again";
      case USED -> " was used: its request ran";
      case APPROVED -> " is approved already (until it is used, deny still takes it back)";
      default -> " is " + a.status().wire() + " already";
    });
  }

  /**
   * Approves or denies {@code id} in one transaction, if it is still decidable (the state is
   * read again: it may have changed while a code was checked).
   */
  private Approval decide(String id, String actor, Instant now, String verb,
      java.util.function.Consumer<Map<String, String>> more, String reason) {
    boolean approve = verb.equals("approve");
    record Result(Approval approval, RefusedException refused) {}
    Result result;
    try {
      result = db.transaction(c -> {
        Optional<Approval> found = row(c, id, now);
        if (found.isEmpty()) {
          return new Result(null, unknown(id));
        }
        Approval a = found.get();
        if (a.status() != Status.PENDING && (approve || a.status() != Status.APPROVED)) {
          return new Result(null, notDecidable(a));
        }
        Map<String, String> d = details(a);
        more.accept(d);
        if (!approve && a.status() == Status.APPROVED) {
          d.put("revoked", "true"); // approved, not yet used: the denial takes the approval back
        }
        audit.record(new AuditEvent("approval." + verb, actor, a.action(), approve ? "approved" : "denied", d));
        try (PreparedStatement s = c.prepareStatement("UPDATE action_approvals SET status = ?, decided_at = ?,"
            + " decided_by = ?, reason = ? WHERE id = ? AND status = ?")) {
          s.setString(1, approve ? "approved" : "denied");
          s.setLong(2, now.toEpochMilli());
          s.setString(3, actor);
          s.setString(4, reason);
          s.setString(5, id);
          s.setString(6, a.status().wire());
          if (s.executeUpdate() != 1) {
            throw new SQLException("approval changed inside its own transaction");
          }
        }
        return new Result(with(a, approve ? Status.APPROVED : Status.DENIED), null);
      });
    } catch (SQLException e) {
      throw new RefusedException("the decision cannot be recorded in " + db.name() + " (" + e.getMessage() + ")", e);
    }
    if (result.refused() != null) {
      throw result.refused();
    }
    return result.approval();
  }

  /**
   * What the owner is shown: every approval still pending (oldest first), then the
   * {@value #LIST_RECENT} most recent others (approved, denied, used, expired; newest first).
   */
  public List<Approval> list() {
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    try {
      return db.read(c -> {
        List<Approval> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM action_approvals"
            + " WHERE status = 'pending' AND expires_at > ? ORDER BY created_at, id")) {
          s.setLong(1, nowMs);
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              out.add(approval(rs, now));
            }
          }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM action_approvals"
            + " WHERE NOT (status = 'pending' AND expires_at > ?) ORDER BY created_at DESC, id LIMIT " + LIST_RECENT)) {
          s.setLong(1, nowMs);
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              out.add(approval(rs, now));
            }
          }
        }
        return out;
      });
    } catch (SQLException e) {
      throw new RefusedException("the approvals in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * {@code typed} as stored: surrounding whitespace removed, lower case.
   *
   * @throws BadInputException unless it is then {@value #ID_LENGTH} characters of a-z and 2-7
   */
  public static String canonicalId(String typed) {
    String t = typed == null ? "" : typed.strip().toLowerCase(Locale.ROOT);
    if (!ID.matcher(t).matches()) {
      throw new BadInputException("an approval id is " + ID_LENGTH + " characters of a-z and 2-7, as `gatehouse "
          + "approvals list` shows it");
    }
    return t;
  }

  private Optional<Approval> row(Connection c, String id, Instant now) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM action_approvals WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(approval(rs, now)) : Optional.empty();
      }
    }
  }

  /** A row as it stands at {@code now}: a pending or approved one past its expiry reads EXPIRED. */
  private static Approval approval(ResultSet rs, Instant now) throws SQLException {
    String stored = rs.getString(6);
    Status status = switch (stored) {
      case "pending" -> Status.PENDING;
      case "approved" -> Status.APPROVED;
      case "denied" -> Status.DENIED;
      case "used" -> Status.USED;
      default -> throw new SQLException("approval " + rs.getString(1) + " has an unknown status");
    };
    Instant expires = Instant.ofEpochMilli(rs.getLong(8));
    if ((status == Status.PENDING || status == Status.APPROVED) && !now.isBefore(expires)) {
      status = Status.EXPIRED;
    }
    Optional<Domain> domain = Domain.parse(rs.getString(4));
    if (domain.isEmpty()) {
      throw new SQLException("approval " + rs.getString(1) + " has an unknown domain");
    }
    return new Approval(rs.getString(1), rs.getString(2), rs.getString(3), domain.get(), rs.getString(5), status,
        Instant.ofEpochMilli(rs.getLong(7)), expires, rs.getString(9));
  }

  private static Approval with(Approval a, Status status) {
    return new Approval(a.id(), a.agent(), a.action(), a.domain(), a.requestSha256(), status, a.created(),
        a.expires(), a.summary());
  }

  private static Map<String, String> details(Approval a) {
    Map<String, String> d = new TreeMap<>();
    d.put("approval", a.id());
    d.put("agent", a.agent());
    d.put("domain", a.domain().wire());
    d.put("request_sha256", a.requestSha256());
    return d;
  }

  /** An id no row holds (a clash of 128 random bits does not happen; drawn again if the source is broken). */
  private String unusedId(Connection c) throws SQLException {
    for (int attempt = 0; attempt < 4; attempt++) {
      byte[] b = new byte[16];
      random.nextBytes(b);
      String id = Base32.encode(b).toLowerCase(Locale.ROOT);
      try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM action_approvals WHERE id = ?")) {
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return id;
          }
        }
      }
    }
    throw new SQLException("no unused approval id after 4 draws; is the random source broken?");
  }

  /** At most {@value #MAX_SUMMARY_CHARS} characters (a pair never split), NUL replaced. */
  static String summary(String s) {
    String t = s == null ? "" : s.replace('\0', '\uFFFD');
    if (t.length() > MAX_SUMMARY_CHARS) {
      int end = Character.isHighSurrogate(t.charAt(MAX_SUMMARY_CHARS - 1)) ? MAX_SUMMARY_CHARS - 1 : MAX_SUMMARY_CHARS;
      t = t.substring(0, end) + "…";
    }
    return t;
  }
}
