package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "reset", mixinStandardHelpOptions = true,
    description = {"Remove the TOTP key, recovery codes, and lockout and replay state.",
        "The app's entry stops working; enroll again with `gatehouse totp setup`. This is also the owner's "
            + "local way out of a lockout or of damaged TOTP state."})
final class TotpResetCommand extends HomeCommand {
  @Option(names = "--yes", description = "Do not ask for confirmation.")
  boolean yes;

  @Override
  Integer execute() throws java.io.IOException {
    Gatehouse gatehouse = openUnsealed();
    if (!yes) {
      if (!env().terminal().interactive()) {
        throw new BadInputException("refusing to reset TOTP without confirmation; add --yes");
      }
      String answer = env().terminal().readLine(
          "This removes the TOTP key, recovery codes and lockout state. Type 'reset' to continue: ");
      if (answer == null || !answer.strip().equals("reset")) {
        out().println("Nothing changed.");
        return ExitCodes.NO;
      }
    }
    boolean existed = gatehouse.totp().reset(env().actor());
    out().println(existed ? "TOTP was reset: the key, recovery codes and lockout state are gone."
        : "TOTP was not configured; lockout state cleared.");
    return ExitCodes.OK;
  }
}
