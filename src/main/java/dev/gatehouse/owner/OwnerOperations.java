package dev.gatehouse.owner;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.InclusionEvidence;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.broker.AgentRegistry;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.chat.PairingStore;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.TotpStatus;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.ActionApprovalsStore;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.TrustStore;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the owner plane can see and do, shared by the JSON API and the dashboard's pages so
 * that neither holds logic of its own. Each operation takes the caller's {@link OwnerSession};
 * the owner gate has already checked the route's role and re-authentication, and the checks
 * that depend on the item (a code-gated approval, a trust raise) are made here.
 *
 * <p>Guarantees: every state change is made by the store that owns it (which audits it) with
 * the actor {@code owner:USER}; nothing here returns a secret value, a key, a password hash or
 * a vault entry's size; an unknown item is {@link Problem.Kind#NO_SUCH_ITEM}.
 */
public final class OwnerOperations {
  /** Most audit entries one listing returns. */
  public static final int AUDIT_LIMIT_MAX = 500;
  public static final int AUDIT_LIMIT_DEFAULT = 50;
  /** How an approval made under a recent re-auth records its verification. */
  public static final String VERIFIED_BY_REAUTH = "owner-reauth";

  /** The inclusion evidence of one audit entry, against a signed checkpoint (the daemon signs one if needed). */
  @FunctionalInterface
  public interface EvidenceSource {
    InclusionEvidence of(long seq) throws IOException;
  }

  /** Reads {@code services/*.yaml} anew (for a reload). */
  @FunctionalInterface
  public interface CatalogSource {
    Catalog load() throws IOException;
  }

  /** Where the operations find the home's stores; each is the one the daemon runs with. */
  public record Parts(Vault vault, TotpService totp, ActionApprovalsStore approvals, PairingStore pairing,
      TrustStore trust, AgentRegistry agents, AgentRegistry channels, AtomicReference<Catalog> catalog,
      CatalogSource catalogSource, AuditLog audit, Path auditDir, EvidenceSource evidence, OwnerUsers users,
      Clock clock) {
    public Parts {
      Objects.requireNonNull(vault);
      Objects.requireNonNull(totp);
      Objects.requireNonNull(approvals);
      Objects.requireNonNull(pairing);
      Objects.requireNonNull(trust);
      Objects.requireNonNull(agents);
      Objects.requireNonNull(channels);
      Objects.requireNonNull(catalog);
      Objects.requireNonNull(catalogSource);
      Objects.requireNonNull(audit);
      Objects.requireNonNull(auditDir);
      Objects.requireNonNull(evidence);
      Objects.requireNonNull(users);
      Objects.requireNonNull(clock);
    }
  }

  /** The last verification of the audit log: intact or the first problem found, and when. */
  public record AuditCheck(boolean intact, long entries, Instant verifiedAt, String problem) {}

  /** Someone locked out of TOTP: {@code who} is {@code home} (the home's authenticator) or {@code user:NAME}. */
  public record Lockout(String who, Instant until) {}

  /** The overview. {@code audit} is empty until the log was first verified. */
  public record Status(boolean sealed, Optional<AuditCheck> audit, List<Lockout> lockouts, int pendingApprovals,
      int pendingPairings) {}

  public record Pairings(List<PairingStore.Pending> pending, List<PairingStore.Allowed> allowed) {}

  /** An agent or channel without its key: the key id is public, the key never leaves the vault. */
  public record KeyHolder(String name, String keyId, List<String> allow, Instant created,
      Optional<String> previousKeyId, Optional<Instant> previousUntil) {}

  public record ActionInfo(String name, String method, Domain domain) {}

  public record ServiceInfo(String name, String baseUrl, List<ActionInfo> actions) {}

  /**
   * One audit entry: the parsed record, its stored line (what its leaf hash is computed over)
   * and the evidence that it is in the log, for the browser to check against the checkpoint.
   */
  public record AuditEntry(AuditRecord record, String line, InclusionEvidence evidence) {}

  /** A filter of the audit listing; null fields match everything. */
  public record AuditFilter(String type, String actor, Instant since, int limit) {
    public AuditFilter {
      if (limit < 1 || limit > AUDIT_LIMIT_MAX) {
        throw OwnerProblem.badRequest("limit must be 1 to " + AUDIT_LIMIT_MAX);
      }
    }
  }

  public record Reloaded(int services, int actions) {}

  private final Parts p;
  private final AtomicReference<AuditCheck> lastCheck = new AtomicReference<>();

  public OwnerOperations(Parts parts) {
    this.p = Objects.requireNonNull(parts);
  }

  // --- status ---

  public Status status() {
    List<Lockout> lockouts = new ArrayList<>();
    Instant now = p.clock().instant();
    TotpStatus home = p.totp().status();
    if (home.lockedUntil() != null && home.lockedUntil().isAfter(now)) {
      lockouts.add(new Lockout("home", home.lockedUntil()));
    }
    for (OwnerUsers.User u : p.users().list()) {
      u.lockedUntil().filter(t -> t.isAfter(now)).ifPresent(t -> lockouts.add(new Lockout("user:" + u.name(), t)));
    }
    int pending = (int) p.approvals().list().stream().filter(a -> a.status() == dev.gatehouse.trust.ActionApprovals.Status.PENDING).count();
    return new Status(p.vault().sealed(), Optional.ofNullable(lastCheck.get()), lockouts, pending,
        p.pairing().pending().size());
  }

  /** Verifies the whole audit log now (hashes, chain, the latest checkpoint) and keeps the result for {@link #status}. */
  public AuditCheck verifyAudit() {
    Instant at = p.clock().instant();
    AuditCheck check;
    try {
      AuditVerifier.Result r = AuditVerifier.verify(p.auditDir(), AuditVerifier.verifierKey(p.auditDir()), null);
      check = new AuditCheck(r.intact(), r.entries(), at, r.problem());
    } catch (IOException | RuntimeException e) {
      check = new AuditCheck(false, 0, at, "the audit log cannot be read (" + e.getClass().getSimpleName() + ")");
    }
    lastCheck.set(check);
    return check;
  }

  // --- approvals ---

  public List<Approval> approvals() {
    return p.approvals().list();
  }

  /**
   * Approves {@code id}. In a {@code trust.approve_with_code} domain the user's own code proved
   * within the last 5 minutes stands in for the home's code: that needs the admin role and a
   * recent re-auth; elsewhere the operator role.
   */
  public Approval approve(OwnerSession session, String id) {
    Approval a = approval(id);
    if (p.approvals().needsCode(a)) {
      if (!session.role().atLeast(Role.ADMIN)) {
        throw OwnerProblem.role(Role.ADMIN);
      }
      if (!session.recentlyReauthenticated(p.clock().instant())) {
        throw OwnerProblem.reauth();
      }
      return p.approvals().approveVerified(a.id(), session.actor(), VERIFIED_BY_REAUTH);
    }
    var done = p.approvals().approve(a.id(), null, session.actor());
    return ((ActionApprovalsStore.Done) done).approval(); // no code given: only Done can come back
  }

  /** Whether approving {@code a} needs a code ({@code trust.approve_with_code}): then admin and a recent re-auth. */
  public boolean needsCode(Approval a) {
    return p.approvals().needsCode(a);
  }

  public Approval deny(OwnerSession session, String id, String reason) {
    return p.approvals().deny(approval(id).id(), session.actor(), reason);
  }

  private Approval approval(String id) {
    String canonical = ActionApprovalsStore.canonicalId(id);
    return p.approvals().find(canonical).orElseThrow(() -> OwnerProblem.noSuch("no approval " + canonical));
  }

  // --- pairing ---

  public Pairings pairings() {
    return new Pairings(p.pairing().pending(), p.pairing().allowed());
  }

  public PairingStore.Allowed approvePairing(OwnerSession session, String code) {
    return p.pairing().approve(pendingCode(code), session.actor());
  }

  public PairingStore.Pending denyPairing(OwnerSession session, String code) {
    return p.pairing().deny(pendingCode(code), session.actor());
  }

  private String pendingCode(String code) {
    String canonical = PairingStore.canonicalCode(code);
    if (p.pairing().pending().stream().noneMatch(x -> x.code().equals(canonical))) {
      throw OwnerProblem.noSuch("no pending pairing request with that code");
    }
    return canonical;
  }

  // --- audit ---

  /** The newest entries matching {@code filter}, newest first. */
  public List<AuditRecord> audit(AuditFilter filter) {
    List<byte[]> lines = scan().lines();
    List<AuditRecord> out = new ArrayList<>();
    for (int i = lines.size() - 1; i >= 0 && out.size() < filter.limit(); i--) {
      AuditRecord r = AuditRecord.parse(lines.get(i));
      if (r == null) {
        continue;
      }
      if ((filter.since() == null || !r.time().isBefore(filter.since()))
          && (filter.type() == null || r.type().equals(filter.type()))
          && (filter.actor() == null || r.actor().equals(filter.actor()))) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Entry {@code seq} with its inclusion evidence ({@link InclusionEvidence}); a log that is
   * not intact where the evidence is built is a 409 saying what is wrong.
   */
  public AuditEntry auditEntry(long seq) {
    List<byte[]> lines = scan().lines();
    if (seq < 0 || seq >= lines.size()) {
      throw OwnerProblem.noSuch("no audit entry " + seq + "; the log has " + lines.size());
    }
    byte[] line = lines.get((int) seq);
    AuditRecord r = AuditRecord.parse(line);
    if (r == null) {
      throw new OwnerProblem(Problem.Kind.CONFLICT, "audit entry " + seq + " cannot be read; verify the log");
    }
    try {
      return new AuditEntry(r, new String(line, StandardCharsets.US_ASCII), p.evidence().of(seq));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The latest signed checkpoint's text, if there is one. */
  public Optional<Checkpoint> latestCheckpoint() {
    try {
      return Optional.ofNullable(AuditVerifier.latestCheckpoint(p.auditDir(), AuditVerifier.verifierKey(p.auditDir())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private AuditVerifier.Scan scan() {
    try {
      return AuditVerifier.scan(p.auditDir(), false, true, -1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // --- trust ---

  public List<TrustStore.DomainTrust> trust() {
    return p.trust().overview();
  }

  public List<TrustStore.Change> trustHistory() {
    return p.trust().history();
  }

  /** Sets {@code domain} to {@code level}; a raise is sensitive (a code proved in the last 5 minutes). */
  public long setTrust(OwnerSession session, Domain domain, Level level, String reason) {
    if (level.compareTo(p.trust().level(domain)) > 0 && !session.recentlyReauthenticated(p.clock().instant())) {
      throw OwnerProblem.reauth();
    }
    return p.trust().set(domain, level, session.actor(), reason);
  }

  public long rollbackTrust(OwnerSession session, long changeId) {
    if (p.trust().change(changeId).isEmpty()) {
      throw OwnerProblem.noSuch("no trust change #" + changeId);
    }
    return p.trust().rollback(changeId, session.actor());
  }

  // --- agents and channels ---

  public List<KeyHolder> agents() {
    return holders(p.agents());
  }

  public List<KeyHolder> channels() {
    return holders(p.channels());
  }

  public void revokeAgent(OwnerSession session, String name) {
    revoke(p.agents(), session, name, "agent");
  }

  public void revokeChannel(OwnerSession session, String name) {
    revoke(p.channels(), session, name, "channel");
  }

  private static List<KeyHolder> holders(AgentRegistry r) {
    try {
      List<KeyHolder> out = new ArrayList<>();
      for (Agent a : r.list()) {
        out.add(new KeyHolder(a.name(), a.keyId(), a.allow(), a.created(),
            a.previous().map(Agent.PreviousKey::keyId), a.previous().map(Agent.PreviousKey::until)));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void revoke(AgentRegistry r, OwnerSession session, String name, String noun) {
    if (name == null || !AgentRegistry.NAME.matcher(name).matches()) {
      throw OwnerProblem.badRequest("a " + noun + " name is 1-32 characters of a-z, 0-9, _ and -");
    }
    try {
      if (r.find(name).isEmpty()) {
        throw OwnerProblem.noSuch("no " + noun + " " + name);
      }
      r.revoke(name, session.actor());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // --- catalog and vault ---

  public List<ServiceInfo> services() {
    List<ServiceInfo> out = new ArrayList<>();
    for (var s : p.catalog().get().services().values()) {
      List<ActionInfo> actions = new ArrayList<>();
      for (var a : s.actions().values()) {
        actions.add(new ActionInfo(a.fullName(), a.method(), a.domain()));
      }
      out.add(new ServiceInfo(s.name(), s.baseUrl().toString(), actions));
    }
    return out;
  }

  /** The vault's entry names: never a value, nor its length. */
  public List<String> vaultNames() {
    try {
      return p.vault().list().stream().map(Vault.EntryInfo::name).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the catalog anew; a bad one keeps the running one (409 naming the file and line). Audited either way. */
  public Reloaded reload(OwnerSession session) {
    Catalog next;
    try {
      next = p.catalogSource().load();
    } catch (ConfigException e) {
      p.audit().record(new AuditEvent("catalog.reload", session.actor(), "services", "refused",
          Map.of("problem", e.getMessage())));
      throw new OwnerProblem(Problem.Kind.CONFLICT, "the running catalog stays: " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    p.audit().record(new AuditEvent("catalog.reload", session.actor(), "services", "accepted",
        Map.of("services", Integer.toString(next.services().size()), "actions", Integer.toString(next.actionCount()))));
    p.catalog().set(next);
    return new Reloaded(next.services().size(), next.actionCount());
  }

  // --- users ---

  public List<OwnerUsers.User> users() {
    return p.users().list();
  }

  public void removeUser(OwnerSession session, String name) {
    if (name == null || name.isBlank()) {
      throw OwnerProblem.badRequest("name the user to remove");
    }
    if (name.equals(session.user())) { // the last owner could lock everyone out; the host's CLI still can
      throw new OwnerProblem(Problem.Kind.CONFLICT, "you cannot remove yourself here; `gatehouse user remove "
          + Problem.printable(name, 64) + "` on the host can");
    }
    if (!p.users().remove(name, session.actor())) {
      throw OwnerProblem.noSuch("no user " + Problem.printable(name, 64));
    }
  }
}
