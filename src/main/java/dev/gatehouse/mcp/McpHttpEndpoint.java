package dev.gatehouse.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.broker.Action;
import dev.gatehouse.broker.Authenticator;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.NonceStore;
import dev.gatehouse.broker.Principal;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.broker.Refused;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.JacksonJsonSchemaValidatorSupplier;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import reactor.core.publisher.Mono;

/**
 * {@code POST /mcp} on {@code gatehouse serve} (DESIGN §12): the Model Context Protocol over
 * streamable HTTP, stateless (no session: every POST carries one JSON-RPC message and is
 * answered with {@code application/json}, or 202 for a notification).
 *
 * <p>Every POST is signed by an agent's key and checked like every signed endpoint, before
 * any of its JSON-RPC is read (the shared {@link Authenticator}: source limit, signature,
 * agent key, freshness, body digest, nonce spent once across all endpoints, on record before
 * anything is answered). A refusal there is the same problem+json as on the other signed
 * routes, audited as {@code mcp.request}. The tools are the actions that key may call, from
 * the catalog as it is at that POST; a tool call enters the broker at {@link Broker#invoke},
 * after the signature stage and before every other layer, so it is a broker call like any
 * other (audit entry {@code broker.call} with detail {@code via=mcp}), and there is no other
 * path to an upstream.
 */
public final class McpHttpEndpoint {
  public static final String PATH = "/mcp";
  /** The audit event of a refused POST (before any JSON-RPC is read). */
  static final String EVENT = "mcp.request";
  /** What a tool call's audit entries name as their entry. */
  public static final String VIA = "mcp";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final McpJsonMapper MAPPER = new JacksonMcpJsonMapper(JSON);
  private static final String SIGNED = "gatehouse.signed";
  private static final String CALL = "gatehouse.call";
  private static final String NONCE = "gatehouse.nonce";

  private final Broker broker;
  private final String version;
  private final java.util.concurrent.atomic.AtomicReference<Built> built = new java.util.concurrent.atomic.AtomicReference<>();

  public McpHttpEndpoint(Broker broker) {
    this.broker = broker;
    this.version = version();
  }

  /** The build's version, as {@code gatehouse --version} reads it. */
  private static String version() {
    java.util.Properties p = new java.util.Properties();
    try (var in = McpHttpEndpoint.class.getResourceAsStream("/dev/gatehouse/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // unknown, as below
    }
    return p.getProperty("version", "unknown");
  }

  /** {@code POST /mcp}. */
  public Broker.Answer handle(Broker.Call call) {
    Authenticator authenticator = broker.authenticator();
    Authenticator.Signed signed;
    try {
      signed = authenticator.authenticate(call);
    } catch (Refused r) {
      return Broker.refusal(broker.audit(), EVENT, r, call, "-", "unauthenticated");
    }
    NonceStore.Recording nonce;
    try {
      nonce = authenticator.admit(signed, call, Principal.Kind.AGENT);
    } catch (Refused r) {
      return Broker.refusal(broker.audit(), EVENT, r, call, "-", signed.principal().actor());
    }
    McpSchema.JSONRPCMessage message;
    try {
      message = McpSchema.deserializeJsonRpcMessage(MAPPER, new String(call.body(), StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return onRecord(nonce, rpcError(400, McpSchema.ErrorCodes.PARSE_ERROR,
          "the body must be one JSON-RPC 2.0 message"));
    }
    Transport transport = server();
    // A tool call's broker.call entry puts the nonce on record before the call acts; whatever
    // else a message does has no effect, and its answer waits for a record of its own.
    McpTransportContext context = McpTransportContext.create(Map.of(SIGNED, signed, CALL, call, NONCE, nonce));
    try {
      if (message instanceof McpSchema.JSONRPCRequest request) {
        McpSchema.JSONRPCResponse response = transport.handler.handleRequest(context, request)
            .contextWrite(c -> c.put(McpTransportContext.KEY, context)).block();
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put("Content-Type", "application/json");
        headers.put("Cache-Control", "no-store");
        return onRecord(nonce, new Broker.Answer(200, headers, MAPPER.writeValueAsBytes(response)));
      }
      if (message instanceof McpSchema.JSONRPCNotification notification) {
        transport.handler.handleNotification(context, notification)
            .contextWrite(c -> c.put(McpTransportContext.KEY, context)).block();
      }
      // A notification, or a response to a request this server never sends: accepted, nothing to say.
      return onRecord(nonce, new Broker.Answer(202, new TreeMap<>(String.CASE_INSENSITIVE_ORDER), new byte[0]));
    } catch (IOException | RuntimeException e) {
      return onRecord(nonce, rpcError(500, McpSchema.ErrorCodes.INTERNAL_ERROR, "the message could not be answered"));
    }
  }

  /**
   * {@code answer}, once the request's nonce is on record (at once when a tool call's entry
   * carried it); else 503, as on every signed endpoint: a replay could not be refused later.
   */
  private Broker.Answer onRecord(NonceStore.Recording nonce, Broker.Answer answer) {
    try {
      nonce.awaitOrRefuse();
      return answer;
    } catch (Refused r) {
      return Broker.answer(r.problem(), -1);
    }
  }

  /**
   * The SDK's stateless server over the current catalog: built once per catalog (a reload makes
   * a new one), not per POST. Everything per request (the signed principal, the call) travels in
   * the transport context, the tool filter included.
   */
  private Transport server() {
    Catalog cat = broker.catalog();
    Built b = built.get();
    if (b == null || b.catalog() != cat) {
      Transport transport = new Transport();
      McpServer.sync(transport)
          .serverInfo("gatehouse", version)
          .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
          .jsonMapper(MAPPER)
          .jsonSchemaValidator(new JacksonJsonSchemaValidatorSupplier().get())
          .validateToolInputs(false) // the broker checks parameters, and audits what it refuses
          .immediateExecution(true) // on this request's (virtual) thread
          .tools(tools(cat))
          .addToolFilter((context, tool) ->
              ((Authenticator.Signed) context.get(SIGNED)).principal().agent().allows(tool.name()))
          .build();
      b = new Built(cat, transport);
      built.set(b); // two racing builders both build a correct server; either may stay
    }
    return b.transport();
  }

  private record Built(Catalog catalog, Transport transport) {}

  /** {@code GET} and {@code DELETE /mcp}: a stateless server offers no stream and no session (MCP 2025-06-18). */
  public static Broker.Answer notAllowed(Broker.Call call) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Allow", "POST");
    return new Broker.Answer(405, headers, new byte[0]);
  }

  /**
   * One tool per action of {@code cat} ({@link ToolMapping}); each call is a broker call. The
   * listing shows only those the key allows (the tool filter above); a call of another is the
   * broker's to refuse, and audit, as on the action route.
   */
  private List<McpStatelessServerFeatures.SyncToolSpecification> tools(Catalog cat) {
    List<Action> actions = cat.services().values().stream().flatMap(s -> s.actions().values().stream())
        .sorted(Comparator.comparing(Action::fullName)).toList();
    List<McpStatelessServerFeatures.SyncToolSpecification> tools = new ArrayList<>();
    for (McpSchema.Tool tool : ToolMapping.tools(actions)) {
      tools.add(new McpStatelessServerFeatures.SyncToolSpecification(tool, (context, request) -> call(
          (Authenticator.Signed) context.get(SIGNED), (Broker.Call) context.get(CALL),
          (NonceStore.Recording) context.get(NONCE), request)));
    }
    return tools;
  }

  /**
   * A tool call as a broker call. Its approval argument, if any, is inside this POST's body,
   * which the signature covers through its digest: it is as signed as a Gatehouse-Approval
   * header among the covered components.
   */
  private McpSchema.CallToolResult call(Authenticator.Signed signed, Broker.Call call, NonceStore.Recording nonce,
      McpSchema.CallToolRequest r) {
    ToolMapping.BrokerCall c;
    try {
      c = ToolMapping.call(r.name(), r.arguments());
    } catch (IllegalArgumentException e) {
      return ToolMapping.failure(e.getMessage());
    }
    return ToolMapping.result(broker.invoke(signed, nonce, call, c.action(), c.body(), c.approval().orElse(null), VIA));
  }

  private static Broker.Answer rpcError(int status, int code, String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("jsonrpc", "2.0");
    n.putNull("id");
    n.putObject("error").put("code", code).put("message", message);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/json");
    return new Broker.Answer(status, headers, n.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The SDK's stateless transport, over one POST already read: it only hands over the server's handler. */
  private static final class Transport implements McpStatelessServerTransport {
    McpStatelessServerHandler handler;

    @Override
    public void setMcpHandler(McpStatelessServerHandler handler) {
      this.handler = handler;
    }

    @Override
    public Mono<Void> closeGracefully() {
      return Mono.empty();
    }
  }

}
