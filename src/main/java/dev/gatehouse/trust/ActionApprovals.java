package dev.gatehouse.trust;

import java.time.Instant;
import java.util.Optional;

/**
 * The owner's approvals of single broker requests (DESIGN §10): an approval covers exactly
 * one request, named by the SHA-256 of (agent, action, canonical parameters and body), runs
 * it at most once, and expired means denied. Kept in {@code state.db}; every change audited.
 */
public interface ActionApprovals {
  enum Status {
    PENDING, APPROVED, DENIED, EXPIRED, USED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One request waiting for, or having had, the owner's decision. */
  record Approval(String id, String agent, String action, Domain domain, String requestSha256, Status status,
      Instant created, Instant expires, String summary) {}

  /**
   * Opens an approval for {@code agent}'s request, or returns the pending one for the very
   * same request (an agent retrying before the owner answered gets the same id).
   *
   * @param summary what the owner is shown: method, upstream URL without credentials, parameters (no secret)
   */
  Approval open(String agent, String action, Domain domain, String requestSha256, String summary);

  /** The approval {@code id} as it stands now (an expired one reads EXPIRED). */
  Optional<Approval> find(String id);

  /** What redeeming an approval for a retried call gave. */
  sealed interface Redeemed {}

  /** Approved, for this agent and this exact request: now USED; the call may run once. */
  record Granted(Approval approval) implements Redeemed {}

  /**
   * Not granted: {@code reason} is {@code unknown}, {@code pending}, {@code denied},
   * {@code expired}, {@code used}, or {@code other-request} (another agent, action or
   * parameters than the approved request).
   */
  record NotGranted(String reason) implements Redeemed {}

  /** Atomically checks approval {@code id} against {@code agent} and {@code requestSha256}, and spends it. */
  Redeemed redeem(String id, String agent, String requestSha256);
}
