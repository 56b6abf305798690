package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.backup.Backup;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "backup", mixinStandardHelpOptions = true,
    description = {"Write one encrypted archive of the home: vault, state.db, audit log, config, catalog and the rest.",
        "Safe while the daemon runs. The archive key is wrapped by the vault's master key: a restore needs the "
            + "master password, or this machine in sealed mode. See docs/backup.md."})
final class BackupCommand extends HomeCommand {
  @Parameters(paramLabel = "FILE", description = "The archive to write (a new file, mode 0600).")
  Path file;

  @Override
  Integer execute() throws Exception {
    Gatehouse g = openUnsealed();
    Backup.Written w = Backup.write(g.home(), g.vault(), file, env().random(), env().clock());
    g.audit().record(new AuditEvent("home.backup", env().actor(), w.file().getFileName().toString(), "written",
        Map.of("bytes", Long.toString(w.bytes()), "files", Integer.toString(w.files()))));
    out().println("backup written to " + w.file() + ": " + w.files() + " files, " + w.bytes() + " bytes ("
        + w.auditBytes() + " bytes of audit log" + (w.stateDb() ? ", state.db" : "") + ")");
    out().println("restore it with `gatehouse restore " + w.file() + " --home DIR` (the master password, or "
        + "this machine if the vault is sealed to it)");
    return ExitCodes.OK;
  }
}
