package dev.gatehouse.audit;

import dev.gatehouse.error.RefusedException;
import dev.gatehouse.vault.VaultLedger;
import dev.gatehouse.vault.VaultVersion;
import java.util.HashMap;
import java.util.Map;

/**
 * The vault's ledger kept in the audit log: each new generation is a {@value VaultWrites#TYPE}
 * entry, forced and covered by a signed checkpoint before the file that holds it is renamed
 * into place (its completion, and what an opening reconciles, are forced and covered by the
 * next checkpoint); an owner's acceptance is signed at once; what the log knows is {@link VaultWriteLog#vaultWrites}
 * (in a home's files, read from the latest checkpoint and the entries after it; in PostgreSQL,
 * from the head row).
 */
public final class AuditVaultLedger implements VaultLedger {
  private final VaultWriteLog log;
  private final String actor;
  private final String vaultName;

  /** @param actor who the entries name (the process's user, as for the vault changes themselves) */
  public AuditVaultLedger(VaultWriteLog log, String actor) {
    this(log, actor, "vault.gh");
  }

  /** @param vaultName what a refusal calls the vault: {@code vault.gh}, or the database's shared vault */
  public AuditVaultLedger(VaultWriteLog log, String actor, String vaultName) {
    this.log = log;
    this.actor = actor;
    this.vaultName = vaultName;
  }

  /** How {@code present} stands against what the log knows. */
  public record Standing(VaultVersion present, VaultWrites known, VaultWrites.Verdict verdict) {}

  public Standing standing(VaultVersion present) {
    VaultWrites known = log.vaultWrites();
    return new Standing(present, known, known.judge(present));
  }

  @Override
  public void admit(VaultVersion present, boolean reconcile) {
    Standing s = standing(present);
    if (!s.verdict().admitted) {
      if (reconcile) {
        log.record(new AuditEvent("vault.open", actor, vaultName, "refused-rollback",
            Map.of("present", present.generation() + " " + present.sha256(), "expected", s.known().describe())));
      }
      throw new RefusedException(refusal(s, vaultName));
    }
    if (!reconcile) {
      return;
    }
    switch (s.verdict()) {
      case COMPLETED -> log.recordVaultWrite(actor, VaultWrites.COMMITTED, VaultWrites.details(present), false);
      case NOT_CARRIED_OUT -> log.recordVaultWrite(actor, VaultWrites.ABANDONED, VaultWrites.details(s.known().pending()), false);
      case NEWER -> log.recordVaultWrite(actor, VaultWrites.ADOPTED, VaultWrites.details(present), false);
      default -> {
        // the current generation: nothing to record
      }
    }
  }

  @Override
  public long generationAfter(VaultVersion from) {
    return log.vaultWrites().generationAfter(from);
  }

  @Override
  public void intend(VaultVersion from, VaultVersion to) {
    Map<String, String> details = new HashMap<>(VaultWrites.details(to));
    if (from != null) {
      details.put("from_generation", Long.toString(from.generation()));
      details.put("from_sha256", from.sha256());
    }
    log.recordVaultWrite(actor, VaultWrites.INTENDED, details, true);
  }

  @Override
  public void committed(VaultVersion to) {
    log.recordVaultWrite(actor, VaultWrites.COMMITTED, VaultWrites.details(to), false);
  }

  @Override
  public void accept(VaultVersion present, String owner) {
    VaultWrites known = log.vaultWrites();
    Map<String, String> details = new HashMap<>(VaultWrites.details(present));
    VaultVersion expected = known.pending() != null && known.pending().generation() >= known.newestGeneration()
        ? known.pending() : known.current();
    if (expected != null) {
      details.put("expected_generation", Long.toString(expected.generation()));
      details.put("expected_sha256", expected.sha256());
    }
    log.recordVaultWrite(owner, VaultWrites.ACCEPTED, details, true);
  }

  /** The one message for a vault the log does not admit: what it is, what was expected, the ways forward. */
  static String refusal(Standing s) {
    return refusal(s, "vault.gh");
  }

  static String refusal(Standing s, String vaultName) {
    String what = s.verdict() == VaultWrites.Verdict.ROLLED_BACK
        ? "older than the audit log's record of it"
        : "not the vault the audit log recorded as current";
    return vaultName + " is " + s.present().describe() + ", " + what + ": the log expects " + s.known().describe()
        + ". It was replaced by another copy of itself, so revoked keys, removed secrets or an old password "
        + "could be back; refusing to use it. Put the newer " + vaultName + " back, or, if this copy is meant (a restore "
        + "from backup), run `gatehouse vault accept-rollback` as the home's owner on this host";
  }

}
