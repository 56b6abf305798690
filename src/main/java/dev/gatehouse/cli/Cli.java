package dev.gatehouse.cli;

import dev.gatehouse.error.GatehouseException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/** Builds the {@code gatehouse} command line with its one mapping from failures to exit codes. */
public final class Cli {
  private Cli() {}

  /**
   * Every subcommand by its name, in the order {@code gatehouse --help} lists them. A name here
   * is the one its class's {@code @Command} declares (CliTest checks that).
   */
  static final List<Map.Entry<String, Class<?>>> SUBCOMMANDS = List.of(
      Map.entry("init", InitCommand.class), Map.entry("vault", VaultCommand.class),
      Map.entry("totp", TotpCommand.class), Map.entry("audit", AuditCommand.class),
      Map.entry("agent", AgentCommand.class), Map.entry("serve", ServeCommand.class),
      Map.entry("call", CallCommand.class), Map.entry("reload", ReloadCommand.class),
      Map.entry("exec", ExecCommand.class), Map.entry("service", ServiceCommand.class),
      Map.entry("channel", ChannelCommand.class), Map.entry("pair", PairCommand.class),
      Map.entry("scan", ScanCommand.class), Map.entry("trust", TrustCommand.class),
      Map.entry("approvals", ApprovalsCommand.class), Map.entry("user", UserCommand.class),
      Map.entry("backup", BackupCommand.class), Map.entry("restore", RestoreCommand.class),
      Map.entry("demo", DemoCommand.class), Map.entry("doctor", DoctorCommand.class),
      Map.entry("mcp", McpCommand.class), Map.entry("migrate", MigrateCommand.class),
      Map.entry("storage", StorageCommand.class));

  /** The root's options that take a value (picocli's own -h, -V take none). */
  private static final Set<String> ROOT_OPTIONS_WITH_VALUE = Set.of("--home", "--password-file");

  /** The whole command line, every subcommand built (help, completion, tests that walk it). */
  public static CommandLine commandLine(CliEnvironment env) {
    return build(env, SUBCOMMANDS);
  }

  /**
   * The command line that runs {@code args}: it behaves as {@link #commandLine(CliEnvironment)}
   * does on those arguments, with only the subcommands they can reach built. Picocli builds
   * (and so loads and initialises) every command it is given; a command run by an agent on
   * every action should not pay for the other twenty.
   */
  public static CommandLine commandLine(CliEnvironment env, String[] args) {
    return build(env, reachable(args));
  }

  /**
   * The subcommands {@code args} can reach: the one named by the first argument that is not a
   * root option; none when every argument is {@code --version} or a root option with its
   * value; all otherwise (the usage, and the suggestions for a mistyped name, list them all).
   */
  static List<Map.Entry<String, Class<?>>> reachable(String[] args) {
    boolean version = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (ROOT_OPTIONS_WITH_VALUE.contains(a)) {
        i++;
      } else if (a.equals("-V") || a.equals("--version")) {
        version = true;
      } else if (a.startsWith("-")) {
        if (!ROOT_OPTIONS_WITH_VALUE.contains(a.split("=", 2)[0])) {
          return SUBCOMMANDS;
        }
      } else {
        for (Map.Entry<String, Class<?>> s : SUBCOMMANDS) {
          if (s.getKey().equals(a)) {
            return List.of(s);
          }
        }
        return SUBCOMMANDS;
      }
    }
    return version ? List.of() : SUBCOMMANDS;
  }

  private static CommandLine build(CliEnvironment env, List<Map.Entry<String, Class<?>>> subcommands) {
    CommandLine cl = new CommandLine(new GatehouseCommand(env));
    for (Map.Entry<String, Class<?>> s : subcommands) {
      cl.addSubcommand(s.getKey(), s.getValue());
    }
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(commandLine.getErr(), e));
    cl.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("gatehouse: " + e.getMessage());
      err.println("Try `" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help`.");
      return ExitCodes.BAD_INPUT;
    });
    cl.setExitCodeExceptionMapper(e -> ExitCodes.NO);
    return cl;
  }

  /** Prints one line, never a stack trace, and returns the exit code for {@code e}. */
  static int report(PrintWriter err, Exception e) {
    if (e instanceof GatehouseException g) {
      err.println("gatehouse: " + g.getMessage());
      err.flush();
      return ExitCodes.of(g);
    }
    if (e instanceof IOException io) {
      err.println("gatehouse: I/O error: " + io.getClass().getSimpleName()
          + (io.getMessage() == null ? "" : " " + io.getMessage()));
      err.flush();
      return ExitCodes.NO;
    }
    // Unexpected: its message might carry anything, so only its kind is shown.
    err.println("gatehouse: internal error (" + e.getClass().getName() + "); please report it");
    err.flush();
    return ExitCodes.NO;
  }
}
