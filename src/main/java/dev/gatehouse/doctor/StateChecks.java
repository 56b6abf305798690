package dev.gatehouse.doctor;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.AgentRegistry;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.otp.Enrollment;
import dev.gatehouse.otp.TotpStatus;
import dev.gatehouse.otp.VaultEnrollmentStore;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.TrustStore;
import dev.gatehouse.vault.Vault;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the home holds: the owner's TOTP, agent keys, the catalog, the chat gate, trust levels. */
final class StateChecks {
  /** An agent key older than this should be rotated: a key that leaked unnoticed stays useful no longer. */
  static final Duration KEY_MAX_AGE = Duration.ofDays(90);
  /** The domains where level 4 (full: the agent acts alone, nothing reported first) deserves a second look. */
  static final Set<Domain> SENSITIVE = EnumSet.of(Domain.SYSTEM, Domain.SHELL, Domain.FINANCE);

  private StateChecks() {}

  /**
   * totp.not_configured: no active owner TOTP key: approvals, exec and the chat gate refuse
   * everything (fail closed), and the owner cannot approve anything.
   */
  static List<Finding> totpNotConfigured(Inspection in) throws Exception {
    String fix = "`gatehouse totp setup` and confirm with a code from your authenticator app";
    try {
      TotpStatus s = in.unsealed().totp().status();
      if (s.enrollment() == Enrollment.Status.ACTIVE) {
        return List.of();
      }
      return List.of(Finding.warn("totp.not_configured", s.enrollment() == Enrollment.Status.PENDING
          ? "the owner's TOTP key is enrolled but not confirmed: nothing that needs your code works yet"
          : "no owner TOTP key: approvals, `gatehouse exec` and the chat gate refuse everything", fix));
    } catch (NotChecked sealed) {
      Inspection.Entries entries = in.entries();
      if (entries.has(VaultEnrollmentStore.ENTRY) || Files.exists(in.file(Gatehouse.LEGACY_TOTP_FILE))) {
        return List.of(); // whether it is confirmed needs the unsealed vault
      }
      return List.of(Finding.warn("totp.not_configured", "no owner TOTP key: approvals, `gatehouse exec` and the chat "
          + "gate refuse everything" + entries.caveat(), fix));
    }
  }

  /**
   * agent.key_old: an agent or channel key not changed for {@link #KEY_MAX_AGE}. The time is
   * the vault entry's last write, which {@code add} and {@code rotate} make.
   */
  static List<Finding> agentKeyOld(Inspection in) throws Exception {
    Inspection.Entries entries = in.entries();
    Instant now = in.settings().clock().instant();
    List<Finding> out = new ArrayList<>();
    for (Vault.EntryInfo e : entries.list()) {
      String kind = e.name().startsWith(AgentRegistry.ENTRY_PREFIX) ? "agent"
          : e.name().startsWith(AgentRegistry.CHANNEL_PREFIX) ? "channel" : null;
      if (kind == null || !e.updated().plus(KEY_MAX_AGE).isBefore(now)) {
        continue;
      }
      String name = e.name().substring((kind.equals("agent") ? AgentRegistry.ENTRY_PREFIX
          : AgentRegistry.CHANNEL_PREFIX).length());
      long days = Duration.between(e.updated(), now).toDays();
      out.add(Finding.warn("agent.key_old", "the " + kind + " " + name + "'s key was made " + days + " days ago ("
          + e.updated() + "), more than " + KEY_MAX_AGE.toDays() + " days: a key that leaked unnoticed stays useful"
          + " until it changes" + entries.caveat(), kind.equals("agent")
          ? "`gatehouse agent rotate " + name + " --key-file PATH` (the old key works for the overlap)"
          : "`gatehouse channel revoke " + name + "` and `gatehouse channel add " + name + " --key-file PATH`"));
    }
    return out;
  }

  /** catalog.invalid: services/*.yaml does not load as the daemon loads it; serve refuses, and reload keeps the old one. */
  static List<Finding> catalogInvalid(Inspection in) throws Exception {
    Inspection.Entries entries = in.entries();
    try {
      Catalog.load(in.file(Catalog.DIR), entries::has);
      return List.of();
    } catch (GatehouseException e) {
      return List.of(Finding.critical("catalog.invalid", e.getMessage() + entries.caveat(),
          "correct that file (docs/broker.md), then `gatehouse reload`"));
    }
  }

  /** chat.gate_off: the chat gate is off for every channel or for some: their messages reach the agent unproved. */
  static List<Finding> chatGateOff(Inspection in) throws NotChecked {
    var chat = in.config().chat();
    List<Finding> out = new ArrayList<>();
    if (!chat.gate()) {
      out.add(Finding.warn("chat.gate_off", "chat.gate is off: messages on every channel not named otherwise reach the "
          + "agent without a TOTP session", "set chat.gate: on (docs/chat.md)"));
    }
    for (Map.Entry<String, Boolean> c : new java.util.TreeMap<>(chat.channelGates()).entrySet()) {
      if (!c.getValue() && chat.gate()) {
        out.add(Finding.warn("chat.gate_off", "the chat gate is off for channel " + c.getKey() + ": its messages reach "
            + "the agent without a TOTP session", "remove `gate: off` from chat.channels." + c.getKey()));
      }
    }
    return out;
  }

  /** storage.unreachable: {@code storage:} names PostgreSQL, and doctor cannot reach it as the daemon would. */
  static List<Finding> storageUnreachable(Inspection in) throws Exception {
    if (!in.postgres()) {
      return List.of();
    }
    Gatehouse g;
    try {
      g = in.unsealed();
    } catch (NotChecked e) {
      g = in.vaultOnly(); // unsealing also opens the log in that database: a database it cannot use fails it
    }
    try (var db = g.openPostgres(in.config().storage().postgres().orElseThrow())) {
      db.read(c -> null);
      return List.of();
    } catch (java.io.IOException | java.sql.SQLException | dev.gatehouse.error.GatehouseException e) {
      return List.of(Finding.critical("storage.unreachable", "the PostgreSQL database of storage: cannot be used: "
          + e.getMessage(), "check storage.url and storage.user, the password in the vault entry storage.password_secret "
          + "names (a password changed in PostgreSQL: `gatehouse storage password`), TLS (docs/storage.md), and "
          + "that PostgreSQL runs"));
    }
  }

  /** trust.high: level 4 (full) in system, shell or finance: the agent acts there alone, with no one told first. */
  static List<Finding> trustHigh(Inspection in) throws Exception {
    if (!in.hasStateDb()) {
      return List.of(); // trust never set up: every domain at 0
    }
    TrustStore trust = in.stateHome().trust();
    List<Finding> out = new ArrayList<>();
    for (Domain d : SENSITIVE) {
      Level l = trust.level(d);
      if (l == Level.FULL) {
        out.add(Finding.warn("trust.high", "trust in " + d.wire() + " is 4 (full): agents act there alone, and "
            + "nobody is asked or told first", "`gatehouse trust set " + d.wire() + " 3 --reason TEXT` (act and "
            + "report), unless you mean it"));
      }
    }
    return out;
  }
}
