package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.error.NotConfiguredException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine.Command;

/** Checks the catalog, then asks the running daemon to re-read it (SIGHUP). */
@Command(name = "reload", mixinStandardHelpOptions = true,
    description = {"Check services/*.yaml, then tell the running daemon to re-read it.",
        "A file with a problem is named with its line and nothing is sent; the daemon re-checks (including the vault "
            + "entries named) and keeps its running catalog if anything is wrong."})
final class ReloadCommand extends HomeCommand {
  @Override
  Integer execute() throws Exception {
    Gatehouse g = open();
    Catalog checked = Catalog.load(g.home().file(Catalog.DIR), name -> true);
    long pid;
    try {
      pid = Long.parseLong(Files.readString(g.home().file(Gatehouse.PID_FILE), StandardCharsets.US_ASCII).strip());
    } catch (NoSuchFileException e) {
      throw new NotConfiguredException("no daemon is running for this home (no " + Gatehouse.PID_FILE + ")");
    }
    if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
      throw new NotConfiguredException("the daemon (pid " + pid + ") is not running");
    }
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).redirectErrorStream(true).start();
    kill.getInputStream().readAllBytes();
    if (kill.waitFor() != 0) {
      throw new NotConfiguredException("could not signal the daemon (pid " + pid + ")");
    }
    out().println("The catalog checks out (" + checked.services().size() + " services, " + checked.actionCount()
        + " actions); asked the daemon (pid " + pid + ") to reload. Its log says whether it took it.");
    return ExitCodes.OK;
  }
}
