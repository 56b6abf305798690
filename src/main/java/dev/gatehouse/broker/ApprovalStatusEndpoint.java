package dev.gatehouse.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.ActionApprovals.Approval;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code GET /v1/approvals/ID} (DESIGN §10): an agent polls the approval its call was given
 * and learns {@code pending}, {@code approved}, {@code denied}, {@code expired} or {@code used}.
 *
 * <p>Signed and checked like every signed endpoint (the same {@link Authenticator}: source
 * limit, signature, agent key, freshness, replay); the signature of a GET covers no
 * {@code content-digest} and the request has no body. An agent sees only its own approvals:
 * another agent's id is answered exactly as an unknown one. A refusal is audited
 * ({@code approval.status}, {@code denied}); a status read changes nothing and is not.
 */
public final class ApprovalStatusEndpoint {
  /** The route is {@code GET PREFIX*}. */
  public static final String PREFIX = "/v1/approvals/";
  private static final String EVENT = "approval.status";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Authenticator authenticator;
  private final ActionApprovals approvals;
  private final AuditLog audit;

  public ApprovalStatusEndpoint(Authenticator authenticator, ActionApprovals approvals, AuditLog audit) {
    this.authenticator = authenticator;
    this.approvals = approvals;
    this.audit = audit;
  }

  public Broker.Answer handle(Broker.Call call) {
    String id = call.path().startsWith(PREFIX) ? call.path().substring(PREFIX.length()) : "";
    String subject = Problem.printable(id.isEmpty() ? "-" : id, 64);
    Authenticator.Signed signed;
    try {
      signed = authenticator.authenticate(call);
    } catch (Refused r) {
      return Broker.refusal(audit, EVENT, r, call, subject, "unauthenticated");
    }
    String actor = signed.principal().actor();
    Optional<Approval> found;
    try {
      authenticator.admit(signed, call, Principal.Kind.AGENT).awaitOrRefuse();
      String agent = signed.principal().name();
      found = approvals.find(id).filter(a -> a.agent().equals(agent));
      if (found.isEmpty()) {
        throw new Refused(Problem.Kind.UNKNOWN_APPROVAL, "no approval with this id for this agent");
      }
    } catch (Refused r) {
      return Broker.refusal(audit, EVENT, r, call, subject, actor);
    } catch (RuntimeException e) {
      return Broker.answer(new Problem(Problem.Kind.AUDIT_UNAVAILABLE, "the approvals cannot be read"), -1);
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/json");
    headers.put("Cache-Control", "no-store");
    return new Broker.Answer(200, headers, json(found.get()));
  }

  /** The answer as DESIGN §10 gives it: {@code {"approval": ID, "status": S, "expires": T}}. */
  public static byte[] json(Approval a) {
    ObjectNode n = JSON.createObjectNode();
    n.put("approval", a.id());
    n.put("status", a.status().wire());
    n.put("expires", a.expires().toString());
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }
}
