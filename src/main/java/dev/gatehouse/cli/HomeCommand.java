package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.store.Home;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that works on a home: access to the environment, the output and the home. */
abstract class HomeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  private Gatehouse opened;

  /** The command itself; the home it opened is closed after it (final audit checkpoint, vault sealed). */
  abstract Integer execute() throws Exception;

  @Override
  public final Integer call() throws Exception {
    Integer result;
    try {
      result = execute();
    } catch (Exception | Error e) {
      if (opened != null) {
        try {
          opened.close();
        } catch (RuntimeException closing) {
          e.addSuppressed(closing); // the first failure is the one to report
        }
      }
      throw e;
    }
    if (opened != null) {
      opened.close();
    }
    return result;
  }

  GatehouseCommand root() {
    return (GatehouseCommand) spec.root().userObject();
  }

  CliEnvironment env() {
    return root().env();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  Path homePath() {
    return Home.locate(root().home, env().env(), env().userHome());
  }

  Gatehouse open() {
    opened = Gatehouse.open(homePath(), env().clock(), env().random());
    return opened;
  }

  /** Keeps {@code g} to be closed after the command. */
  Gatehouse closeAfter(Gatehouse g) {
    opened = g;
    return g;
  }

  /**
   * Opens the home to read its state: as it is on embedded storage (no password needed);
   * unsealed on PostgreSQL, since the database password is a vault entry.
   */
  Gatehouse openForState() throws IOException {
    Gatehouse g = open();
    if (g.config().storage().backend() == dev.gatehouse.config.Config.Storage.Backend.EMBEDDED) {
      return g;
    }
    g.close();
    return openUnsealed();
  }

  /** Opens the home and unseals its vault (password file, sealed mode, or prompt). */
  Gatehouse openUnsealed() throws IOException {
    return unseal(open());
  }

  /** Unseals the vault of {@code g}, the home this command opened. */
  Gatehouse unseal(Gatehouse g) throws IOException {
    Vault vault = g.localVault(); // with a shared vault, vault.gh opens first: it holds the database's password
    if (!vault.exists()) {
      throw new NotConfiguredException("this home has no vault yet; create it with `gatehouse init` (it keeps your settings)");
    }
    try (Credential c = Secrets.unlockCredential(env(), root().passwordFile, vault)) {
      g.unseal(c, env().actor());
    }
    return g;
  }
}
