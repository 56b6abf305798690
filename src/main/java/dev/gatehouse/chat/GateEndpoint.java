package dev.gatehouse.chat;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.broker.Authenticator;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.NonceStore;
import dev.gatehouse.broker.Principal;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.broker.Refused;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.guard.InjectionFlag;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code POST /v1/gate/messages} (DESIGN §9): a channel adapter's signed question about one
 * incoming message. Signed and checked exactly like an action call (the same
 * {@link Authenticator}, so the same replay memory and problem+json refusals); the key's
 * channel is the one the message is decided for, whatever the body says.
 */
public final class GateEndpoint {
  public static final String PATH = "/v1/gate/messages";
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final Set<String> FIELDS = Set.of("sender", "text", "sender_name", "invokes_agent");
  private static final int MAX_NAME = 256;

  private final Authenticator authenticator;
  private final Gate gate;
  private final AuditLog audit;

  public GateEndpoint(Authenticator authenticator, Gate gate, AuditLog audit) {
    this.authenticator = authenticator;
    this.gate = gate;
    this.audit = audit;
  }

  public Broker.Answer handle(Broker.Call call) {
    Authenticator.Signed signed;
    try {
      signed = authenticator.authenticate(call);
    } catch (Refused r) {
      return Broker.refusal(audit, "chat.message", r, call, "-", "unauthenticated");
    }
    String actor = signed.principal().actor();
    GateMessage message;
    try {
      NonceStore.Recording nonce = authenticator.admit(signed, call, Principal.Kind.CHANNEL);
      message = message(call.body());
      nonce.awaitOrRefuse();
    } catch (Refused r) {
      return Broker.refusal(audit, "chat.message", r, call, signed.principal().name(), actor);
    }
    GateAnswer a;
    try {
      a = gate.decide(signed.principal().name(), message);
    } catch (BadInputException e) {
      return Broker.refusal(audit, "chat.message", new Refused(Problem.Kind.BAD_REQUEST, e.getMessage()), call,
          signed.principal().name(), actor);
    } catch (RuntimeException e) {
      return Broker.answer(new Problem(Problem.Kind.AUDIT_UNAVAILABLE, "the decision could not be made durable"), -1);
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/json");
    headers.put(Broker.AUDIT_SEQ_HEADER, Long.toString(a.auditSeq()));
    return new Broker.Answer(200, headers, json(a));
  }

  /** The body: one JSON object with a sender and a text, and nothing unknown. */
  static GateMessage message(byte[] body) throws Refused {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (IOException e) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "the body must be one JSON object: {\"sender\", \"text\", "
          + "\"sender_name\", \"invokes_agent\"}");
    }
    if (n == null || !n.isObject()) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "the body must be one JSON object");
    }
    for (var it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new Refused(Problem.Kind.BAD_REQUEST, "unknown field '" + Problem.printable(f, 32) + "'; known: "
            + new java.util.TreeSet<>(FIELDS));
      }
    }
    JsonNode sender = n.get("sender");
    JsonNode text = n.get("text");
    JsonNode name = n.get("sender_name");
    JsonNode invokes = n.get("invokes_agent");
    if (sender == null || !sender.isTextual()) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "sender must be a string: the platform's user id");
    }
    if (text == null || !text.isTextual()) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "text must be a string");
    }
    if (name != null && !name.isNull() && (!name.isTextual() || name.asText().length() > MAX_NAME)) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "sender_name must be a string of at most " + MAX_NAME + " characters");
    }
    if (invokes != null && !invokes.isBoolean()) {
      throw new Refused(Problem.Kind.BAD_REQUEST, "invokes_agent must be true or false");
    }
    return new GateMessage(sender.asText(), text.asText(), name == null || name.isNull() ? null : name.asText(),
        invokes == null || invokes.asBoolean());
  }

  /** The answer as DESIGN §9 gives it. */
  public static byte[] json(GateAnswer a) {
    ObjectNode n = JSON.createObjectNode();
    n.put("decision", a.decision().wire());
    n.put("reply", a.reply());
    n.put("text", a.text());
    var flags = n.putArray("flags");
    for (InjectionFlag f : a.flags()) {
      flags.addObject().put("kind", f.kind()).put("detail", f.detail());
    }
    n.put("delete_message", a.deleteMessage());
    n.put("audit_seq", a.auditSeq());
    if (a.pairingCode() != null) {
      n.put("pairing_code", a.pairingCode());
    }
    if (a.until() != null) {
      n.put("until", a.until().toString());
    }
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }
}
