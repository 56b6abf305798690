package dev.gatehouse.cli;

import dev.gatehouse.otp.VerifyOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Check a code from the authenticator app (or a recovery code) and spend it.",
        "Leave CODE out to be asked for it without echo, or write - to pipe it in: a code typed on the command line "
            + "can be read by other local users until it is spent.",
        "Exit 0 valid, 1 wrong or already used, 2 malformed, 3 locked out, 4 not configured."})
final class TotpVerifyCommand extends HomeCommand {
  @Parameters(paramLabel = "CODE", arity = "0..1",
      description = "6-8 digits (spaces and dashes are ignored), or a recovery code; - reads it from standard input.")
  String code = Secrets.ASK;

  @Override
  Integer execute() throws java.io.IOException {
    String given = Secrets.readCode(env(), code, "the code", err());
    VerifyOutcome outcome = openUnsealed().totp().verify(given, env().actor());
    if (outcome instanceof VerifyOutcome.Accepted) {
      out().println(Outcomes.describe(outcome));
    } else {
      err().println(Outcomes.describe(outcome));
    }
    return ExitCodes.of(outcome);
  }
}
