package dev.gatehouse.doctor;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditKeys;
import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The audit log, read as {@code gatehouse audit verify} reads it: with its public key, so a sealed vault is no obstacle. */
final class AuditChecks {
  /** Below this, the next segment (64 MiB at most) may not fit: the log fails closed and every call is refused. */
  static final long CRITICAL_FREE_BYTES = 128L << 20;
  static final long WARN_FREE_BYTES = 1L << 30;

  private AuditChecks() {}

  private static Path dir(Inspection in) {
    return in.file(Gatehouse.AUDIT_DIR);
  }

  /**
   * audit.unwritable: the log cannot take a new entry, so every decision that must be
   * recorded is refused. Probed by creating (and removing) a file, as root may write where
   * the modes say otherwise and a read-only mount refuses even root.
   */
  static List<Finding> unwritable(Inspection in) throws Exception {
    Path dir = dir(in);
    if (!Files.exists(dir)) {
      return List.of(); // chain_broken judges a missing log
    }
    List<Finding> out = new ArrayList<>();
    Path probe = null;
    try {
      probe = Files.createTempFile(dir, ".doctor-probe-", ".tmp");
    } catch (IOException e) {
      out.add(Finding.critical("audit.unwritable", "nothing can be written in " + dir + " (" + e.getClass()
          .getSimpleName() + "): the log fails closed, so every call and change that must be recorded is refused",
          "make " + dir + " a folder " + in.settings().userName() + " can write (mode 0700), on a file system mounted "
          + "read-write"));
    } finally {
      if (probe != null) {
        Files.deleteIfExists(probe);
      }
    }
    for (Path segment : FileAuditLog.segments(dir)) {
      if (!Files.isWritable(segment)) {
        out.add(Finding.critical("audit.unwritable", "the audit segment " + segment + " cannot be written",
            "`chmod 600 " + segment + "` as its owner"));
      }
    }
    return out;
  }

  /**
   * audit.chain_broken: the hash chain, the Merkle tree or the signed checkpoint does not
   * hold (an entry edited, removed or reordered; a checkpoint not signed by this home's key);
   * or the log is gone while the vault holds its keys.
   */
  static List<Finding> chainBroken(Inspection in) throws Exception {
    Path dir = dir(in);
    boolean segments = Files.isDirectory(dir) && !FileAuditLog.segments(dir).isEmpty();
    if (!segments) {
      Inspection.Entries entries;
      try {
        entries = in.entries();
      } catch (NotChecked noVault) {
        return List.of();
      }
      return entries.has(AuditKeys.SIGNING_ENTRY) ? List.of(Finding.critical("audit.chain_broken", "the vault holds "
          + "this home's audit keys but " + dir + " has no log: the audit history was removed" + entries.caveat(),
          "put the audit folder back from a backup; `gatehouse restore` verifies it")) : List.of();
    }
    if (!Files.exists(dir.resolve(FileAuditLog.VERIFIER_FILE))) {
      return List.of(Finding.critical("audit.chain_broken", dir.resolve(FileAuditLog.VERIFIER_FILE) + " is missing: "
          + "the checkpoints cannot be verified", "put it back from a backup (it is the log's public key)"));
    }
    AuditVerifier.Result r;
    try {
      r = AuditVerifier.verify(dir, AuditVerifier.verifierKey(dir), null);
    } catch (IllegalArgumentException e) {
      r = new AuditVerifier.Result(0, null, null, null, "the public key file does not parse: " + e.getMessage());
    }
    if (!r.intact()) {
      return List.of(Finding.critical("audit.chain_broken", "the audit log in " + dir + " does not verify: "
          + r.problem(), "keep a copy of the folder as evidence; `gatehouse audit verify` shows the same; restore "
          + "the log from a backup or the witness copy (docs/audit-format.md)"));
    }
    return List.of();
  }

  /**
   * audit.checkpoint_stale: entries after the latest signed checkpoint, the first of them
   * older than {@code audit.checkpoint_every_seconds}. Until a checkpoint signs them, whoever can
   * write the log can rewrite them unnoticed. A running daemon checkpoints within the
   * interval and every command signs one when it ends, so this means a process died, or the
   * daemon cannot write checkpoints.
   */
  static List<Finding> checkpointStale(Inspection in) throws Exception {
    Path dir = dir(in);
    if (!Files.isDirectory(dir) || FileAuditLog.segments(dir).isEmpty()
        || !Files.exists(dir.resolve(FileAuditLog.VERIFIER_FILE))) {
      return List.of();
    }
    Checkpoint latest;
    try {
      latest = AuditVerifier.latestCheckpoint(dir, AuditVerifier.verifierKey(dir));
    } catch (IllegalArgumentException e) {
      return List.of(); // chain_broken says it
    }
    long signed = latest == null ? 0 : latest.size();
    AuditVerifier.Scan scan = AuditVerifier.scan(dir, false, seq -> seq == signed, -1, Long.MAX_VALUE);
    if (scan.problem() != null || scan.entries() <= signed || scan.lines().isEmpty()) {
      return List.of();
    }
    AuditRecord first = AuditRecord.parse(scan.lines().get(0));
    Duration every = in.config().audit().checkpointEvery();
    Instant now = in.settings().clock().instant();
    if (first == null || !first.time().plus(every).isBefore(now)) {
      return List.of();
    }
    return List.of(Finding.warn("audit.checkpoint_stale", (scan.entries() - signed) + " audit entries (from seq "
        + signed + ", written " + first.time() + ") are not covered by a signed checkpoint, which should come within "
        + every.toSeconds() + " s (audit.checkpoint_every_seconds): until one signs them they can be rewritten unnoticed",
        "if no daemon runs, a process died before signing: any command that unseals the vault (e.g. `gatehouse vault "
        + "list`) signs one when it ends; if the daemon runs, its log says why it cannot"));
  }

  /** audit.disk_low: the file system under the log is nearly full; a full one stops every audited call. */
  static List<Finding> diskLow(Inspection in) throws Exception {
    Path dir = Files.isDirectory(dir(in)) ? dir(in) : in.home();
    long free = in.settings().disk().usableBytes(dir);
    String said = (free >> 20) + " MiB free on the file system of " + dir;
    if (free < CRITICAL_FREE_BYTES) {
      return List.of(Finding.critical("audit.disk_low", said + ": the next audit segment may not fit, and a log that "
          + "cannot write refuses every call", "free space there, or move the home to a larger file system"));
    }
    if (free < WARN_FREE_BYTES) {
      return List.of(Finding.warn("audit.disk_low", said + " (less than 1 GiB)", "free space there before the log "
          + "fills it"));
    }
    return List.of();
  }
}
