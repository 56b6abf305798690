package dev.gatehouse.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The quick start's first command: Gatehouse's guarantees shown on a throwaway home, with real calls. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Show Gatehouse working, on a throwaway home: a sealed vault with a random master password, a "
        + "stand-in media server on loopback, the daemon on a free loopback port and an agent key; then real signed "
        + "calls: a credential injected, a replay refused, a ../ path and the cloud metadata address refused, an "
        + "echoed secret scrubbed, and `audit verify` over all of it (docs/demo.md).",
        "Touches nothing of yours (not ~/.gatehouse, not --home): everything lives in a new temporary folder, removed "
            + "at the end with everything started, unless --keep. Exit 0 when every step behaved as promised, 1 naming "
            + "the step that did not."})
final class DemoCommand implements java.util.concurrent.Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--keep", description = "Keep the home and the agent key, and print how to explore them.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    GatehouseCommand root = (GatehouseCommand) spec.root().userObject();
    return new Demo(root.env(), spec.commandLine().getOut(), keep, DemoUpstream::start).run();
  }
}
