package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.Base32;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.VerifyOutcome;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "setup", mixinStandardHelpOptions = true,
    description = {"Enroll an authenticator app.",
        "Prints a new key as a QR code, an otpauth URI and base32 text. The key stays pending until one "
            + "correct code confirms it (at the prompt, or later with --confirm); then 10 single-use recovery "
            + "codes are printed, once."})
final class TotpSetupCommand extends HomeCommand {
  @Option(names = "--account", paramLabel = "NAME",
      description = "The account name the app shows (default: user@host).")
  String account;

  @Option(names = "--qr-png", paramLabel = "FILE",
      description = "Also write the QR code as a PNG (mode 0600; it holds the key: delete it after scanning).")
  Path qrPng;

  @Option(names = "--confirm", paramLabel = "CODE",
      description = "Confirm the pending key with a code from the app (for scripts; no new key is made).")
  String confirm;

  @Option(names = "--print-sudoers", paramLabel = "AGENT_USER",
      description = "Print the one sudoers line that lets AGENT_USER run `gatehouse exec` as root (and how to install it).")
  String sudoersFor;

  @Override
  Integer execute() throws IOException {
    if (sudoersFor != null) {
      out().print(Sudoers.instructions(sudoersFor, open().home().dir(), env()));
      return ExitCodes.OK;
    }
    if (confirm != null) {
      if (qrPng != null || account != null) {
        throw new BadInputException("--confirm confirms the pending key; --qr-png and --account go with a new setup");
      }
      return finish(openUnsealed().totp().confirm(confirm, env().actor()));
    }
    if (qrPng != null) {
      Path parent = qrPng.toAbsolutePath().getParent();
      if (Files.exists(qrPng, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new BadInputException(qrPng + " already exists; name a new file for --qr-png");
      }
      if (parent == null || !Files.isDirectory(parent)) {
        throw new BadInputException("the folder of " + qrPng + " does not exist");
      }
    }
    Gatehouse gatehouse = openUnsealed();
    TotpService totp = gatehouse.totp();
    OtpAuthUri uri = totp.beginEnrollment(account != null ? account : defaultAccount(), env().actor());
    show(uri);
    if (qrPng != null) {
      QrRender.png(QrRender.encode(uri.format()), qrPng);
      out().println("QR code written to " + qrPng + " (delete it once scanned).");
    }
    if (!env().terminal().interactive()) {
      out().println();
      out().println("The key is pending. Confirm it with a code from the app:");
      out().println("  gatehouse totp setup --confirm CODE");
      return ExitCodes.OK;
    }
    out().println();
    out().flush();
    while (true) {
      String line = env().terminal().readLine("Code from the app (Enter to confirm later): ");
      if (line == null || line.isBlank()) {
        out().println("The key is pending; confirm it later with `gatehouse totp setup --confirm CODE`.");
        return ExitCodes.OK;
      }
      TotpService.Confirmation c;
      try {
        c = totp.confirm(line, env().actor());
      } catch (BadInputException e) {
        err().println("gatehouse: " + e.getMessage());
        continue;
      }
      if (c.outcome() instanceof VerifyOutcome.Rejected r && r.lockedUntil() == null) {
        err().println(Outcomes.describe(r));
        continue;
      }
      return finish(c);
    }
  }

  private int finish(TotpService.Confirmation c) {
    if (c.outcome() instanceof VerifyOutcome.Accepted) {
      PrintWriter out = out();
      out.println("Confirmed: TOTP is active.");
      out.println();
      out.println("Recovery codes: each works once wherever a code is asked for. Keep them offline;");
      out.println("they are not shown again.");
      for (String code : c.recoveryCodes()) {
        out.println("  " + code);
      }
    } else {
      err().println(Outcomes.describe(c.outcome()));
    }
    return ExitCodes.of(c.outcome());
  }

  private void show(OtpAuthUri uri) {
    PrintWriter out = out();
    boolean ansi = env().terminal().interactive();
    out.println("Scan this QR code with your authenticator app (Google Authenticator, Aegis, 1Password, ...):");
    out.println();
    out.print(QrRender.text(QrRender.encode(uri.format()), ansi));
    out.println();
    TotpParameters p = uri.params();
    out.println("Or add it by hand:");
    out.println("  Issuer:   " + uri.issuer());
    out.println("  Account:  " + uri.account());
    out.println("  Key:      " + grouped(Base32.encode(uri.secret())));
    out.println("  Type:     time-based, " + p.algorithm() + ", " + p.digits() + " digits, every "
        + p.periodSeconds() + " s");
    out.println();
    out.println("otpauth URI: " + uri.format());
  }

  static String grouped(String base32) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < base32.length(); i += 4) {
      if (i > 0) {
        s.append(' ');
      }
      s.append(base32, i, Math.min(i + 4, base32.length()));
    }
    return s.toString();
  }

  private String defaultAccount() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    return env().userName() + "@" + host;
  }
}
