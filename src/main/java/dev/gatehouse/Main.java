package dev.gatehouse;

import dev.gatehouse.cli.Cli;
import dev.gatehouse.cli.CliEnvironment;
import picocli.CommandLine;

/** The {@code gatehouse} executable. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    CommandLine cl = Cli.commandLine(CliEnvironment.system(), args);
    int code = cl.execute(args);
    // Output printed without a final newline (a checkpoint, a command's output) sits in the
    // writer's buffer until flushed; System.exit does not flush it.
    cl.getOut().flush();
    cl.getErr().flush();
    System.exit(code);
  }
}
