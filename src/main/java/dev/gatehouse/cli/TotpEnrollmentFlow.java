package dev.gatehouse.cli;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.Base32;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.VerifyOutcome;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The enrollment of an authenticator app, as {@code totp setup} (the owner's key) and
 * {@code user totp NAME} (a user's) both run it: the key shown as a terminal QR code, base32 and
 * an otpauth URI (optionally a PNG), then a confirming code at the prompt or later, then the
 * recovery codes, printed once.
 */
final class TotpEnrollmentFlow {
  /** Whose key: how to start, how to confirm, and what to tell the person. */
  interface Key {
    OtpAuthUri begin();

    TotpService.Confirmation confirm(String code);

    /** The command that confirms later, e.g. {@code gatehouse totp setup --confirm CODE}. */
    String confirmLater();

    /** What the confirmation made active, e.g. {@code TOTP} or {@code the TOTP key of user alice}. */
    String what();
  }

  private final CliEnvironment env;
  private final PrintWriter out;
  private final PrintWriter err;

  TotpEnrollmentFlow(CliEnvironment env, PrintWriter out, PrintWriter err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  /** Refuses a {@code --qr-png} that exists or whose folder does not, before anything is made. */
  static void checkQrPng(Path qrPng) {
    if (qrPng == null) {
      return;
    }
    Path parent = qrPng.toAbsolutePath().getParent();
    if (Files.exists(qrPng, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException(qrPng + " already exists; name a new file for --qr-png");
    }
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException("the folder of " + qrPng + " does not exist");
    }
  }

  /** A new pending key, shown; confirmed at the prompt when there is a terminal. */
  int enroll(Key key, Path qrPng) throws IOException {
    checkQrPng(qrPng);
    OtpAuthUri uri = key.begin();
    show(uri);
    if (qrPng != null) {
      QrRender.png(QrRender.encode(uri.format()), qrPng);
      out.println("QR code written to " + qrPng + " (delete it once scanned).");
    }
    if (!env.terminal().interactive()) {
      out.println();
      out.println("The key is pending. Confirm it with a code from the app:");
      out.println("  " + key.confirmLater());
      return ExitCodes.OK;
    }
    out.println();
    out.flush();
    while (true) {
      String line = env.terminal().readLine("Code from the app (Enter to confirm later): ");
      if (line == null || line.isBlank()) {
        out.println("The key is pending; confirm it later with `" + key.confirmLater() + "`.");
        return ExitCodes.OK;
      }
      TotpService.Confirmation c;
      try {
        c = key.confirm(line);
      } catch (BadInputException e) {
        err.println("gatehouse: " + e.getMessage());
        continue;
      }
      if (c.outcome() instanceof VerifyOutcome.Rejected r && r.lockedUntil() == null) {
        err.println(Outcomes.describe(r));
        continue;
      }
      return finish(key, c);
    }
  }

  /** Reports a confirmation: the recovery codes once on success; the exit code of its outcome. */
  int finish(Key key, TotpService.Confirmation c) {
    if (c.outcome() instanceof VerifyOutcome.Accepted) {
      out.println("Confirmed: " + key.what() + " is active.");
      out.println();
      out.println("Recovery codes: each works once wherever a code is asked for. Keep them offline;");
      out.println("they are not shown again.");
      for (String code : c.recoveryCodes()) {
        out.println("  " + code);
      }
    } else {
      err.println(Outcomes.describe(c.outcome()));
    }
    return ExitCodes.of(c.outcome());
  }

  private void show(OtpAuthUri uri) {
    boolean ansi = env.terminal().interactive();
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
}
