package dev.gatehouse.dashboard;

import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.owner.OwnerOperations;
import dev.gatehouse.owner.OwnerProblem;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The dashboard's {@link Console} over the owner operations the JSON API also calls, so a page
 * and an API request do the same thing with the same checks and audit. An operation's refusal
 * ({@link OwnerProblem}, a bad input, a refused change) becomes an {@link Console.Outcome} the
 * page shows; a refusal for want of re-auth sends the browser to the re-auth form.
 */
public final class OperationsConsole implements Console {
  private final OwnerOperations ops;

  public OperationsConsole(OwnerOperations ops) {
    this.ops = Objects.requireNonNull(ops);
  }

  @Override
  public Overview overview() {
    OwnerOperations.Status s = ops.status();
    List<String> lockouts = s.lockouts().stream().map(l -> l.who() + " until " + l.until()).toList();
    return new Overview(s.sealed(), s.audit().map(OwnerOperations.AuditCheck::intact).orElse(false),
        s.audit().map(OwnerOperations.AuditCheck::verifiedAt), s.audit().map(OwnerOperations.AuditCheck::entries)
            .orElse(0L), lockouts, s.pendingApprovals(), s.pendingPairings());
  }

  @Override
  public void verifyAudit() {
    ops.verifyAudit();
  }

  @Override
  public List<ApprovalItem> pendingApprovals() {
    return ops.approvals().stream().filter(a -> a.status() == ActionApprovals.Status.PENDING)
        .map(a -> new ApprovalItem(a, ops.needsCode(a))).toList();
  }

  @Override
  public Outcome approve(OwnerSession session, String id) {
    return outcome(() -> ops.approve(session, id));
  }

  @Override
  public Outcome deny(OwnerSession session, String id, String reason) {
    return outcome(() -> ops.deny(session, id, reason));
  }

  @Override
  public List<PairingItem> pendingPairings() {
    return ops.pairings().pending().stream()
        .map(p -> new PairingItem(p.channel(), p.sender(), p.senderName(), p.code(), p.created(), p.expires())).toList();
  }

  @Override
  public Outcome approvePairing(OwnerSession session, String code) {
    return outcome(() -> ops.approvePairing(session, code));
  }

  @Override
  public Outcome denyPairing(OwnerSession session, String code) {
    return outcome(() -> ops.denyPairing(session, code));
  }

  @Override
  public List<AuditRecord> audit(String type, String actor, int limit) {
    return ops.audit(new OwnerOperations.AuditFilter(type, actor, null,
        Math.min(limit, OwnerOperations.AUDIT_LIMIT_MAX)));
  }

  /** Entry {@code seq}; empty when there is none. A log not intact there is the operations' refusal (409). */
  @Override
  public Optional<AuditRecord> auditEntry(long seq) {
    return entry(seq).map(OwnerOperations.AuditEntry::record);
  }

  /** The evidence the operations built for the entry (against a signed checkpoint), as JSON for proof.js. */
  @Override
  public Optional<String> evidenceJson(long seq) {
    return entry(seq).map(e -> e.evidence().toJson().toString());
  }

  private Optional<OwnerOperations.AuditEntry> entry(long seq) {
    try {
      return Optional.of(ops.auditEntry(seq));
    } catch (OwnerProblem e) {
      if (e.problem().kind() == Problem.Kind.NO_SUCH_ITEM) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public List<TrustItem> trust() {
    return ops.trust().stream().map(t -> new TrustItem(t.domain().wire(), t.level().number(), t.level().wire(),
        t.lastChange().map(c -> c.time()))).toList();
  }

  @Override
  public List<TrustChange> trustHistory() {
    return ops.trustHistory().stream().map(c -> new TrustChange(c.id(), c.time(), c.domain().wire(),
        c.from().number() + " " + c.from().wire(), c.to().number() + " " + c.to().wire(), c.who(), c.reason()))
        .toList();
  }

  @Override
  public Outcome setTrust(OwnerSession session, String domain, int level, String reason) {
    Optional<Domain> d = Domain.parse(domain);
    Optional<Level> l = Level.of(level);
    if (d.isEmpty() || l.isEmpty()) {
      return Outcome.refused("Unknown domain or level.");
    }
    return outcome(() -> ops.setTrust(session, d.get(), l.get(), reason));
  }

  @Override
  public Outcome rollbackTrust(OwnerSession session, long changeId) {
    return outcome(() -> ops.rollbackTrust(session, changeId));
  }

  @Override
  public List<AgentItem> agents() {
    return ops.agents().stream().map(a -> new AgentItem(a.name(), a.allow(), Optional.ofNullable(a.created())))
        .toList();
  }

  @Override
  public List<ServiceItem> services() {
    return ops.services().stream().map(s -> new ServiceItem(s.name(), s.baseUrl(),
        s.actions().stream().map(OwnerOperations.ActionInfo::name).toList())).toList();
  }

  @Override
  public List<String> vaultNames() {
    return ops.vaultNames();
  }

  private static Outcome outcome(Supplier<?> change) {
    try {
      change.get();
      return Outcome.done("done");
    } catch (OwnerProblem e) {
      Problem p = e.problem();
      String why = p.detail() == null ? p.kind().title : p.detail();
      return p.kind() == Problem.Kind.REAUTH_REQUIRED ? Outcome.reauth(why) : Outcome.refused(why);
    } catch (BadInputException | RefusedException | NotConfiguredException e) {
      return Outcome.refused(e.getMessage());
    }
  }
}
