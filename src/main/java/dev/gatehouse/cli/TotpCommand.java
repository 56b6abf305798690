package dev.gatehouse.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "totp", mixinStandardHelpOptions = true,
    description = "One-time codes from the owner's authenticator app (RFC 6238).",
    subcommands = {TotpSetupCommand.class, TotpStatusCommand.class, TotpVerifyCommand.class, TotpResetCommand.class})
final class TotpCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
