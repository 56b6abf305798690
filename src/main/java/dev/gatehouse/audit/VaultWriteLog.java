package dev.gatehouse.audit;

import java.util.Map;

/**
 * An audit log that keeps the vault's ledger ({@link AuditVaultLedger}): it knows what its
 * {@value VaultWrites#TYPE} entries say of the vault's generations, and records them with
 * their details as given. Both writers implement it: {@link FileAuditLog} for one home,
 * {@link PgAuditLog} for the replicas that share a database.
 */
public interface VaultWriteLog extends AuditLog {
  /**
   * What the log's entries say of the vault's generations, all writers' entries counted.
   *
   * @throws dev.gatehouse.error.RefusedException if the log cannot be read: the caller refuses to use the vault
   */
  VaultWrites vaultWrites();

  /**
   * Records a {@value VaultWrites#TYPE} entry, durably, and if {@code sign} signs a checkpoint
   * covering it before returning (else the next checkpoint covers it). Its details
   * (generations and SHA-256s, checked to be decimal or hex) are written as given: scrubbing
   * a secret value that happened to appear in a digest would break the record the rollback
   * check reads. The other fields are redacted as usual.
   */
  void recordVaultWrite(String actor, String outcome, Map<String, String> details, boolean sign);

  /** The entry {@link #recordVaultWrite} writes: the details checked and kept, the rest redacted. */
  static AuditEvent vaultWriteEvent(Redactor redactor, String actor, String outcome, Map<String, String> details) {
    details.forEach((k, v) -> {
      if (!k.matches("[a-z_0-9]+") || !v.matches("[0-9a-f]{1,64}")) {
        throw new IllegalArgumentException("a vault.write detail is a decimal or hex value");
      }
    });
    AuditEvent scrubbed = redactor.redact(new AuditEvent(VaultWrites.TYPE, actor, "vault.gh", outcome, Map.of()));
    return new AuditEvent(scrubbed.type(), scrubbed.actor(), scrubbed.target(), scrubbed.outcome(), details);
  }
}
