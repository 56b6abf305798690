package dev.gatehouse.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.Sha256;
import dev.gatehouse.identity.ParsedSignature;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.Trust;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trust layer of a broker call (DESIGN §10), after signature, allowlist, rate limit and
 * parameters: the level of the action's domain decides whether the call runs, is only
 * described, or waits for the owner's approval of that one request. An approval is redeemed
 * here, before anything runs, so it runs at most once.
 */
final class TrustStage {
  public static final String APPROVAL_HEADER = "gatehouse-approval";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What trust decided for a call whose other layers passed. */
  sealed interface Decision permits Run, Describe, AwaitApproval {}

  /** Run it; {@code report}: tell the owner afterwards (act-and-report); {@code approval}: the id it spent, or null. */
  record Run(Level level, boolean report, String approval) implements Decision {}

  /** Level inform: nothing runs; {@code would} says what would have (no credential in it). */
  record Describe(ObjectNode would) implements Decision {}

  /** Level suggest: the owner is asked; the agent polls the approval and sends the call again. */
  record AwaitApproval(ActionApprovals.Approval approval) implements Decision {}

  private final Trust trust;
  private final ActionApprovals approvals;

  TrustStage(Trust trust, ActionApprovals approvals) {
    this.trust = trust;
    this.approvals = approvals;
  }

  /**
   * @param approvalId the approval the call carries for its retry, or null
   * @param approvalSigned whether the caller's signature covers {@code approvalId} (a
   *     Gatehouse-Approval header among the covered components, or inside a signed body)
   * @param described the upstream request as it would be sent, with placeholders for credentials
   * @throws Refused {@code trust-none}; {@code approval-unsigned} for a Gatehouse-Approval header
   *     the signature does not cover; {@code approval-refused} for one that does not grant this request
   */
  Decision decide(Principal principal, String approvalId, boolean approvalSigned, Action action,
      Map<String, JsonNode> params, Upstream.Request described) throws Refused {
    Level level = trust.level(action.domain());
    if (approvalId != null && !approvalSigned) {
      throw new Refused(Problem.Kind.APPROVAL_UNSIGNED, "list \"gatehouse-approval\" among the covered components");
    }
    switch (level) {
      case NONE -> throw new Refused(Problem.Kind.TRUST_NONE, "the owner has not allowed actions in the domain '"
          + action.domain().wire() + "'; they can with `gatehouse trust set " + action.domain().wire()
          + " LEVEL --reason TEXT` (docs/trust.md)");
      case INFORM -> {
        return new Describe(would(action, described));
      }
      default -> { }
    }
    String sha = requestSha256(principal.name(), action.fullName(), params);
    if (approvalId != null) {
      return switch (approvals.redeem(approvalId.strip(), principal.name(), sha)) {
        case ActionApprovals.Granted g -> new Run(level, level == Level.ACT_AND_REPORT, g.approval().id());
        case ActionApprovals.NotGranted n -> throw new Refused(Problem.Kind.APPROVAL_REFUSED, "approval "
            + Problem.printable(approvalId, 40) + ": " + n.reason());
      };
    }
    if (level == Level.SUGGEST) {
      return new AwaitApproval(approvals.open(principal.name(), action.fullName(), action.domain(), sha,
          summary(action, described, params)));
    }
    return new Run(level, level == Level.ACT_AND_REPORT, null);
  }

  /**
   * The request an approval covers: SHA-256 over the agent, the action and the canonical JSON
   * of the parameters (keys sorted at every depth), so the same call with other parameters, or
   * by another agent, is another request.
   */
  static String requestSha256(String agent, String action, Map<String, JsonNode> params) {
    ObjectNode canonical = JSON.createObjectNode();
    new TreeMap<>(params).forEach((k, v) -> canonical.set(k, canonical(v)));
    String text = "gatehouse-approval-v1\n" + agent + "\n" + action + "\n" + canonical;
    return Sha256.hex(text.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode canonical(JsonNode n) {
    if (n.isObject()) {
      ObjectNode sorted = JSON.createObjectNode();
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      n.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
      fields.forEach((k, v) -> sorted.set(k, canonical(v)));
      return sorted;
    }
    if (n.isArray()) {
      var array = JSON.createArrayNode();
      n.forEach(item -> array.add(canonical(item)));
      return array;
    }
    return n;
  }

  /** service, action, method and the upstream URL with every credential left out. */
  static ObjectNode would(Action action, Upstream.Request described) {
    ObjectNode w = JSON.createObjectNode();
    w.put("service", action.service());
    w.put("action", action.fullName());
    w.put("method", action.method());
    w.put("url", withoutCredentials(described.uri()));
    return w;
  }

  private static String summary(Action action, Upstream.Request described, Map<String, JsonNode> params) {
    ObjectNode s = would(action, described);
    ObjectNode p = s.putObject("params");
    params.forEach(p::set);
    return s.toString();
  }

  /** Query parameters that carry a placeholder credential are dropped; user info never exists here. */
  private static String withoutCredentials(java.net.URI uri) {
    String raw = uri.getRawQuery();
    String base = uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath();
    if (raw == null) {
      return base;
    }
    StringBuilder kept = new StringBuilder();
    for (String pair : raw.split("&")) {
      if (!pair.contains(PathRules.encodeQuery(PLACEHOLDER))) {
        kept.append(kept.isEmpty() ? "?" : "&").append(pair);
      }
    }
    return base + kept;
  }

  /** Stands for every credential in a described request; never a real value. */
  static final String PLACEHOLDER = "gatehouse-credential-placeholder";

  /** Every secret a service's auth names, as the placeholder. */
  static Map<String, String> placeholders(Service service) {
    Map<String, String> m = new TreeMap<>();
    service.auth().secrets().forEach(name -> m.put(name, PLACEHOLDER));
    return m;
  }
}
