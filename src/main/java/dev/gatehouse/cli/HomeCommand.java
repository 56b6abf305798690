package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.store.Home;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that works on a home: access to the environment, the output and the home. */
abstract class HomeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

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
    return Gatehouse.open(homePath(), env().clock(), env().random());
  }
}
