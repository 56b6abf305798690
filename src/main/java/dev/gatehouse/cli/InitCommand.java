package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.store.Home;
import picocli.CommandLine.Command;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = {"Create the Gatehouse home.",
        "Makes the home folder (mode 0700) with a commented default gatehouse.yaml. Refuses an existing home."})
final class InitCommand extends HomeCommand {
  @Override
  public Integer call() {
    Home home = Gatehouse.init(homePath());
    out().println("Created the Gatehouse home at " + home.dir() + " (mode 0700).");
    out().println("Settings: " + home.file(Home.CONFIG_FILE));
    out().println("Next: enroll your authenticator app with `gatehouse totp setup`.");
    return ExitCodes.OK;
  }
}
