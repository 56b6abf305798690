package dev.gatehouse;

import dev.gatehouse.cli.Cli;
import dev.gatehouse.cli.CliEnvironment;

/** The {@code gatehouse} executable. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(Cli.commandLine(CliEnvironment.system()).execute(args));
  }
}
