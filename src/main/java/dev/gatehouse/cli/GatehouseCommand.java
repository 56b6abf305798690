package dev.gatehouse.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

@Command(name = "gatehouse",
    mixinStandardHelpOptions = true,
    versionProvider = GatehouseCommand.Version.class,
    description = "A security gateway for AI agents: capabilities, never credentials.",
    footer = {"", "Exit codes: 0 success; 1 the check said no; 2 bad usage or input (nothing changed); "
        + "3 locked out or rate limited; 4 not configured or daemon unreachable."})
// The subcommands are added by Cli (Cli.SUBCOMMANDS), only those a command line can reach.
public final class GatehouseCommand implements Runnable {
  private final CliEnvironment env;

  @Spec
  CommandSpec spec;

  @Option(names = "--home", paramLabel = "DIR", scope = ScopeType.INHERIT,
      description = "The Gatehouse home (default: $GATEHOUSE_HOME, else ~/.gatehouse).")
  String home;

  @Option(names = "--password-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "Read the vault's master password from FILE (mode 0600, owned by you; one trailing newline is ignored).")
  java.nio.file.Path passwordFile;

  GatehouseCommand(CliEnvironment env) {
    this.env = env;
  }

  CliEnvironment env() {
    return env;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {versionLine()};
    }
  }

  /** {@code gatehouse <version>}: what {@code gatehouse --version} prints. */
  public static String versionLine() throws IOException {
    Properties p = new Properties();
    try (InputStream in = GatehouseCommand.class.getResourceAsStream("/dev/gatehouse/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    }
    return "gatehouse " + p.getProperty("version", "(unknown version)");
  }
}
