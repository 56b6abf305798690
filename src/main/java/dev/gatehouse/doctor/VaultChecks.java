package dev.gatehouse.doctor;

import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.vault.KdfParams;
import dev.gatehouse.vault.Vault;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The vault file's header: present and readable, its key derivation, what opens it. None needs
 * the password. The file is the home's {@code vault.gh}: with {@code storage: backend: postgres}
 * too, where it is what opens this replica (and the shared vault through it: docs/storage.md),
 * and the one copy of the vault on this machine's disk.
 */
final class VaultChecks {
  private VaultChecks() {}

  private static Vault.Status status(Inspection in) throws NotChecked, java.io.IOException {
    Vault v = in.gatehouse().localVault();
    if (!v.exists()) {
      throw new NotChecked("the home has no vault", "see vault.unreadable");
    }
    try {
      return v.status();
    } catch (GatehouseException e) {
      throw new NotChecked("the vault's header cannot be read", "see vault.unreadable");
    }
  }

  /** vault.unreadable: no vault.gh, or one whose header does not parse: no secret can be used. */
  static List<Finding> unreadable(Inspection in) throws Exception {
    Vault v = in.gatehouse().localVault();
    if (!v.exists()) {
      return List.of(Finding.critical("vault.unreadable", "the home has no vault (" + v.file() + "): nothing can be "
          + "unsealed, so nothing is served", "create it with `gatehouse init` (it keeps your settings)"));
    }
    try {
      v.status();
      return List.of();
    } catch (GatehouseException e) {
      return List.of(Finding.critical("vault.unreadable", v.file() + " cannot be read: " + e.getMessage(),
          "put back the vault file from a backup (`gatehouse restore`)"));
    }
  }

  /** vault.kdf_weak: a slot whose Argon2id parameters are below the floor new vaults must meet. */
  static List<Finding> kdfWeak(Inspection in) throws Exception {
    List<Finding> out = new ArrayList<>();
    for (Map.Entry<String, KdfParams> slot : status(in).kdf().entrySet()) {
      KdfParams k = slot.getValue();
      try {
        k.requireStrongEnough();
      } catch (IllegalArgumentException weak) {
        out.add(Finding.warn("vault.kdf_weak", "the vault's " + slot.getKey() + " slot derives its key with Argon2id m="
            + k.memoryKiB() + " KiB, t=" + k.iterations() + ", p=" + k.parallelism() + ": " + weak.getMessage()
            + "; a copy of vault.gh is that much cheaper to attack offline",
            slot.getKey().equals("password") ? "`gatehouse vault passwd` (default m=64 MiB, t=3)"
                : "no command re-seals a machine slot yet: add a strong master password with `gatehouse vault passwd`"));
      }
    }
    return out;
  }

  /**
   * vault.machine_only: sealed mode with no password slot. The vault opens with this
   * machine's identity alone: unattended boots, but also anyone with root here, or with the
   * disk and its /etc/machine-id and host name; and a home moved to another machine (or a
   * new machine id) does not open at all: no password can recover it. Warn, not critical:
   * it is a documented trade the owner chose, but one with no way back.
   */
  static List<Finding> machineOnly(Inspection in) throws Exception {
    Vault.Status s = status(in);
    if (s.slots().contains("machine") && !s.slots().contains("password")) {
      return List.of(Finding.warn("vault.machine_only", "the vault opens only with this machine's identity"
          + (s.machinePin() ? " and its PIN" : "") + " (/etc/machine-id and the host name): moved to another machine,"
          + " restored onto a new disk, or after the machine id changes, it cannot be opened at all; and whoever has"
          + " this disk with its /etc/machine-id opens it" + (s.machinePin() ? " with the PIN" : ""),
          "add a master password as a second way in: `gatehouse vault passwd` (keep it offline)"));
    }
    return List.of();
  }
}
