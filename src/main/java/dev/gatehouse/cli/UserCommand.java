package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.owner.OwnerAccounts;
import dev.gatehouse.owner.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Owner-plane accounts (DESIGN §11): who may log in to the dashboard and the owner API, with which role. */
@Command(name = "user", mixinStandardHelpOptions = true,
    description = {"Accounts for the dashboard and the owner API. Each logs in with a password and the code of "
        + "their own authenticator app, and has a role: viewer (status, audit, trust), operator (+ pairing, "
        + "approving suggestions), admin (+ exec approvals, trust changes, agents, channels), owner (+ users, config).",
        "Accounts live in state.db or the shared database (passwords as Argon2id hashes), each user's TOTP key in the vault. "
            + "Every change is audited."},
    subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Passwd.class,
        UserCommand.Remove.class, UserCommand.Totp.class})
final class UserCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static Role role(String text) {
    return Role.parse(text).orElseThrow(() -> new BadInputException("unknown role '" + SafeText.terminal(text)
        + "'; a role is viewer, operator, admin or owner"));
  }

  /** The user name, checked before anything is asked or opened. */
  static String name(String text) {
    if (!OwnerAccounts.NAME.matcher(text).matches()) {
      throw new BadInputException("'" + SafeText.terminal(text) + "' is not a user name: 1 to 32 characters, a "
          + "lower-case letter, then lower-case letters, digits, '.', '_' or '-'");
    }
    return text;
  }

  /** A new password for {@code name}: standard input, or a no-echo prompt asked twice. The caller zeroes it. */
  static char[] newPassword(HomeCommand c, boolean stdin, String name) throws IOException {
    char[] pw;
    if (stdin) {
      pw = Secrets.readStdinChars(c.env().stdin(), "the password");
    } else if (c.env().terminal().interactive()) {
      pw = Secrets.promptNew(c.env().terminal(), "Password for " + name);
    } else {
      throw new BadInputException("no terminal to ask for the password: use --password-stdin");
    }
    if (pw.length < OwnerAccounts.MIN_PASSWORD_CHARS) {
      Arrays.fill(pw, '\0');
      throw new BadInputException("the password is too short: a user's password has at least "
          + OwnerAccounts.MIN_PASSWORD_CHARS + " characters; nothing was changed");
    }
    return pw;
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Add a user with a role. The password comes from a no-echo prompt (asked twice) or "
          + "--password-stdin; at least " + OwnerAccounts.MIN_PASSWORD_CHARS + " characters.",
          "The user can log in once their authenticator is enrolled with `gatehouse user totp NAME`."})
  static final class Add extends HomeCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The user name (a-z first; then a-z, 0-9, . _ -).")
    String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE", description = "viewer, operator, admin or owner.")
    String role;

    @Option(names = "--password-stdin", description = "Read the user's password from standard input.")
    boolean passwordStdin;

    @Override
    Integer execute() throws IOException {
      name(name);
      Role r = role(role);
      OwnerAccounts accounts = openUnsealed().ownerAccounts();
      char[] pw = newPassword(this, passwordStdin, name);
      try {
        accounts.add(name, r, pw, env().actor());
      } finally {
        Arrays.fill(pw, '\0');
      }
      out().println("Added user " + name + " (" + r.id() + ").");
      out().println("Next: enroll their authenticator app with `gatehouse user totp " + name + "`;");
      out().println("they cannot log in before.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Every user: name, role, whether their TOTP key is active, when added. Never a password hash.")
  static final class ListUsers extends HomeCommand {
    @Option(names = "--json", description = "A JSON array: name, role, totp (true when active), created, "
        + "password_changed.")
    boolean json;

    @Override
    Integer execute() throws IOException {
      List<OwnerAccounts.User> users = openUnsealed().ownerAccounts().list();
      if (json) {
        ArrayNode a = SafeText.json().createArrayNode();
        for (OwnerAccounts.User u : users) {
          ObjectNode n = a.addObject();
          n.put("name", u.name());
          n.put("role", u.role().id());
          n.put("totp", u.totpActive());
          n.put("created", u.created().toString());
          n.put("password_changed", u.passwordChanged().toString());
        }
        out().println(SafeText.json().writerWithDefaultPrettyPrinter().writeValueAsString(a));
        return ExitCodes.OK;
      }
      if (users.isEmpty()) {
        out().println("No users. Add one with `gatehouse user add NAME --role owner`.");
        return ExitCodes.OK;
      }
      out().printf("%-32s  %-8s  %-7s  %s%n", "NAME", "ROLE", "TOTP", "CREATED");
      for (OwnerAccounts.User u : users) {
        out().printf("%-32s  %-8s  %-7s  %s%n", u.name(), u.role().id(), u.totpActive() ? "active" : "none",
            u.created());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "passwd", mixinStandardHelpOptions = true,
      description = "Set a user's password (no-echo prompt asked twice, or --password-stdin). Ends all of their sessions.")
  static final class Passwd extends HomeCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--password-stdin", description = "Read the new password from standard input.")
    boolean passwordStdin;

    @Override
    Integer execute() throws IOException {
      name(name);
      OwnerAccounts accounts = openUnsealed().ownerAccounts();
      if (accounts.find(name).isEmpty()) {
        throw new BadInputException("there is no user " + name + "; `gatehouse user list` shows them");
      }
      char[] pw = newPassword(this, passwordStdin, name);
      try {
        accounts.passwd(name, pw, env().actor());
      } finally {
        Arrays.fill(pw, '\0');
      }
      out().println("Changed the password of " + name + "; their sessions have ended.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove a user: their sessions end, their TOTP key and its state are deleted.")
  static final class Remove extends HomeCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    Integer execute() throws IOException {
      name(name);
      openUnsealed().ownerAccounts().remove(name, env().actor());
      out().println("Removed user " + name + ": their sessions have ended and their TOTP key is deleted.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "totp", mixinStandardHelpOptions = true,
      description = {"Enroll a user's authenticator app, as `totp setup` does for yours: a new key as a QR code, "
          + "an otpauth URI and base32 text, pending until one correct code confirms it (at the prompt, or later "
          + "with --confirm); then 10 single-use recovery codes are printed, once.",
          "--reset removes an active key first (a lost phone): the user cannot log in until the new one is confirmed."})
  static final class Totp extends HomeCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--qr-png", paramLabel = "FILE",
        description = "Also write the QR code as a PNG (mode 0600; it holds the key: delete it after scanning).")
    Path qrPng;

    @Option(names = "--confirm", paramLabel = "CODE",
        description = "Confirm the pending key with a code from the user's app (for scripts; no new key is made).")
    String confirm;

    @Option(names = "--reset", description = "Remove the user's active key (and its recovery codes) first.")
    boolean reset;

    @Override
    Integer execute() throws IOException {
      name(name);
      TotpEnrollmentFlow flow = new TotpEnrollmentFlow(env(), out(), err());
      if (confirm != null) {
        if (qrPng != null || reset) {
          throw new BadInputException("--confirm confirms the pending key; --qr-png and --reset go with a new setup");
        }
        TotpEnrollmentFlow.Key key = usersKey(openUnsealed().ownerAccounts());
        return flow.finish(key, key.confirm(confirm));
      }
      TotpEnrollmentFlow.checkQrPng(qrPng);
      OwnerAccounts accounts = openUnsealed().ownerAccounts();
      if (reset && accounts.resetTotp(name, env().actor())) {
        out().println("Removed the TOTP key of user " + name + "; they cannot log in until the new one is confirmed.");
      }
      return flow.enroll(usersKey(accounts), qrPng);
    }

    private TotpEnrollmentFlow.Key usersKey(OwnerAccounts accounts) {
      return new TotpEnrollmentFlow.Key() {
        @Override
        public OtpAuthUri begin() {
          return accounts.beginTotp(name, env().actor());
        }

        @Override
        public TotpService.Confirmation confirm(String code) {
          return accounts.confirmTotp(name, code, env().actor());
        }

        @Override
        public String confirmLater() {
          return "gatehouse user totp " + name + " --confirm CODE";
        }

        @Override
        public String what() {
          return "the TOTP key of user " + name;
        }
      };
    }
  }
}
