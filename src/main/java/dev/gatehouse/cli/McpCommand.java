package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.mcp.StdioServer;
import dev.gatehouse.mcp.ToolMapping;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse mcp}: the agent's allowed actions as MCP tools over stdio (docs/mcp.md).
 * Every request to the daemon is made by {@link AgentClient}, as {@code gatehouse call} makes
 * it. Standard output carries the protocol and nothing else: while serving, anything printed
 * to {@code System.out} goes to standard error.
 */
@Command(name = "mcp", mixinStandardHelpOptions = true,
    description = {"Serve the agent's allowed actions as Model Context Protocol tools over stdio (for an agent's MCP"
        + " settings: command gatehouse, args [mcp, --key-file, PATH]).",
        "Tools are listed from the running daemon; each tool call is a signed broker call, like `gatehouse call`.",
        "Key file: --key-file, else $GATEHOUSE_AGENT_KEY_FILE, else ~/.config/gatehouse/agent.key (must be 0600). "
            + "Daemon: $GATEHOUSE_URL, else the key file's url. Over https: --cacert or $GATEHOUSE_CACERT.",
        "Standard output is the protocol; messages go to standard error. Exit: 0 when the client closes stdin; "
            + "1 the daemon refused the key; 4 no key file or daemon unreachable."})
final class McpCommand extends HomeCommand {
  @Option(names = "--key-file", paramLabel = "PATH", description = "The agent key file.")
  Path keyFile;

  @Option(names = "--cacert", paramLabel = "PATH",
      description = "Over https, trust only the PEM certificates in this file (the daemon's own, or its CA).")
  Path caCert;

  @Override
  Integer execute() throws Exception {
    JsonNode key = AgentClient.readKeyFile(AgentClient.keyFile(keyFile, env()));
    String base = AgentClient.baseUrl(key, env().env());
    URI listing = AgentClient.uri(base, dev.gatehouse.broker.ActionListEndpoint.PATH);
    Path trusted = caCert != null ? caCert
        : env().env().containsKey("GATEHOUSE_CACERT") ? Path.of(env().env().get("GATEHOUSE_CACERT")) : null;
    OutputStream protocol = new FileOutputStream(FileDescriptor.out);
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
    try (HttpClient client = AgentClient.client(listing, trusted, caCert != null ? "--cacert" : "GATEHOUSE_CACERT")) {
      StdioServer.Gateway gateway = new StdioServer.Gateway() {
        @Override
        public Broker.Answer listActions() throws IOException, InterruptedException {
          return answer(AgentClient.send(client, AgentClient.signGet(key, listing, env().clock(), env().random()),
              Duration.ofSeconds(30), base));
        }

        @Override
        public Broker.Answer call(ToolMapping.BrokerCall call) throws IOException, InterruptedException {
          URI uri = AgentClient.uri(base, Broker.ACTION_PREFIX + call.action());
          return answer(AgentClient.send(client, AgentClient.sign(key, uri, call.body(), env().clock(), env().random(),
              call.approval().map(id -> Map.of("gatehouse-approval", id)).orElse(Map.of())),
              Duration.ofMinutes(11), base));
        }
      };
      new StdioServer(gateway, env().clock()).serve(env().stdin(), protocol, version());
    } finally {
      System.setOut(stdout);
    }
    return ExitCodes.OK;
  }

  private static Broker.Answer answer(HttpResponse<byte[]> r) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    r.headers().map().forEach((name, values) -> headers.put(name, String.join(", ", values)));
    return new Broker.Answer(r.statusCode(), headers, r.body());
  }

  private static String version() {
    try {
      return GatehouseCommand.versionLine().replace("gatehouse ", "");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
