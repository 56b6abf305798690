package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Agent;
import dev.gatehouse.error.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Agent keys: who may call the broker, and which actions. A key is written once, to a 0600 file.",
    subcommands = {AgentCommand.Add.class, AgentCommand.ListAgents.class, AgentCommand.Revoke.class,
        AgentCommand.Rotate.class})
final class AgentCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {"keyid", "key", "url"}: everything a client needs to sign, and nothing else. */
  static byte[] keyFile(Agent agent, Gatehouse g) throws IOException {
    var n = new ObjectMapper().createObjectNode();
    n.put("keyid", agent.keyId());
    byte[] key = agent.key();
    n.put("key", Base64.getEncoder().encodeToString(key));
    Arrays.fill(key, (byte) 0);
    n.put("url", (g.config().server().tls().isPresent() ? "https://" : "http://") + g.config().server().bind() + ":" + g.config().server().port());
    return (n.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static void checkNew(Path keyFile) {
    if (Files.exists(keyFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new BadInputException("--key-file " + keyFile + " already exists; an agent key is written only to a new file");
    }
    Path parent = keyFile.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException("--key-file " + keyFile + ": its folder does not exist");
    }
  }

  static void writeNew(Path keyFile, byte[] content) throws IOException {
    try (var ch = Files.newByteChannel(keyFile, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ch.write(java.nio.ByteBuffer.wrap(content));
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Create agent NAME with a new 256-bit key, written once to --key-file (mode 0600).",
          "Give the file to the agent's OS user, e.g. `sudo install -o AGENT -m 600 FILE ~AGENT/.config/gatehouse/agent.key`."})
  static final class Add extends HomeCommand {
    @Parameters(paramLabel = "NAME", description = "1-32 characters: a-z, 0-9, '_', '-'.")
    String name;

    @Option(names = "--allow", paramLabel = "GLOB",
        description = "An action it may call (service.action; * matches any part), e.g. jackett.* ; repeatable.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--key-file", paramLabel = "PATH", required = true, description = "Where to write the key (must not exist).")
    Path keyFile;

    @Override
    Integer execute() throws IOException {
      checkNew(keyFile);
      Gatehouse g = openUnsealed();
      Agent agent = g.agents().add(name, allow, env().actor());
      try {
        writeNew(keyFile, keyFile(agent, g));
      } catch (IOException e) {
        g.agents().revoke(name, env().actor());
        throw new BadInputException("cannot write --key-file " + keyFile + " (" + e.getMessage()
            + "); the agent was removed again");
      }
      out().println("Agent " + name + " (key id " + agent.keyId() + ") may call: "
          + (allow.isEmpty() ? "nothing yet (add --allow)" : String.join(", ", allow)));
      out().println("Its key is in " + keyFile + " (0600). It is not stored anywhere else in clear.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Agents: allowed actions, created, last used (never keys).")
  static final class ListAgents extends HomeCommand {
    @Override
    Integer execute() throws Exception {
      Gatehouse g = openUnsealed();
      List<Agent> agents = g.agents().list();
      if (agents.isEmpty()) {
        out().println("No agents yet (`gatehouse agent add NAME --allow ACTION --key-file PATH`).");
      }
      for (Agent a : agents) {
        String last = dev.gatehouse.broker.AgentUsage.lastUsed(g.stateDb(), a.name()).map(Outcomes::time).orElse("never");
        out().printf("%-20s %-28s allow %-30s created %s  last used %s%s%n", a.name(), a.keyId(),
            a.allow().isEmpty() ? "-" : String.join(",", a.allow()), Outcomes.time(a.created()), last,
            a.previous().filter(p -> env().clock().instant().isBefore(p.until()))
                .map(p -> "  (old key valid until " + Outcomes.time(p.until()) + ")").orElse(""));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Remove agent NAME: its keys stop working at once.")
  static final class Revoke extends HomeCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    Integer execute() throws IOException {
      openUnsealed().agents().revoke(name, env().actor());
      out().println("Agent " + name + " is revoked.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = {"Give agent NAME a new key, written to --key-file (replaced if it exists, mode 0600).",
          "The old key keeps working for server.agent_key_overlap_minutes (default 10)."})
  static final class Rotate extends HomeCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--key-file", paramLabel = "PATH", required = true, description = "Where to write the new key.")
    Path keyFile;

    @Override
    Integer execute() throws IOException {
      Path parent = keyFile.toAbsolutePath().getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new BadInputException("--key-file " + keyFile + ": its folder does not exist");
      }
      Gatehouse g = openUnsealed();
      Agent agent;
      try {
        agent = g.agents().rotate(name, env().actor(), rotated -> {
          byte[] content = keyFile(rotated, g);
          try {
            dev.gatehouse.store.AtomicFiles.write(keyFile, content);
          } finally {
            Arrays.fill(content, (byte) 0);
          }
        });
      } catch (IOException e) {
        throw new BadInputException("cannot write --key-file " + keyFile + " (" + e.getMessage()
            + "); nothing changed: the agent's key is the one it had");
      }
      out().println("Agent " + name + " has a new key (id " + agent.keyId() + ") in " + keyFile + "; the old one works until "
          + Outcomes.time(agent.previous().orElseThrow().until()) + ".");
      return ExitCodes.OK;
    }
  }
}
