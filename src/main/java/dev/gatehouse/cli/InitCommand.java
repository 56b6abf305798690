package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.store.Home;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.KdfParams;
import java.io.IOException;
import java.util.Arrays;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = {"Create the Gatehouse home and its encrypted vault.",
        "Makes the home folder (mode 0700), a commented default gatehouse.yaml and vault.gh. The master "
            + "password comes from --password-file, --password-stdin or a no-echo prompt (asked twice); --sealed instead ties "
            + "the vault to this machine for unattended boots. A home made before the vault gets its vault "
            + "and keeps its settings; anything else that exists is refused."})
final class InitCommand extends HomeCommand {
  @ArgGroup(exclusive = true)
  Mode mode;

  static final class Mode {
    @Option(names = "--password-stdin", description = "Read the new master password from standard input.")
    boolean passwordStdin;

    @Option(names = "--sealed", description = "Sealed mode: the vault opens on this machine without a password "
        + "(machine id and host name, plus an optional PIN). Add a master password later with `vault passwd`.")
    boolean sealed;
  }

  @Option(names = "--pin-stdin", description = "With --sealed: read a PIN from standard input, needed at every unseal.")
  boolean pinStdin;

  @Mixin
  KdfOptions kdfOptions = new KdfOptions();

  @Override
  Integer execute() throws IOException {
    boolean sealed = mode != null && mode.sealed;
    if (pinStdin && !sealed) {
      throw new BadInputException("--pin-stdin goes with --sealed");
    }
    KdfParams kdf = kdfOptions.kdf();
    Gatehouse g;
    try (Credential first = firstCredential(sealed)) {
      g = closeAfter(Gatehouse.init(homePath(), first, kdf, env().clock(), env().random()));
    }
    out().println("Created the Gatehouse home at " + g.home().dir() + " (mode 0700).");
    out().println("Settings: " + g.home().file(Home.CONFIG_FILE));
    out().println("Vault:    " + g.vault().file() + (sealed
        ? " (sealed mode: opens on this machine" + (pinStdin ? " with its PIN" : "") + ")"
        : " (opens with the master password)"));
    if (sealed) {
      out().println("Add a master password with `gatehouse vault passwd`, so that a new machine id or host name");
      out().println("does not lock you out.");
    }
    out().println("Next: enroll your authenticator app with `gatehouse totp setup`.");
    return ExitCodes.OK;
  }

  private Credential firstCredential(boolean sealed) throws IOException {
    if (sealed) {
      char[] pin = pinStdin ? Secrets.readStdinChars(env().stdin(), "the PIN") : new char[0];
      try {
        Credential.MachineSeal seal = Secrets.machineSeal(env(), pin);
        if (seal == null) {
          throw new BadInputException("this machine has no /etc/machine-id, which sealed mode needs");
        }
        return seal;
      } finally {
        Arrays.fill(pin, '\0');
      }
    }
    char[] pw;
    if (root().passwordFile != null) {
      pw = Secrets.readPasswordFile(root().passwordFile);
    } else if (mode != null && mode.passwordStdin) {
      pw = Secrets.readStdinChars(env().stdin(), "the master password");
    } else if (env().terminal().interactive()) {
      pw = Secrets.promptNew(env().terminal(), "New vault master password");
    } else {
      throw new BadInputException("no terminal to ask for a master password: use --password-stdin or --sealed");
    }
    try {
      return new Credential.Password(pw);
    } finally {
      Arrays.fill(pw, '\0');
    }
  }
}
