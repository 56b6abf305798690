package dev.gatehouse.cli;

import dev.gatehouse.error.GatehouseException;
import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Builds the {@code gatehouse} command line with its one mapping from failures to exit codes. */
public final class Cli {
  private Cli() {}

  public static CommandLine commandLine(CliEnvironment env) {
    CommandLine cl = new CommandLine(new GatehouseCommand(env));
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
