package dev.gatehouse.trust;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.store.StateDb;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Trust levels per domain in {@code state.db} (DESIGN §10).
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@code trust_levels} is either empty (trust was never set up in this home: every domain
 *       reads {@link Level#NONE}, fail closed) or holds all nine domains. Only
 *       {@link #initializeNew} and {@link #adoptLegacy} fill it, each at most once per home
 *       whichever process calls first (the check and the fill are one immediate transaction);
 *       {@link #set} and {@link #rollback} refuse on a home where it is empty.
 *   <li>Every change of a level (manual, automatic demotion, rollback, the first setting) is a
 *       {@code trust_changes} row naming who and why, and is in the audit log ({@code trust.change})
 *       before it takes effect: the entry is written inside the {@code state.db} transaction that
 *       makes the change, before its commit, so no process sees a level that is not recorded, and
 *       a failed record leaves nothing changed. (Lock order: {@code state.db}, then the audit log.)
 *       The owner is then notified ({@code trust.changed}); a notifier never delays or undoes a change.
 *   <li>Nothing raises a level by itself: the only automatic change is {@link #evidence}'s
 *       demotion, one level down and never below {@link Level#NONE}.
 *   <li>Demotion: when a domain has {@code demoteAfter} pieces of evidence dated within the last
 *       {@code demoteWindow} (a piece exactly {@code demoteWindow} old no longer counts), it goes
 *       one level down and those pieces are consumed (deleted): the next step down needs
 *       {@code demoteAfter} new ones. At {@link Level#NONE} nothing is consumed, so evidence still
 *       in the window counts against a level the owner raises meanwhile. Evidence is kept
 *       {@link #EVIDENCE_KEPT} (or the window, if longer) for {@link #overview}, then deleted.
 *   <li>Levels are read from {@code state.db} on every {@link #level} call (an indexed lookup that
 *       never waits for another process's write): a change made by the CLI counts at the next call
 *       of a running daemon.
 * </ul>
 */
public final class TrustStore implements Trust {
  /** Who makes automatic changes (demotions) in the audit log and the history. */
  public static final String SYSTEM_ACTOR = "gatehouse";
  /** The longest reason accepted, in characters. */
  public static final int MAX_REASON_CHARS = 200;
  /** The longest actor name accepted, in characters. */
  static final int MAX_WHO_CHARS = 128;
  /** The longest agent name in a piece of evidence, in characters. */
  static final int MAX_AGENT_CHARS = 128;
  /** Evidence kinds: {@code path-refused}, {@code owner-denied}, ... */
  static final Pattern KIND = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  /** The kind the approvals queue reports when the owner denies a request. */
  public static final String OWNER_DENIED = "owner-denied";
  /** How long evidence is kept for {@code trust show} (demotion only looks at the window). */
  public static final Duration EVIDENCE_KEPT = Duration.ofDays(7);

  public static final String NEW_HOME_REASON = "new home: every domain starts at 0 (none)";
  public static final String LEGACY_REASON = "home made before trust levels: the catalog's domains keep working";

  // The per-call query: an index search on the primary key.
  static final String LEVEL = "SELECT level FROM trust_levels WHERE domain = ?";

  /** One change of a domain's level, as {@code trust history} shows it. */
  public record Change(long id, Instant time, Domain domain, Level from, Level to, String who, String reason,
      Optional<Long> rollbackOf) {
    public Change {
      Objects.requireNonNull(rollbackOf, "rollbackOf");
    }
  }

  /**
   * What speaks for raising a domain's level, counted since {@code since} (the domain's last
   * change; empty on a home where trust was never set up, then over everything kept):
   * {@code approved} requests the owner approved (approved or used), {@code denied} requests the
   * owner denied, {@code refused} policy refusals of agents' calls (kept {@link #EVIDENCE_KEPT}).
   * "Approved suggestions, no denials" is the case for raising it.
   */
  public record RaisingEvidence(Optional<Instant> since, int approved, int denied, int refused) {}

  /** A domain as {@code trust show} shows it. */
  public record DomainTrust(Domain domain, Level level, Optional<Change> lastChange, RaisingEvidence forRaising) {}

  private final StateDb db;
  private final AuditLog audit;
  private final Notifier notifier;
  private final Clock clock;
  private final int demoteAfter;
  private final Duration demoteWindow;

  /**
   * @param settings {@code trust:} of the config: {@code demoteAfter} within {@code demoteWindow}
   */
  public TrustStore(StateDb db, AuditLog audit, Notifier notifier, Clock clock, Config.TrustSettings settings) {
    this.db = Objects.requireNonNull(db, "db");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.notifier = Objects.requireNonNull(notifier, "notifier");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.demoteAfter = settings.demoteAfter();
    this.demoteWindow = settings.demoteWindow();
    if (demoteAfter < 1 || demoteWindow.isNegative() || demoteWindow.isZero()) {
      throw new IllegalArgumentException("demotion needs at least 1 piece of evidence within a positive window");
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>{@link Level#NONE} on a home where trust was never set up, and for a stored value that
   * is not a level (fail closed).
   *
   * @throws RefusedException if {@code state.db} cannot be read
   */
  @Override
  public Level level(Domain domain) {
    Objects.requireNonNull(domain, "domain");
    try {
      return db.read(c -> {
        PreparedStatement s = db.prepared(LEVEL);
        s.setString(1, domain.wire());
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? Level.of(rs.getInt(1)).orElse(Level.NONE) : Level.NONE;
        }
      });
    } catch (SQLException e) {
      throw new RefusedException("the trust levels in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /** Whether trust levels were ever set up in this home (by {@link #initializeNew} or {@link #adoptLegacy}). */
  public boolean isSetUp() {
    return read(TrustStore::setUp);
  }

  /**
   * Sets {@code domain} to {@code level}, by {@code who} for {@code reason}, as a new change.
   *
   * @return the change's id
   * @throws BadInputException if the reason is empty, longer than {@value #MAX_REASON_CHARS}
   *     characters or holds a control or invisible character
   * @throws NotConfiguredException if trust was never set up in this home
   * @throws RefusedException if the change cannot be recorded (nothing changed)
   */
  public long set(Domain domain, Level level, String who, String reason) {
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(level, "level");
    String why = checkReason(reason);
    checkWho(who);
    Instant now = clock.instant();
    Change change = write(c -> {
      requireSetUp(c);
      return apply(c, domain, level, who, why, null, "set", now);
    });
    notifyChange(change);
    return change.id();
  }

  /**
   * Restores the level {@code domain} had before change {@code id}, as a new change by
   * {@code who} with the reason "rollback of #id".
   *
   * @return the new change's id
   * @throws BadInputException if there is no change {@code id}
   * @throws RefusedException if the change cannot be recorded (nothing changed)
   */
  public long rollback(long id, String who) {
    checkWho(who);
    Instant now = clock.instant();
    Optional<Change> change = write(c -> {
      Optional<Change> target = find(c, id);
      if (target.isEmpty()) {
        return Optional.<Change>empty();
      }
      requireSetUp(c);
      Change t = target.get();
      return Optional.of(apply(c, t.domain(), t.from(), who, "rollback of #" + id, id, "rolled-back", now));
    });
    if (change.isEmpty()) {
      throw new BadInputException("there is no trust change #" + id + "; `gatehouse trust history` lists them");
    }
    notifyChange(change.get());
    return change.get().id();
  }

  /**
   * For {@code gatehouse init}: sets every domain to {@link Level#NONE}, unless trust is already
   * set up here. One audit entry for the nine changes: it is one decision, the home's first
   * policy; the history still has a change per domain, each of which can be rolled back.
   *
   * @return whether it set them (false: they were set up already, nothing changed)
   */
  public boolean initializeNew(String who) {
    Map<Domain, Level> all = new EnumMap<>(Domain.class);
    for (Domain d : Domain.values()) {
      all.put(d, Level.NONE);
    }
    return setUp(all, who, NEW_HOME_REASON);
  }

  /**
   * At daemon start: on a home made before trust levels (none are stored), sets the domains its
   * catalog uses to {@link Level#FULL}, so it keeps working as before, and the others to
   * {@link Level#NONE}, with the reason {@value #LEGACY_REASON}. Does nothing on a home whose
   * trust is set up: safe to call at every start, from several processes at once.
   *
   * @return whether it set them
   */
  public boolean adoptLegacy(Set<Domain> catalogDomains, String who) {
    Map<Domain, Level> all = new EnumMap<>(Domain.class);
    for (Domain d : Domain.values()) {
      all.put(d, catalogDomains.contains(d) ? Level.FULL : Level.NONE);
    }
    return setUp(all, who, LEGACY_REASON);
  }

  private boolean setUp(Map<Domain, Level> levels, String who, String reason) {
    checkWho(who);
    Instant now = clock.instant();
    List<Change> changes = write(c -> {
      if (setUp(c)) {
        return List.<Change>of();
      }
      List<Change> made = new ArrayList<>();
      for (Map.Entry<Domain, Level> e : levels.entrySet()) {
        made.add(insertChange(c, now, e.getKey(), Level.NONE, e.getValue(), who, reason, null));
      }
      StringBuilder summary = new StringBuilder();
      for (Change ch : made) {
        summary.append(summary.isEmpty() ? "" : " ").append(ch.domain().wire()).append('=').append(ch.to().number());
      }
      audit.record(new AuditEvent("trust.change", who, "all-domains", "initialized", Map.of(
          "levels", summary.toString(), "reason", reason,
          "changes", made.getFirst().id() + "-" + made.getLast().id())));
      for (Change ch : made) {
        putLevel(c, ch.domain(), ch.to(), now);
      }
      return made;
    });
    if (changes.isEmpty()) {
      return false;
    }
    Map<String, String> fields = new LinkedHashMap<>();
    StringBuilder text = new StringBuilder("Trust levels set up:");
    for (Change ch : changes) {
      fields.put(ch.domain().wire(), Integer.toString(ch.to().number()));
      text.append(ch == changes.getFirst() ? " " : ", ").append(ch.domain().wire()).append(' ').append(ch.to().number());
    }
    text.append(" (").append(reason).append(')');
    fields.put("who", who);
    fields.put("reason", reason);
    send(new Notification("trust.changed", now, text.toString(), fields));
    return true;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The demotion, if this piece completes one, is made in the same transaction as the piece
   * is stored: two processes reporting at once never demote twice for one set of evidence.
   *
   * @throws IllegalArgumentException if {@code agent} is empty, too long or unprintable, or
   *     {@code kind} is not a lower-case word ({@code [a-z][a-z0-9-]*}, at most 32 characters)
   * @throws RefusedException if the evidence, or the demotion it causes, cannot be recorded
   */
  @Override
  public void evidence(Domain domain, String agent, String kind) {
    Objects.requireNonNull(domain, "domain");
    if (agent == null || agent.isEmpty() || agent.length() > MAX_AGENT_CHARS || !printable(agent)) {
      throw new IllegalArgumentException("an agent name in evidence is 1-" + MAX_AGENT_CHARS + " printable characters");
    }
    if (kind == null || !KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException("an evidence kind is a lower-case word such as path-refused");
    }
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    Optional<Change> demotion = write(c -> {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM trust_evidence WHERE domain = ? AND at <= ?")) {
        s.setString(1, domain.wire());
        s.setLong(2, nowMs - Math.max(EVIDENCE_KEPT.toMillis(), demoteWindow.toMillis()));
        s.executeUpdate();
      }
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO trust_evidence (at, domain, agent, kind) VALUES (?, ?, ?, ?)")) {
        s.setLong(1, nowMs);
        s.setString(2, domain.wire());
        s.setString(3, agent);
        s.setString(4, kind);
        s.executeUpdate();
      }
      Level current = currentLevel(c, domain);
      if (current == Level.NONE) {
        return Optional.<Change>empty(); // never below 0; the evidence stays and still counts if it is raised
      }
      long windowStart = nowMs - demoteWindow.toMillis();
      Map<String, Integer> byAgentAndKind = new LinkedHashMap<>();
      int count = 0;
      try (PreparedStatement s = c.prepareStatement("SELECT kind, agent, count(*) AS n FROM trust_evidence"
          + " WHERE domain = ? AND at > ? GROUP BY kind, agent ORDER BY n DESC, kind, agent")) {
        s.setString(1, domain.wire());
        s.setLong(2, windowStart);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            byAgentAndKind.put(rs.getString(1) + " by " + rs.getString(2), rs.getInt(3));
            count += rs.getInt(3);
          }
        }
      }
      if (count < demoteAfter) {
        return Optional.<Change>empty();
      }
      Change change = apply(c, domain, current.lower(), SYSTEM_ACTOR, demotionReason(count, byAgentAndKind), null,
          "demoted", now);
      try (PreparedStatement s = c.prepareStatement("DELETE FROM trust_evidence WHERE domain = ? AND at > ?")) {
        s.setString(1, domain.wire());
        s.setLong(2, windowStart);
        s.executeUpdate(); // consumed: the next step down needs as many new pieces
      }
      return Optional.of(change);
    });
    demotion.ifPresent(this::notifyChange);
  }

  private String demotionReason(int count, Map<String, Integer> byAgentAndKind) {
    StringBuilder b = new StringBuilder().append(count).append(count == 1 ? " refusal or denial" : " refusals or denials")
        .append(" within ").append(window()).append(':');
    int shown = 0;
    for (Map.Entry<String, Integer> e : byAgentAndKind.entrySet()) {
      if (shown == 5) {
        b.append(", and ").append(byAgentAndKind.size() - shown).append(" more");
        break;
      }
      b.append(shown == 0 ? " " : ", ").append(e.getKey()).append(" (").append(e.getValue()).append(')');
      shown++;
    }
    return b.toString();
  }

  private String window() {
    long minutes = demoteWindow.toMinutes();
    if (demoteWindow.equals(Duration.ofMinutes(minutes))) {
      return minutes + (minutes == 1 ? " minute" : " minutes");
    }
    return demoteWindow.toSeconds() + " seconds";
  }

  /** Every change, oldest first. */
  public List<Change> history() {
    return read(c -> {
      List<Change> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT id, at, domain, from_level, to_level, who, reason,"
          + " rollback_of FROM trust_changes ORDER BY id")) {
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(change(rs));
          }
        }
      }
      return out;
    });
  }

  /** Change {@code id}, if there is one. */
  public Optional<Change> change(long id) {
    return read(c -> find(c, id));
  }

  /** What speaks for raising {@code domain}'s level: see {@link RaisingEvidence}. */
  public RaisingEvidence evidenceForRaising(Domain domain) {
    return read(c -> raising(c, domain, lastChange(c, domain).map(Change::time)));
  }

  /** Every domain with its level, last change and the evidence for raising it, in {@link Domain} order. */
  public List<DomainTrust> overview() {
    return read(c -> {
      List<DomainTrust> out = new ArrayList<>();
      for (Domain d : Domain.values()) {
        Optional<Change> last = lastChange(c, d);
        out.add(new DomainTrust(d, currentLevel(c, d), last, raising(c, d, last.map(Change::time))));
      }
      return out;
    });
  }

  private RaisingEvidence raising(Connection c, Domain d, Optional<Instant> since) throws SQLException {
    long from = since.map(Instant::toEpochMilli).orElse(Long.MIN_VALUE);
    int approved = count(c, "SELECT count(*) FROM action_approvals WHERE domain = ? AND status IN ('approved', 'used')"
        + " AND created_at >= ?", d, from);
    int deniedRequests = count(c, "SELECT count(*) FROM action_approvals WHERE domain = ? AND status = 'denied'"
        + " AND created_at >= ?", d, from);
    int deniedEvidence = count(c, "SELECT count(*) FROM trust_evidence WHERE domain = ? AND kind = '" + OWNER_DENIED
        + "' AND at >= ?", d, from);
    int refused = count(c, "SELECT count(*) FROM trust_evidence WHERE domain = ? AND kind <> '" + OWNER_DENIED
        + "' AND at >= ?", d, from);
    // An owner's denial may be both a denied request and owner-denied evidence: the larger count, never the sum.
    return new RaisingEvidence(since, approved, Math.max(deniedRequests, deniedEvidence), refused);
  }

  private static int count(Connection c, String sql, Domain d, long from) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, d.wire());
      s.setLong(2, from);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  /**
   * Records a change of {@code domain} to {@code to}: the change row, then the audit entry,
   * then the level (all visible together at the commit, or not at all).
   */
  private Change apply(Connection c, Domain domain, Level to, String who, String reason, Long rollbackOf,
      String outcome, Instant now) throws SQLException {
    Level from = currentLevel(c, domain);
    Change change = insertChange(c, now, domain, from, to, who, reason, rollbackOf);
    Map<String, String> details = new LinkedHashMap<>();
    details.put("from", Integer.toString(from.number()));
    details.put("to", Integer.toString(to.number()));
    details.put("reason", reason);
    details.put("change", Long.toString(change.id()));
    if (rollbackOf != null) {
      details.put("rollback_of", Long.toString(rollbackOf));
    }
    audit.record(new AuditEvent("trust.change", who, domain.wire(), outcome, details));
    putLevel(c, domain, to, now);
    return change;
  }

  private static Change insertChange(Connection c, Instant now, Domain domain, Level from, Level to, String who,
      String reason, Long rollbackOf) throws SQLException {
    long id;
    try (PreparedStatement s = c.prepareStatement("INSERT INTO trust_changes (at, domain, from_level, to_level, who,"
        + " reason, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")) {
      s.setLong(1, now.toEpochMilli());
      s.setString(2, domain.wire());
      s.setInt(3, from.number());
      s.setInt(4, to.number());
      s.setString(5, who);
      s.setString(6, reason);
      if (rollbackOf == null) {
        s.setNull(7, java.sql.Types.INTEGER);
      } else {
        s.setLong(7, rollbackOf);
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    return new Change(id, Instant.ofEpochMilli(now.toEpochMilli()), domain, from, to, who, reason,
        Optional.ofNullable(rollbackOf));
  }

  private static void putLevel(Connection c, Domain domain, Level level, Instant now) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO trust_levels (domain, level, changed_at) VALUES (?, ?, ?)"
        + " ON CONFLICT (domain) DO UPDATE SET level = excluded.level, changed_at = excluded.changed_at")) {
      s.setString(1, domain.wire());
      s.setInt(2, level.number());
      s.setLong(3, now.toEpochMilli());
      s.executeUpdate();
    }
  }

  private static Level currentLevel(Connection c, Domain domain) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(LEVEL)) {
      s.setString(1, domain.wire());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Level.of(rs.getInt(1)).orElse(Level.NONE) : Level.NONE;
      }
    }
  }

  private static boolean setUp(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM trust_levels LIMIT 1"); ResultSet rs = s.executeQuery()) {
      return rs.next();
    }
  }

  private static void requireSetUp(Connection c) throws SQLException {
    if (!setUp(c)) {
      throw new NotConfiguredException("trust levels are not set up in this home yet (it was made before them): start "
          + "the daemon once (`gatehouse serve`); its first start keeps the domains your services use at 4 (full) "
          + "and sets the others to 0 (none)");
    }
  }

  private static Optional<Change> find(Connection c, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT id, at, domain, from_level, to_level, who, reason,"
        + " rollback_of FROM trust_changes WHERE id = ?")) {
      s.setLong(1, id);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(change(rs)) : Optional.empty();
      }
    }
  }

  private static Optional<Change> lastChange(Connection c, Domain d) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT id, at, domain, from_level, to_level, who, reason,"
        + " rollback_of FROM trust_changes WHERE domain = ? ORDER BY id DESC LIMIT 1")) {
      s.setString(1, d.wire());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(change(rs)) : Optional.empty();
      }
    }
  }

  private static Change change(ResultSet rs) throws SQLException {
    long id = rs.getLong(1);
    long rollbackOf = rs.getLong(8);
    Optional<Long> of = rs.wasNull() ? Optional.empty() : Optional.of(rollbackOf);
    Optional<Domain> domain = Domain.parse(rs.getString(3));
    Optional<Level> from = Level.of(rs.getInt(4));
    Optional<Level> to = Level.of(rs.getInt(5));
    if (domain.isEmpty() || from.isEmpty() || to.isEmpty()) {
      throw new SQLException("trust change #" + id + " is damaged (unknown domain or level)");
    }
    return new Change(id, Instant.ofEpochMilli(rs.getLong(2)), domain.get(), from.get(), to.get(), rs.getString(6),
        rs.getString(7), of);
  }

  private void notifyChange(Change ch) {
    String verb = ch.to().compareTo(ch.from()) < 0 ? "lowered" : ch.to() == ch.from() ? "kept" : "raised";
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("domain", ch.domain().wire());
    fields.put("from", Integer.toString(ch.from().number()));
    fields.put("to", Integer.toString(ch.to().number()));
    fields.put("who", ch.who());
    fields.put("reason", ch.reason());
    fields.put("change", Long.toString(ch.id()));
    ch.rollbackOf().ifPresent(id -> fields.put("rollback_of", Long.toString(id)));
    send(new Notification("trust.changed", ch.time(), "Trust in " + ch.domain().wire() + " " + verb + " from "
        + describe(ch.from()) + " to " + describe(ch.to()) + " by " + ch.who() + ": " + ch.reason(), fields));
  }

  private void send(Notification n) {
    try {
      notifier.notify(n);
    } catch (RuntimeException e) {
      // the change is made and audited; a notifier's failure is its own to report
    }
  }

  /** "2 (suggest)". */
  public static String describe(Level level) {
    return level.number() + " (" + level.wire() + ")";
  }

  /**
   * {@code reason} as stored: surrounding whitespace removed.
   *
   * @throws BadInputException unless it is then 1-{@value #MAX_REASON_CHARS} characters of
   *     printable text (no control, format, separator, private-use or unassigned character)
   */
  public static String checkReason(String reason) {
    String r = reason == null ? "" : reason.strip();
    if (r.isEmpty()) {
      throw new BadInputException("a reason is required: say in a few words why the level changes (--reason TEXT)");
    }
    if (r.codePointCount(0, r.length()) > MAX_REASON_CHARS) {
      throw new BadInputException("a reason is at most " + MAX_REASON_CHARS + " characters");
    }
    if (!printable(r)) {
      throw new BadInputException("a reason is printable text on one line: no control, format or invisible characters");
    }
    return r;
  }

  private static void checkWho(String who) {
    if (who == null || who.isEmpty() || who.length() > MAX_WHO_CHARS || !printable(who)) {
      throw new BadInputException("who makes a trust change is named by 1-" + MAX_WHO_CHARS + " printable characters");
    }
  }

  static boolean printable(String s) {
    return s.codePoints().allMatch(cp -> switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE -> false;
      default -> true;
    });
  }

  private <T> T read(StateDb.Work<T> work) {
    try {
      return db.read(work);
    } catch (SQLException e) {
      throw new RefusedException("the trust levels in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private <T> T write(StateDb.Work<T> work) {
    try {
      return db.transaction(work);
    } catch (SQLException e) {
      throw new RefusedException("the trust levels in " + db.name() + " cannot be written (" + e.getMessage() + ")", e);
    }
  }
}
