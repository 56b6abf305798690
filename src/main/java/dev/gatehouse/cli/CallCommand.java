package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The agent's client: signs one action call with its key file and prints the answer's body. */
@Command(name = "call", mixinStandardHelpOptions = true,
    description = {"Call one broker action as an agent: sign it with the agent's key and print the response body.",
        "Key file: --key-file, else $GATEHOUSE_AGENT_KEY_FILE, else ~/.config/gatehouse/agent.key (must be 0600). "
            + "Daemon: $GATEHOUSE_URL, else the key file's url, else http://127.0.0.1:19999.",
        "Over https (TLS 1.3), the daemon's certificate is checked against --cacert, else $GATEHOUSE_CACERT, else the "
            + "system's trusted authorities (docs/tls.md).",
        "Exit: 0 answered 2xx; 1 refused or the service answered an error; 2 bad parameters; 3 rate limited; "
            + "4 no key file or daemon unreachable."})
final class CallCommand extends HomeCommand {
  static final String DEFAULT_URL = AgentClient.DEFAULT_URL;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = {"-a", "--action"}, paramLabel = "ACTION", required = true, description = "service.action, e.g. jackett.search")
  String action;

  @Option(names = "-q", paramLabel = "TEXT", description = "The query text (parameter q).")
  String query;

  @Option(names = "-p", paramLabel = "PATH", description = "The path, for pass-through actions (parameter path).")
  String path;

  @Option(names = "--param", paramLabel = "K=V", description = "Any other parameter; repeatable.")
  List<String> params = new ArrayList<>();

  @Option(names = "--data", paramLabel = "JSON", description = "Parameters as one JSON object.")
  String data;

  @Option(names = "--approval", paramLabel = "ID",
      description = "Send the call again under the owner's approval ID (the Gatehouse-Approval header, covered by the signature).")
  String approval;

  @Option(names = "--key-file", paramLabel = "PATH", description = "The agent key file.")
  Path keyFile;

  @Option(names = "--cacert", paramLabel = "PATH",
      description = "Over https, trust only the PEM certificates in this file (the daemon's own, or its CA).")
  Path caCert;

  @Override
  Integer execute() throws Exception {
    if (!action.matches("[a-z0-9][a-z0-9_-]*\\.[a-z0-9][a-z0-9_-]*")) {
      throw new BadInputException("-a must name an action as service.action (got '" + action + "')");
    }
    ObjectNode body = JSON.createObjectNode();
    if (data != null) {
      JsonNode d;
      try {
        d = JSON.readTree(data);
      } catch (IOException e) {
        throw new BadInputException("--data is not JSON");
      }
      if (d == null || !d.isObject()) {
        throw new BadInputException("--data must be a JSON object of parameters");
      }
      body.setAll((ObjectNode) d);
    }
    if (query != null) {
      body.put("q", query);
    }
    if (path != null) {
      body.put("path", path);
    }
    for (String p : params) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new BadInputException("--param must be K=V (got '" + p + "')");
      }
      body.put(p.substring(0, eq), p.substring(eq + 1));
    }
    JsonNode key = AgentClient.readKeyFile(AgentClient.keyFile(keyFile, env()));
    String base = AgentClient.baseUrl(key, env().env());
    URI uri = AgentClient.uri(base, "/v1/actions/" + action);
    byte[] bytes = JSON.writeValueAsBytes(body);
    if (approval != null && !approval.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new BadInputException("--approval takes the id the daemon answered (letters, digits, - and _)");
    }
    AgentClient.SignedCall signed = AgentClient.sign(key, uri, bytes, env().clock(), env().random(),
        approval == null ? Map.of() : Map.of("gatehouse-approval", approval));
    HttpResponse<byte[]> response;
    try (HttpClient client = client(uri)) {
      response = AgentClient.send(client, signed, Duration.ofMinutes(11), base);
    }
    int status = response.statusCode();
    boolean problem = response.headers().firstValue("content-type").orElse("").startsWith("application/problem+json");
    if (problem) {
      JsonNode p = JSON.readTree(response.body());
      err().println("gatehouse: " + p.path("title").asText("refused")
          + (p.hasNonNull("detail") ? ": " + p.get("detail").asText() : "") + " (" + status + ", "
          + p.path("type").asText() + ")");
      if (p.has("would")) { // trust level inform: what would have been done, for the agent to report
        out().println(p.get("would").toString());
        out().flush();
      }
    } else {
      out().flush();
      out().print(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
      out().flush();
    }
    if (status == 202) {
      JsonNode pending = JSON.readTree(response.body());
      err().println("gatehouse: waiting for the owner's approval " + pending.path("approval").asText()
          + " (until " + pending.path("expires").asText() + "); once approved, send the same call again with"
          + " --approval " + pending.path("approval").asText());
    }
    if (status >= 200 && status < 300) {
      return ExitCodes.OK;
    }
    if (status == 429) {
      return ExitCodes.LOCKED;
    }
    if (problem && (status == 400 || status == 413)) {
      return ExitCodes.BAD_INPUT;
    }
    return ExitCodes.NO;
  }

  /** A client for {@code uri}, trusting --cacert (or $GATEHOUSE_CACERT) when given. */
  private HttpClient client(URI uri) {
    Path trusted = caCert != null ? caCert
        : env().env().containsKey("GATEHOUSE_CACERT") ? Path.of(env().env().get("GATEHOUSE_CACERT")) : null;
    return AgentClient.client(uri, trusted, caCert != null ? "--cacert" : "GATEHOUSE_CACERT");
  }
}
