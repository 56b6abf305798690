package dev.gatehouse.cli;

import dev.gatehouse.otp.VerifyOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Check a code from the authenticator app (or a recovery code) and spend it.",
        "Exit 0 valid, 1 wrong or already used, 2 malformed, 3 locked out, 4 not configured."})
final class TotpVerifyCommand extends HomeCommand {
  @Parameters(paramLabel = "CODE", description = "6-8 digits (spaces and dashes are ignored), or a recovery code.")
  String code;

  @Override
  Integer execute() throws java.io.IOException {
    VerifyOutcome outcome = openUnsealed().totp().verify(code, env().actor());
    if (outcome instanceof VerifyOutcome.Accepted) {
      out().println(Outcomes.describe(outcome));
    } else {
      err().println(Outcomes.describe(outcome));
    }
    return ExitCodes.of(outcome);
  }
}
