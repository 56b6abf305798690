package dev.gatehouse.vault;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.error.BadInputException;
import java.io.IOException;
import java.util.Map;

/**
 * The owner's operations on the vault, each recorded in the audit log before it takes effect
 * (and refused if it cannot be recorded). Values never reach an event.
 */
public final class VaultService {
  private final Vault vault;
  private final AuditLog audit;

  /** Redaction learns each value added from the vault itself, before the new image can be seen ({@link Vault#watchValues}). */
  public VaultService(Vault vault, AuditLog audit) {
    this.vault = vault;
    this.audit = audit;
  }

  public void add(String name, byte[] value, boolean replace, String actor) throws IOException {
    boolean exists = vault.contains(name);
    if (exists && !replace) {
      throw new BadInputException("'" + name + "' already exists; add --replace to overwrite it");
    }
    record("vault.add", actor, name, exists ? "replaced" : "added", Map.of("bytes", Integer.toString(value.length)));
    vault.put(name, value, replace);
  }

  public boolean remove(String name, String actor) throws IOException {
    if (!vault.contains(name)) {
      return false;
    }
    record("vault.rm", actor, name, "removed", Map.of());
    return vault.remove(name);
  }

  public void setPassword(Credential.Password password, KdfParams kdf, String actor) throws IOException {
    record("vault.passwd", actor, "vault", "changed", Map.of("kdf_memory_kib", Integer.toString(kdf.memoryKiB()),
        "kdf_iterations", Integer.toString(kdf.iterations())));
    vault.setPassword(password, kdf);
  }

  /** Adds (or replaces) this machine's slot: {@link Vault#sealToMachine}. */
  public void sealToMachine(Credential.MachineSeal seal, KdfParams kdf, String actor) throws IOException {
    record("vault.seal", actor, "vault", "sealed", Map.of("pin", Boolean.toString(seal.hasPin()),
        "shared", Boolean.toString(vault.storage().shared())));
    vault.sealToMachine(seal, kdf);
  }

  public void rotate(String actor) throws IOException {
    record("vault.rotate", actor, "vault", "rotated", Map.of());
    vault.rotate();
  }

  private void record(String type, String actor, String target, String outcome, Map<String, String> details) {
    audit.record(new AuditEvent(type, actor, target, outcome, details));
  }
}
