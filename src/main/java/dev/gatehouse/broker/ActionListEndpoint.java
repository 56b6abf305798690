package dev.gatehouse.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.audit.AuditLog;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET /v1/actions} (DESIGN §12): the actions the signing agent's key may call, from the
 * catalog the daemon serves, so that a face the agent runs (the MCP server) can list them
 * without reading the home.
 *
 * <p>Signed and checked like every signed endpoint (the same {@link Authenticator}: source
 * limit, signature, agent key, freshness, replay). The answer holds exactly the actions that
 * {@link Agent#allows} and nothing else of the catalog: no base URL, no upstream path, no auth,
 * no secret name. A refusal is audited ({@code actions.list}, {@code denied}); a listing changes
 * nothing and is not, as with {@link ApprovalStatusEndpoint}.
 */
public final class ActionListEndpoint {
  /** The route is {@code GET PATH}. */
  public static final String PATH = "/v1/actions";
  private static final String EVENT = "actions.list";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Authenticator authenticator;
  private final AtomicReference<Catalog> catalog;
  private final AuditLog audit;

  public ActionListEndpoint(Authenticator authenticator, AtomicReference<Catalog> catalog, AuditLog audit) {
    this.authenticator = authenticator;
    this.catalog = catalog;
    this.audit = audit;
  }

  public Broker.Answer handle(Broker.Call call) {
    Authenticator.Signed signed;
    try {
      signed = authenticator.authenticate(call);
    } catch (Refused r) {
      return Broker.refusal(audit, EVENT, r, call, "-", "unauthenticated");
    }
    try {
      authenticator.admit(signed, call, Principal.Kind.AGENT).awaitOrRefuse();
    } catch (Refused r) {
      return Broker.refusal(audit, EVENT, r, call, "-", signed.principal().actor());
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/json");
    headers.put("Cache-Control", "no-store");
    return new Broker.Answer(200, headers, json(allowed(catalog.get(), signed.principal().agent())));
  }

  /** The actions of {@code cat} that {@code agent} may call, by full name. */
  public static List<Action> allowed(Catalog cat, Agent agent) {
    return cat.services().values().stream()
        .flatMap(s -> s.actions().values().stream())
        .filter(a -> agent.allows(a.fullName()))
        .sorted(Comparator.comparing(Action::fullName))
        .toList();
  }

  /**
   * The listing (docs/mcp.md): {@code {"actions": [{"name", "description", "domain",
   * "params": {NAME: {"type", "required", "values"?, "paths"?}}}]}}. {@code paths} are the
   * {@code allow_paths} globs of a pass-through action's {@code path} parameter.
   */
  public static byte[] json(List<Action> actions) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode list = root.putArray("actions");
    for (Action a : actions) {
      ObjectNode n = list.addObject();
      n.put("name", a.fullName());
      n.put("description", a.description());
      n.put("domain", a.domain().wire());
      ObjectNode params = n.putObject("params");
      for (var e : a.params().entrySet()) {
        ObjectNode p = params.putObject(e.getKey());
        p.put("type", e.getValue().type().name().toLowerCase(Locale.ROOT));
        p.put("required", e.getValue().required());
        if (!e.getValue().values().isEmpty()) {
          e.getValue().values().forEach(p.putArray("values")::add);
        }
        if (a.passThrough() && e.getKey().equals("path")) {
          a.allowPaths().forEach(p.putArray("paths")::add);
        }
      }
    }
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }
}
