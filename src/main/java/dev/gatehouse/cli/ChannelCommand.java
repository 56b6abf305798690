package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.error.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "channel", mixinStandardHelpOptions = true,
    description = {"Chat channels' adapter keys (docs/chat.md). A channel key signs POST /v1/gate/messages for its",
        "own channel and can call nothing else; the key file has the agent key file's format."},
    subcommands = {ChannelCommand.Add.class, ChannelCommand.ListChannels.class, ChannelCommand.Revoke.class})
final class ChannelCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Create channel NAME with a new 256-bit adapter key, written once to --key-file (mode 0600).",
          "Give the file to the bot adapter's OS user. The built-in Telegram bridge needs no key."})
  static final class Add extends HomeCommand {
    @Parameters(paramLabel = "NAME", description = "1-32 characters: a-z, 0-9, '_', '-' (not an agent's name).")
    String name;

    @Option(names = "--key-file", paramLabel = "PATH", required = true, description = "Where to write the key (must not exist).")
    Path keyFile;

    @Override
    Integer execute() throws IOException {
      AgentCommand.checkNew(keyFile);
      Gatehouse g = openUnsealed();
      Agent channel = g.channels().add(name, List.of(), env().actor());
      try {
        AgentCommand.writeNew(keyFile, AgentCommand.keyFile(channel, g));
      } catch (IOException e) {
        g.channels().revoke(name, env().actor());
        throw new BadInputException("cannot write --key-file " + keyFile + " (" + e.getMessage()
            + "); the channel was removed again");
      }
      out().println("Channel " + name + " (key id " + channel.keyId() + ") may ask the chat gate about its messages.");
      out().println("Its key is in " + keyFile + " (0600). It is not stored anywhere else in clear.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Channels: key id, created, whether the gate is on (never keys).")
  static final class ListChannels extends HomeCommand {
    @Override
    Integer execute() throws Exception {
      Gatehouse g = openUnsealed();
      List<Agent> channels = g.channels().list();
      if (channels.isEmpty()) {
        out().println("No channels yet (`gatehouse channel add NAME --key-file PATH`).");
      }
      for (Agent c : channels) {
        out().printf("%-20s %-28s created %s  gate %s%n", c.name(), c.keyId(), Outcomes.time(c.created()),
            g.config().chat().gateOn(c.name()) ? "on" : "off");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Remove channel NAME: its key stops working at once (its paired senders stay listed).")
  static final class Revoke extends HomeCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    Integer execute() throws IOException {
      openUnsealed().channels().revoke(name, env().actor());
      out().println("Channel " + name + " is revoked.");
      return ExitCodes.OK;
    }
  }
}
