package dev.gatehouse.identity;

import java.util.Objects;

/**
 * A request signature was refused. The {@link Reason} says why in a form the daemon can map to a
 * response; the message is safe to show the client: it never contains the key, the expected
 * signature or the signature base.
 */
public final class SignatureException extends Exception {
  /** Why a signature was refused. */
  public enum Reason {
    /** A required header or signature parameter is absent. */
    MISSING,
    /** A header is not the structured field it must be, or holds values it must not. */
    MALFORMED,
    /** The covered components are not exactly {@link MessageSignatures#REQUIRED_COMPONENTS} (or the bodiless four). */
    WRONG_COMPONENTS,
    /** The {@code alg} parameter names an algorithm other than {@code hmac-sha256}. */
    UNSUPPORTED_ALG,
    /** The signature does not match the request under the key. */
    BAD_SIGNATURE
  }

  private final Reason reason;

  public SignatureException(Reason reason, String message) {
    // No stack trace: the outcome is expected, and this keeps refusals cheap.
    super(message, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
