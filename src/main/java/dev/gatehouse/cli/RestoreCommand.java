package dev.gatehouse.cli;

import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.backup.Restore;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Restore an archive of `gatehouse backup` into a new home (--home DIR: absent or empty).",
        "Asks for the master password (or opens sealed on the same machine), checks every byte of the archive, "
            + "verifies the restored audit log, and only then puts the home in place. Nothing is written on failure."})
final class RestoreCommand extends HomeCommand {
  @Parameters(paramLabel = "FILE", description = "The archive.")
  Path file;

  @Override
  Integer execute() throws Exception {
    Restore.Restored r = Restore.restore(file, homePath(),
        vault -> Secrets.unlockCredential(env(), root().passwordFile, vault), env().random(), env().clock());
    out().println("restored " + r.home() + " from the backup of " + r.created() + ": " + r.files() + " files");
    out().println("  vault: " + r.vaultEntries() + " entries");
    out().println("  audit log intact: " + r.auditEntries() + " entries, root " + AuditVerifier.b64(r.auditRoot())
        + (r.checkpointSize() > 0 ? " (signed checkpoint at " + r.checkpointSize() + " verified)" : ""));
    out().println("  state.db: " + r.stateTables() + " tables, " + r.stateRows() + " rows");
    out().println("  services: " + r.services());
    return ExitCodes.OK;
  }
}
