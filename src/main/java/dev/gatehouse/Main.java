package dev.gatehouse;

import dev.gatehouse.cli.Cli;
import dev.gatehouse.cli.CliEnvironment;
import dev.gatehouse.cli.GatehouseCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine;

/** The {@code gatehouse} executable. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (answeredWithoutCommandLine(args, System.out)) {
      System.exit(0);
    }
    CommandLine cl = Cli.commandLine(CliEnvironment.system(), args);
    int code = cl.execute(args);
    // Output printed without a final newline (a checkpoint, a command's output) sits in the
    // writer's buffer until flushed; System.exit does not flush it.
    cl.getOut().flush();
    cl.getErr().flush();
    System.exit(code);
  }

  /**
   * Answers {@code gatehouse --version} (alone) as the command line would, without building
   * it: picocli's first use costs more CPU than the rest of a JVM start (its Java 5 class
   * files are loaded, verified and initialised at every start: an AOT cache cannot hold them),
   * and the version needs nothing of it. False, having printed nothing, for any other
   * arguments.
   */
  static boolean answeredWithoutCommandLine(String[] args, PrintStream out) {
    if (args.length != 1 || !List.of("--version", "-V").contains(args[0])) {
      return false;
    }
    String line;
    try {
      line = GatehouseCommand.versionLine();
    } catch (IOException e) {
      return false; // the command line reports it
    }
    out.println(line);
    out.flush();
    return true;
  }
}
