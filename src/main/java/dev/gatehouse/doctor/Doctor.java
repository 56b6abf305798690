package dev.gatehouse.doctor;

import dev.gatehouse.error.GatehouseException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code gatehouse doctor}: every check of {@link #CHECKS} over one home, in order, each
 * independent of the others' findings. A check that cannot be made is said as
 * {@code doctor.not_checked} (info), never skipped in silence. {@code --fix} applies the
 * findings' repairs (file modes and owners only), then checks everything again: the report
 * is of the home as it is after the changes.
 */
public final class Doctor {
  /** The checks in the order they are shown; ids are stable (docs/doctor.md). */
  public static final List<Check> CHECKS = List.of(
      new Check("home.perms", FileChecks::homePerms),
      new Check("vault.perms", FileChecks::vaultPerms),
      new Check("config.invalid", ServerChecks::configInvalid),
      // The log is read before anything unseals the vault: unsealing opens it for writing.
      new Check("audit.unwritable", AuditChecks::unwritable),
      new Check("audit.chain_broken", AuditChecks::chainBroken),
      new Check("audit.checkpoint_stale", AuditChecks::checkpointStale),
      new Check("audit.disk_low", AuditChecks::diskLow),
      new Check("vault.unreadable", VaultChecks::unreadable),
      new Check("vault.kdf_weak", VaultChecks::kdfWeak),
      new Check("vault.machine_only", VaultChecks::machineOnly),
      new Check("storage.unreachable", StateChecks::storageUnreachable),
      new Check("totp.not_configured", StateChecks::totpNotConfigured),
      new Check("bind.non_loopback_without_tls", ServerChecks::nonLoopbackWithoutTls),
      new Check("bind.no_owner_account", ServerChecks::noOwnerAccount),
      new Check("tls.invalid", ServerChecks::tlsInvalid),
      new Check("tls.expiring", ServerChecks::tlsExpiring),
      new Check("owner.no_totp", ServerChecks::ownerWithoutTotp),
      new Check("agent.key_file_perms", FileChecks::agentKeyFilePerms),
      new Check("agent.key_old", StateChecks::agentKeyOld),
      new Check("catalog.invalid", StateChecks::catalogInvalid),
      new Check("chat.gate_off", StateChecks::chatGateOff),
      new Check("trust.high", StateChecks::trustHigh),
      new Check("exec.sudoers_too_broad", ExecChecks::sudoersTooBroad),
      new Check("exec.sudoers_target_writable", ExecChecks::sudoersTargetWritable),
      new Check("exec.policy_writable_by_agent", ExecChecks::policyWritableByAgent));
  public static final Check DEEP = new Check("deep.daemon", DeepChecks::daemon);

  /** What one run found, and what {@code --fix} changed before the final look. */
  public record Report(List<Finding> findings, List<String> changes) {
    public boolean critical() {
      return findings.stream().anyMatch(f -> f.severity() == Finding.Severity.CRITICAL);
    }
  }

  private Doctor() {}

  public static Report run(Inspection.Settings settings, boolean fix, boolean deep) {
    List<Finding> first = look(settings, deep);
    if (!fix) {
      return new Report(first, List.of());
    }
    List<String> changes = new ArrayList<>();
    boolean changed = false;
    for (Finding f : first) {
      if (f.repair() == null) {
        continue;
      }
      try {
        changes.add(f.repair().apply());
        changed = true;
      } catch (IOException e) {
        changes.add("not changed (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
            + e.getMessage()) + "): " + f.fix());
      } catch (RuntimeException e) {
        changes.add("not changed (" + e.getClass().getSimpleName() + "): " + f.fix());
      }
    }
    return new Report(changed ? look(settings, deep) : first, changes);
  }

  private static List<Finding> look(Inspection.Settings settings, boolean deep) {
    if (!Files.isDirectory(settings.home())) {
      return List.of(Finding.critical("home.missing", "no Gatehouse home at " + settings.home(),
          "create one with `gatehouse init`, or give --home DIR"));
    }
    List<Finding> out = new ArrayList<>();
    // Checks not made, by reason (one finding names every check one reason stopped).
    Map<String, List<String>> notChecked = new LinkedHashMap<>();
    Map<String, String> fixes = new LinkedHashMap<>();
    try (Inspection in = new Inspection(settings)) {
      List<Check> checks = new ArrayList<>(CHECKS);
      if (deep) {
        checks.add(DEEP);
      }
      for (Check c : checks) {
        try {
          out.addAll(run(c, in));
        } catch (NotChecked n) {
          notChecked.computeIfAbsent(n.getMessage(), k -> new ArrayList<>()).add(c.id());
          fixes.putIfAbsent(n.getMessage(), n.fix());
        }
      }
    }
    notChecked.forEach((reason, checks) -> out.add(Finding.info("doctor.not_checked", String.join(", ", checks)
        + " not checked: " + reason, fixes.get(reason))));
    return out;
  }

  private static List<Finding> run(Check c, Inspection in) throws NotChecked {
    try {
      return c.body().run(in);
    } catch (NotChecked n) {
      throw n;
    } catch (GatehouseException e) {
      return List.of(Finding.warn("doctor.check_failed", c.id() + " could not finish: " + e.getMessage(),
          "run doctor again; report it if it persists"));
    } catch (IOException e) {
      return List.of(Finding.warn("doctor.check_failed", c.id() + " could not finish: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()), "run doctor again; report it if it persists"));
    } catch (Exception e) {
      // An unexpected failure's message might carry anything; its kind is enough to report it.
      return List.of(Finding.warn("doctor.check_failed", c.id() + " could not finish ("
          + e.getClass().getSimpleName() + ")", "run doctor again; report it if it persists"));
    }
  }
}
