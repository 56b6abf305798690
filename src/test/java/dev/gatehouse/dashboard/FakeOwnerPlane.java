package dev.gatehouse.dashboard;

import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.owner.OwnerAuth;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.owner.Role;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Domain;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stand-ins for the owner plane around the dashboard, for tests of the pages alone: one
 * account and an in-memory console; the pages sit behind the real owner gate.
 */
final class FakeOwnerPlane {
  static final String USER = "alice";
  static final String PASSWORD = "correct horse battery staple";
  static final String CODE = "123456";

  private FakeOwnerPlane() {}

  /** One user, {@link #USER}, with {@code role}; any code but {@link #CODE} fails. */
  static final class Auth implements OwnerAuth {
    final Clock clock;
    final Role role;
    final Map<String, OwnerSession> sessions = new ConcurrentHashMap<>();
    final List<String> attempts = new CopyOnWriteArrayList<>();
    volatile Duration limitedFor;

    Auth(Clock clock, Role role) {
      this.clock = clock;
      this.role = role;
    }

    @Override
    public LoginResult login(String user, char[] password, String code, String address) {
      attempts.add(user);
      if (limitedFor != null) {
        return new LoginResult.Refused(limitedFor);
      }
      if (!USER.equals(user) || !PASSWORD.equals(new String(password)) || !CODE.equals(code)) {
        return new LoginResult.Refused(null);
      }
      String n = String.valueOf(sessions.size() + 1);
      OwnerSession s = new OwnerSession(USER, role, "s" + n, clock.instant(), clock.instant(), "csrf-" + n);
      sessions.put("access-" + n, s);
      return new LoginResult.Granted(new Tokens("access-" + n, "refresh-" + n, ACCESS_TTL, s));
    }

    @Override
    public Optional<Tokens> refresh(String refreshToken, String address) {
      return Optional.empty();
    }

    @Override
    public void logout(String accessToken, String refreshToken) {
      if (accessToken != null) {
        sessions.remove(accessToken);
      }
    }

    @Override
    public Optional<OwnerSession> authenticate(String accessToken) {
      return Optional.ofNullable(accessToken).map(sessions::get);
    }

    @Override
    public Optional<OwnerSession> reauth(OwnerSession session, String code, String address) {
      if (!CODE.equals(code)) {
        return Optional.empty();
      }
      OwnerSession fresh = new OwnerSession(session.user(), session.role(), session.sessionId(), session.started(),
          clock.instant(), session.csrfToken());
      sessions.replaceAll((k, v) -> v.sessionId().equals(session.sessionId()) ? fresh : v);
      return Optional.of(fresh);
    }
  }

  /** The dashboard's pages behind the real owner gate, and its open routes, as the daemon's table holds them. */
  static List<Daemon.Route> routes(Dashboard dashboard, OwnerAuth auth, Clock clock) {
    OwnerGate gate = new OwnerGate(auth, clock, false);
    List<Daemon.Route> out = new ArrayList<>(dashboard.open());
    for (OwnerRoute r : dashboard.pages()) {
      out.add(new Daemon.Route(r.method(), r.path(), new Daemon.Access.Owner(r.role(), r.sensitive(), r.page()),
          call -> gate.handle(r, call)));
    }
    return out;
  }

  /** An in-memory console: two pending approvals, an audit list that approvals and denials append to. */
  static final class FakeConsole implements Console {
    final Clock clock;
    final Map<String, ActionApprovals.Approval> approvals = new ConcurrentHashMap<>();
    final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    final List<PairingItem> pairings = new CopyOnWriteArrayList<>();
    final List<TrustChange> history = new CopyOnWriteArrayList<>();
    volatile String agentName = "claude";
    volatile String evidence = "{}";

    FakeConsole(Clock clock) {
      this.clock = clock;
    }

    ActionApprovals.Approval add(String id, String agent, String action, Domain domain, String summary) {
      Instant now = clock.instant();
      var a = new ActionApprovals.Approval(id, agent, action, domain, "0".repeat(64),
          ActionApprovals.Status.PENDING, now.minusSeconds(90), now.plus(Duration.ofMinutes(15)), summary);
      approvals.put(id, a);
      record("approval.open", "agent:" + agent, action, "pending");
      return a;
    }

    void record(String type, String actor, String target, String outcome) {
      audit.add(new AuditRecord(audit.size(), clock.instant(), type, actor, target, outcome,
          new TreeMap<>(Map.of("note", "fake")), AuditRecord.GENESIS, "ab".repeat(32)));
    }

    @Override
    public Overview overview() {
      return new Overview(false, true, Optional.of(clock.instant().minusSeconds(300)), audit.size(), List.of(),
          pendingApprovals().size(), pairings.size());
    }

    volatile int verified;

    @Override
    public void verifyAudit() {
      verified++;
    }

    @Override
    public List<ApprovalItem> pendingApprovals() {
      return approvals.values().stream().filter(a -> a.status() == ActionApprovals.Status.PENDING)
          .sorted(java.util.Comparator.comparing(ActionApprovals.Approval::id))
          .map(a -> new ApprovalItem(a, a.domain() == Domain.SHELL)).toList();
    }

    private Outcome decide(OwnerSession s, String id, ActionApprovals.Status to, String verb) {
      var a = approvals.get(id);
      if (a == null || a.status() != ActionApprovals.Status.PENDING) {
        return Outcome.refused("No pending approval " + id + ".");
      }
      approvals.put(id, new ActionApprovals.Approval(a.id(), a.agent(), a.action(), a.domain(), a.requestSha256(), to,
          a.created(), a.expires(), a.summary()));
      record("approval." + verb, s.actor(), a.action(), to.wire());
      return Outcome.done(verb);
    }

    @Override
    public Outcome approve(OwnerSession s, String id) {
      return decide(s, id, ActionApprovals.Status.APPROVED, "approve");
    }

    @Override
    public Outcome deny(OwnerSession s, String id, String reason) {
      return decide(s, id, ActionApprovals.Status.DENIED, "deny");
    }

    @Override
    public List<PairingItem> pendingPairings() {
      return List.copyOf(pairings);
    }

    @Override
    public Outcome approvePairing(OwnerSession s, String code) {
      return pairings.removeIf(p -> p.code().equals(code)) ? Outcome.done("ok") : Outcome.refused("No such code.");
    }

    @Override
    public Outcome denyPairing(OwnerSession s, String code) {
      return approvePairing(s, code);
    }

    @Override
    public List<AuditRecord> audit(String type, String actor, int limit) {
      List<AuditRecord> out = new ArrayList<>();
      for (int i = audit.size() - 1; i >= 0 && out.size() < limit; i--) {
        AuditRecord r = audit.get(i);
        if ((type == null || r.type().equals(type)) && (actor == null || r.actor().equals(actor))) {
          out.add(r);
        }
      }
      return out;
    }

    @Override
    public Optional<AuditRecord> auditEntry(long seq) {
      return seq < audit.size() ? Optional.of(audit.get((int) seq)) : Optional.empty();
    }

    @Override
    public Optional<String> evidenceJson(long seq) {
      return seq < audit.size() ? Optional.of(evidence) : Optional.empty();
    }

    @Override
    public List<TrustItem> trust() {
      List<TrustItem> out = new ArrayList<>();
      for (Domain d : Domain.values()) {
        out.add(new TrustItem(d.wire(), 2, "suggest", Optional.of(clock.instant().minusSeconds(3600))));
      }
      return out;
    }

    @Override
    public List<TrustChange> trustHistory() {
      return List.copyOf(history);
    }

    @Override
    public Outcome setTrust(OwnerSession s, String domain, int level, String reason) {
      history.add(0, new TrustChange(history.size() + 1, clock.instant(), domain, "2 suggest", level + "", s.actor(),
          reason));
      return Outcome.done("ok");
    }

    @Override
    public Outcome rollbackTrust(OwnerSession s, long changeId) {
      return Outcome.refused("No such change.");
    }

    @Override
    public List<AgentItem> agents() {
      return List.of(new AgentItem(agentName, List.of("jackett.search", "qbit.api"), Optional.of(clock.instant())));
    }

    @Override
    public List<ServiceItem> services() {
      return List.of(new ServiceItem("jackett", "http://127.0.0.1:9117", List.of("search")));
    }

    @Override
    public List<String> vaultNames() {
      return List.copyOf(new TreeSet<>(List.of("jackett_api_key", "qbit_password")));
    }
  }
}
