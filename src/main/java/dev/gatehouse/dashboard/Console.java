package dev.gatehouse.dashboard;

import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.owner.OwnerSession;
import dev.gatehouse.trust.ActionApprovals;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the dashboard reads and does, and nothing more: the pages call these, the owner
 * operations (shared with the JSON API) answer them. Every change names the session, so it
 * is done and audited as {@code owner:USER}; none returns a secret value.
 */
public interface Console {
  /** The overview's state. {@code auditVerifiedAt} is empty when the log was never verified. */
  record Overview(boolean sealed, boolean auditIntact, Optional<Instant> auditVerifiedAt, long auditEntries,
      List<String> lockouts, int pendingApprovals, int pendingPairings) {}

  /**
   * A pending approval, and whether approving it needs a code ({@code trust.approve_with_code}):
   * then the admin role and a code proved within the last 5 minutes (re-auth).
   */
  record ApprovalItem(ActionApprovals.Approval approval, boolean needsCode) {}

  /** A pending pairing request; the code is what the owner approves it by. */
  record PairingItem(String channel, String sender, String senderName, String code, Instant created,
      Instant expires) {
    @Override
    public String toString() {
      return "PairingItem[" + channel + ", expires " + expires + "]";
    }
  }

  /** One domain's level (0–4 and its name), and its last change. */
  record TrustItem(String domain, int level, String levelName, Optional<Instant> changed) {}

  /** One recorded trust change. */
  record TrustChange(long id, Instant time, String domain, String from, String to, String who, String reason) {}

  record AgentItem(String name, List<String> actions, Optional<Instant> created) {}

  record ServiceItem(String name, String baseUrl, List<String> actions) {}

  /**
   * What a change gave: done, or refused with a message fit for the owner's eyes;
   * {@code needsReauth} when it needs a code proved within the last 5 minutes first.
   */
  record Outcome(boolean ok, boolean needsReauth, String message) {
    static Outcome done(String message) {
      return new Outcome(true, false, message);
    }

    static Outcome refused(String message) {
      return new Outcome(false, false, message);
    }

    static Outcome reauth(String message) {
      return new Outcome(false, true, message);
    }
  }

  Overview overview();

  /** Verifies the whole audit log now (hashes, chain, latest checkpoint); the overview then shows the result. */
  void verifyAudit();

  List<ApprovalItem> pendingApprovals();

  Outcome approve(OwnerSession session, String id);

  Outcome deny(OwnerSession session, String id, String reason);

  List<PairingItem> pendingPairings();

  Outcome approvePairing(OwnerSession session, String code);

  Outcome denyPairing(OwnerSession session, String code);

  /** The newest audit entries first, at most {@code limit}, filtered by type and actor (each null or blank: any). */
  List<AuditRecord> audit(String type, String actor, int limit);

  Optional<AuditRecord> auditEntry(long seq);

  /** The inclusion evidence of entry {@code seq} as JSON (proof, signed checkpoint), for the page to verify. */
  Optional<String> evidenceJson(long seq);

  List<TrustItem> trust();

  List<TrustChange> trustHistory();

  Outcome setTrust(OwnerSession session, String domain, int level, String reason);

  Outcome rollbackTrust(OwnerSession session, long changeId);

  List<AgentItem> agents();

  List<ServiceItem> services();

  /** The names of the vault's entries, never their values. */
  List<String> vaultNames();
}
