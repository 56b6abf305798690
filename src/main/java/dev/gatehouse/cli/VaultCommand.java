package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditVaultLedger;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.KdfParams;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "vault", mixinStandardHelpOptions = true,
    description = "The encrypted vault: every secret Gatehouse holds. Nothing here ever prints a value.",
    subcommands = {VaultCommand.Add.class, VaultCommand.ListEntries.class, VaultCommand.Remove.class,
        VaultCommand.Passwd.class, VaultCommand.Seal.class, VaultCommand.Rotate.class, VaultCommand.Status.class,
        VaultCommand.AcceptRollback.class})
final class VaultCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Store a secret under NAME.",
          "The value comes from a no-echo prompt (asked twice) or, without a terminal, from standard input "
              + "(one trailing newline is removed; at most 1 MiB)."})
  static final class Add extends HomeCommand {
    @Parameters(paramLabel = "NAME", description = "1-64 characters: a-z, 0-9, '.', '_', '-'.")
    String name;

    @Option(names = "--replace", description = "Overwrite an existing secret of that name.")
    boolean replace;

    @Override
    Integer execute() throws IOException {
      Secrets.checkUserName(name);
      Gatehouse g = openUnsealed();
      byte[] value;
      if (env().terminal().interactive()) {
        char[] chars = Secrets.promptNew(env().terminal(), "Value for " + name);
        value = new String(chars).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Arrays.fill(chars, '\0');
      } else {
        value = Secrets.readStdin(env().stdin(), "the value");
      }
      try {
        g.vaultService().add(name, value, replace, env().actor());
      } finally {
        Arrays.fill(value, (byte) 0);
      }
      out().println("Stored " + name + " (" + value.length + " bytes).");
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the secrets' names and times (never values).")
  static final class ListEntries extends HomeCommand {
    @Override
    Integer execute() throws IOException {
      PrintWriter out = out();
      var entries = openUnsealed().vault().list();
      if (entries.isEmpty()) {
        out.println("The vault is empty.");
      }
      for (Vault.EntryInfo e : entries) {
        out.printf("%-40s created %s  updated %s%s%n", e.name(), Outcomes.time(e.created()), Outcomes.time(e.updated()),
            e.name().startsWith(Vault.OWN_PREFIX) ? "  (Gatehouse's own)" : "");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the secret NAME.")
  static final class Remove extends HomeCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    Integer execute() throws IOException {
      Secrets.checkUserName(name);
      if (!openUnsealed().vaultService().remove(name, env().actor())) {
        throw new BadInputException("no secret named '" + name + "'");
      }
      out().println("Removed " + name + ".");
      return ExitCodes.OK;
    }
  }

  @Command(name = "passwd", mixinStandardHelpOptions = true,
      description = {"Set a new master password.",
          "Re-wraps the master key only (entries are not rewritten). The vault is opened as usual "
              + "(--password-file, sealed mode or a prompt); the new password comes from a prompt, asked "
              + "twice, or from --password-stdin."})
  static final class Passwd extends HomeCommand {
    @Option(names = "--password-stdin", description = "Read the new master password from standard input.")
    boolean passwordStdin;

    @Mixin
    KdfOptions kdfOptions = new KdfOptions();

    @Override
    Integer execute() throws IOException {
      KdfParams kdf = kdfOptions.kdf();
      Gatehouse g = openUnsealed();
      char[] pw;
      if (passwordStdin) {
        pw = Secrets.readStdinChars(env().stdin(), "the new master password");
      } else if (env().terminal().interactive()) {
        pw = Secrets.promptNew(env().terminal(), "New vault master password");
      } else {
        throw new BadInputException("no terminal to ask for the new password: use --password-stdin");
      }
      try (Credential.Password p = new Credential.Password(pw)) {
        g.vaultService().setPassword(p, kdf, env().actor());
        if (g.localVault() != g.vault()) {
          g.localVault().setPassword(p, kdf); // vault.gh opens first, with the same password
        }
      } finally {
        Arrays.fill(pw, '\0');
      }
      out().println("The master password was changed.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "seal", mixinStandardHelpOptions = true,
      description = {"Let the vault open on this machine without its password (sealed mode); the password still opens it.",
          "Adds (or replaces) this machine's slot, from its machine id and host name. With `storage: backend: "
              + "postgres`, in this replica's vault.gh and in the shared vault, where the other replicas' slots stay."})
  static final class Seal extends HomeCommand {
    @Mixin
    KdfOptions kdfOptions = new KdfOptions();

    @Override
    Integer execute() throws IOException {
      KdfParams kdf = kdfOptions.kdf();
      Gatehouse g = openUnsealed();
      try (Credential.MachineSeal seal = Secrets.machineSeal(env(), new char[0])) {
        if (seal == null) {
          throw new NotConfiguredException("this machine has no identity (/etc/machine-id): sealed mode needs one");
        }
        boolean shared = g.localVault() != g.vault();
        if (shared) {
          g.localVault().sealToMachine(seal, kdf);
        }
        g.vaultService().sealToMachine(seal, kdf, env().actor());
        out().println("Sealed to this machine: the vault opens here without its password"
            + (shared ? " (this replica's slot in the shared vault; the other replicas' stay)." : "."));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Re-encrypt every secret under a new data key and retire the old one.")
  static final class Rotate extends HomeCommand {
    @Override
    Integer execute() throws IOException {
      Gatehouse g = openUnsealed();
      Vault v = g.vault();
      g.vaultService().rotate(env().actor());
      out().println("Rotated: every entry is now under data key " + v.status().activeKeyId() + ".");
      return ExitCodes.OK;
    }
  }

  @Command(name = "accept-rollback", mixinStandardHelpOptions = true,
      description = {"Accept the vault.gh in place as current although the audit log knows a newer one.",
          "Opening refuses a vault older than the newest generation the audit log recorded (an older copy put "
              + "in its place brings back revoked agent keys, removed secrets, an old password). If this copy is "
              + "meant, a restore from backup, this shows its generation and the one the log expected, and after "
              + "confirmation records the acceptance in the audit log. Run it as the home's owner on this host."})
  static final class AcceptRollback extends HomeCommand {
    @Option(names = "--yes", description = "Do not ask for confirmation.")
    boolean yes;

    @Override
    Integer execute() throws IOException {
      Gatehouse g = open();
      if (!g.localVault().exists()) {
        throw new NotConfiguredException("this home has no vault yet; create it with `gatehouse init`");
      }
      AuditVaultLedger.Standing s;
      try (Credential c = Secrets.unlockCredential(env(), root().passwordFile, g.localVault())) {
        s = g.unsealForInspection(c, env().actor());
      }
      PrintWriter out = out();
      out.println("vault.gh is " + s.present().describe() + ".");
      out.println("The audit log expects " + s.known().describe() + ".");
      if (s.verdict().admitted) {
        g.finishInspection(); // checks and reconciles like any opening
        out.println("Nothing to accept: the vault opens as it is.");
        return ExitCodes.OK;
      }
      if (!yes) {
        if (!env().terminal().interactive()) {
          throw new BadInputException("refusing to accept an older vault without confirmation; add --yes");
        }
        String answer = env().terminal().readLine("Everything changed in the vault since this copy is undone "
            + "(removed secrets and revoked agent keys come back). Type 'accept' to make it current: ");
        if (answer == null || !answer.strip().equals("accept")) {
          out.println("Nothing changed.");
          return ExitCodes.NO;
        }
      }
      g.acceptPresentVault(s.present(), env().actor());
      out.println("Accepted: " + s.present().describe() + " is the current vault; the audit log records it.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = {"Show how the vault opens, its key-derivation parameters, entry count and file mode.",
          "Needs no password, and so checks nothing cryptographically."})
  static final class Status extends HomeCommand {
    @Override
    Integer execute() throws IOException {
      Gatehouse g = open();
      Vault v = g.localVault(); // a file, readable without the password (the shared vault is not)
      if (!v.exists()) {
        throw new NotConfiguredException("this home has no vault yet; create it with `gatehouse init`");
      }
      Vault.Status s = v.status();
      PrintWriter out = out();
      out.println("Vault: " + v.file() + " (mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(v.file())) + ")");
      if (v != g.vault()) {
        out.println("Storage: postgres; this is this replica's vault.gh, which opens the database, where the shared "
            + "vault is (`vault list` shows its entries)");
      }
      if (!s.slots().contains("machine")) {
        out.println("Sealed mode: off");
      }
      for (Map.Entry<String, KdfParams> slot : s.kdf().entrySet()) {
        KdfParams k = slot.getValue();
        String how = slot.getKey().equals("password") ? "master password"
            : "sealed mode" + (s.machinePin() ? " with PIN" : "") + sealedHere(v);
        out.println("Opens with: " + how + " (Argon2id m=" + k.memoryKiB() / 1024 + " MiB, t=" + k.iterations()
            + ", p=" + k.parallelism() + ")");
      }
      out.println("Entries: " + s.entries() + " (data key " + s.activeKeyId() + ")");
      out.println("Generation: " + s.generation() + " (unverified here; every opening checks it against the audit log)");
      return ExitCodes.OK;
    }

    private String sealedHere(Vault v) throws IOException {
      try (Credential.MachineSeal seal = Secrets.machineSeal(env(), new char[0])) {
        return seal != null && v.sealedToThisMachine(seal) ? ", for this machine" : ", for ANOTHER machine";
      }
    }
  }
}
