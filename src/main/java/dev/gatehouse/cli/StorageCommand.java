package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.vault.Credential;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "storage", mixinStandardHelpOptions = true,
    description = "Where the state lives: the PostgreSQL database of `storage: backend: postgres` (docs/storage.md).",
    subcommands = {StorageCommand.Password.class})
final class StorageCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "password", mixinStandardHelpOptions = true,
      description = {"Give this replica the database role's new password, after it was changed in PostgreSQL "
          + "(ALTER ROLE ... PASSWORD).",
          "The password comes from a no-echo prompt or --password-stdin. It must log in to the configured database "
              + "(storage.url, storage.user, TLS as storage.tls says), or nothing changes. It is then stored in this "
              + "replica's vault.gh, under the entry storage.password_secret names (replacing it), and the change is "
              + "recorded in the audit log; the value is never shown or recorded. Run it on every replica. A daemon "
              + "running there needs no restart: its open sessions go on, and each connection it opens from then on "
              + "(a reconnect after a database restart included) logs in with the new password."})
  static final class Password extends HomeCommand {
    @Option(names = "--password-stdin", description = "Read the role's new password from standard input.")
    boolean passwordStdin;

    @Override
    Integer execute() throws Exception {
      Gatehouse g = open();
      Config.Storage.Postgres db = g.config().storage().postgres().orElseThrow(() -> new NotConfiguredException(
          "this home's storage is embedded (no `storage: backend: postgres`): there is no database password; "
              + "a secret in vault.gh is changed with `gatehouse vault add --replace NAME`"));
      if (!g.localVault().exists()) {
        throw new NotConfiguredException("this home has no vault yet; create it with `gatehouse init`");
      }
      if (!passwordStdin && !env().terminal().interactive()) {
        throw new BadInputException("no terminal to ask for the new password: use --password-stdin");
      }
      boolean replaced;
      try (Credential c = Secrets.unlockCredential(env(), root().passwordFile, g.localVault())) {
        char[] password = passwordStdin ? Secrets.readStdinChars(env().stdin(), "the new password")
            : env().terminal().readSecret("New password of the database role " + db.user() + ": ");
        if (password == null || password.length == 0) {
          throw new BadInputException("no password given; nothing was changed");
        }
        try {
          replaced = g.replaceDatabasePassword(c, password, env().actor());
        } finally {
          Arrays.fill(password, '\0');
        }
      }
      out().println("The new password logs in to " + db.jdbcUrl() + " as " + db.user() + "; "
          + (replaced ? "it replaced " : "it is now ") + db.passwordSecret() + " in " + g.localVault().file()
          + ". A daemon running on this home logs in with it from its next database connection on; other "
          + "replicas keep theirs: run this on each.");
      return ExitCodes.OK;
    }
  }
}
