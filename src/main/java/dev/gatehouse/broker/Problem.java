package dev.gatehouse.broker;

/**
 * An RFC 9457 problem: a refusal as the client sees it. Each {@link Kind} has a stable
 * {@code type} URI; {@code detail} says only what the client needs to fix its own request
 * and never holds a secret, a signature or an upstream credential.
 */
public record Problem(Kind kind, String detail) {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  public enum Kind {
    UNAUTHENTICATED(401, "unauthenticated", "The request is not signed by a known, current agent key"),
    SIGNATURE_MALFORMED(401, "signature-malformed", "The Signature or Signature-Input header is missing or malformed"),
    STALE(401, "stale-signature", "The signature's created time is too far from the gateway's clock"),
    REPLAYED(401, "replayed-nonce", "This nonce was already used"),
    DIGEST(400, "content-digest", "Content-Digest is missing or does not match the body"),
    BAD_REQUEST(400, "bad-request", "The request is malformed"),
    BAD_PARAMETERS(400, "bad-parameters", "The parameters do not match the action"),
    PATH_REFUSED(403, "path-refused", "The path is not one this action may reach"),
    FORBIDDEN(403, "action-forbidden", "This agent may not call this action"),
    WRONG_PRINCIPAL(403, "wrong-key-kind", "This key is not for this endpoint"),
    TRUST_NONE(403, "trust-none", "The owner allows no action in this domain"),
    TRUST_INFORM(403, "trust-inform", "The owner wants to be told what would be done; nothing ran"),
    APPROVAL_REFUSED(403, "approval-refused", "The approval does not cover this request, or is not approved"),
    APPROVAL_UNSIGNED(400, "approval-unsigned", "Gatehouse-Approval must be covered by the request's signature"),
    UNKNOWN_ACTION(404, "unknown-action", "No such action in the catalog"),
    NOT_FOUND(404, "not-found", "No such endpoint"),
    UNKNOWN_APPROVAL(404, "unknown-approval", "No such approval for this agent"),
    RATE_LIMITED(429, "rate-limited", "Too many requests; retry after the time in Retry-After"),
    EGRESS_DENIED(502, "egress-denied", "The upstream address is not allowed"),
    UPSTREAM(502, "upstream-error", "The upstream service failed or answered in a way that is refused"),
    UPSTREAM_TIMEOUT(504, "upstream-timeout", "The upstream service did not answer in time"),
    AUDIT_UNAVAILABLE(503, "audit-unavailable", "The decision could not be recorded, so nothing was done"),
    SEALED(503, "sealed", "The gateway's vault is sealed"),
    STORAGE_UNAVAILABLE(503, "storage-unavailable", "The gateway's storage cannot be read, so nothing was done"),
    OWNER_UNAUTHENTICATED(401, "owner-unauthenticated", "A current owner access token is needed (Authorization: Bearer)"),
    LOGIN_REFUSED(401, "login-refused", "The user, password or code was not accepted"),
    ROLE_INSUFFICIENT(403, "role-insufficient", "The signed-in user's role does not allow this"),
    REAUTH_REQUIRED(403, "reauth-required", "This operation needs a code proved within the last 5 minutes"),
    CODE_REFUSED(403, "code-refused", "The code was not accepted"),
    CSRF(403, "csrf-token", "The form's anti-forgery token is missing or wrong"),
    NO_SUCH_ITEM(404, "no-such-item", "No such item"),
    CONFLICT(409, "conflict", "The request cannot be done in the present state"),
    INTERNAL(500, "internal-error", "The gateway could not answer this request");

    public final int status;
    public final String slug;
    public final String title;

    Kind(int status, String slug, String title) {
      this.status = status;
      this.slug = slug;
      this.title = title;
    }

    public String type() {
      return "https://gatehouse.dev/problems/" + slug;
    }
  }

  public int status() {
    return kind.status;
  }

  /** Caller-chosen text made safe to echo in a problem or a log line: at most {@code max} characters of A-Z a-z 0-9 . _ / -, the rest '?'. */
  public static String printable(String s, int max) {
    String t = s.length() > max ? s.substring(0, max) : s;
    return UNPRINTABLE.matcher(t).replaceAll("?");
  }

  private static final java.util.regex.Pattern UNPRINTABLE = java.util.regex.Pattern.compile("[^A-Za-z0-9._/-]");

  /** The problem+json body. */
  public byte[] json(long auditSeq) {
    return node(auditSeq).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The problem document as a tree, for an answer that adds an extension member (RFC 9457 §3.2). */
  public com.fasterxml.jackson.databind.node.ObjectNode node(long auditSeq) {
    var n = JSON.createObjectNode();
    n.put("type", kind.type());
    n.put("title", kind.title);
    n.put("status", kind.status);
    if (detail != null) {
      n.put("detail", detail);
    }
    if (auditSeq >= 0) {
      n.put("audit_seq", auditSeq);
    }
    return n;
  }
}
