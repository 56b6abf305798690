package dev.gatehouse.cli;

import dev.gatehouse.otp.Enrollment;
import dev.gatehouse.otp.TotpStatus;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show whether TOTP is active, and any lockout.",
        "Says active, pending or not configured, whether attempts are locked out, and how many recovery "
            + "codes are left; never shows the key. Exit 0 when active, 4 when pending or not configured."})
final class TotpStatusCommand extends HomeCommand {
  @Override
  Integer execute() throws java.io.IOException {
    TotpStatus s = openUnsealed().totp().status();
    PrintWriter out = out();
    if (s.enrollment() == null) {
      out.println("TOTP: not configured (enroll with `gatehouse totp setup`)");
    } else {
      String params = s.params().algorithm() + ", " + s.params().digits() + " digits, "
          + s.params().periodSeconds() + " s";
      if (s.enrollment() == Enrollment.Status.ACTIVE) {
        out.println("TOTP: active since " + Outcomes.time(s.since()) + " (" + params + ")");
      } else {
        out.println("TOTP: pending since " + Outcomes.time(s.since())
            + " (confirm with `gatehouse totp setup --confirm CODE`)");
      }
      out.println("Account: " + s.issuer() + ":" + s.account());
    }
    if (s.lockedUntil() != null) {
      out.println("Lockout: locked until " + Outcomes.time(s.lockedUntil()));
    } else {
      out.println("Lockout: not locked (" + s.failures() + " of " + s.maxFailures() + " failed attempts)");
    }
    if (s.enrollment() == Enrollment.Status.ACTIVE) {
      out.println("Recovery codes left: " + s.recoveryCodesLeft());
    }
    return s.enrollment() == Enrollment.Status.ACTIVE ? ExitCodes.OK : ExitCodes.NOT_CONFIGURED;
  }
}
