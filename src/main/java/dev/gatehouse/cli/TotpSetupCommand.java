package dev.gatehouse.cli;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpService;
import java.io.IOException;
import java.net.InetAddress;
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
    TotpEnrollmentFlow flow = new TotpEnrollmentFlow(env(), out(), err());
    if (confirm != null) {
      if (qrPng != null || account != null) {
        throw new BadInputException("--confirm confirms the pending key; --qr-png and --account go with a new setup");
      }
      TotpEnrollmentFlow.Key key = ownersKey(openUnsealed().totp());
      return flow.finish(key, key.confirm(confirm));
    }
    TotpEnrollmentFlow.checkQrPng(qrPng);
    return flow.enroll(ownersKey(openUnsealed().totp()), qrPng);
  }

  private TotpEnrollmentFlow.Key ownersKey(TotpService totp) {
    return new TotpEnrollmentFlow.Key() {
      @Override
      public OtpAuthUri begin() {
        return totp.beginEnrollment(account != null ? account : defaultAccount(), env().actor());
      }

      @Override
      public TotpService.Confirmation confirm(String code) {
        return totp.confirm(code, env().actor());
      }

      @Override
      public String confirmLater() {
        return "gatehouse totp setup --confirm CODE";
      }

      @Override
      public String what() {
        return "TOTP";
      }
    };
  }

  static String grouped(String base32) {
    return TotpEnrollmentFlow.grouped(base32);
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
