package dev.gatehouse.audit;

/** A Merkle proof that does not prove what it claims; {@link #reason()} says how. */
public final class ProofException extends Exception {
  public enum Reason { BAD_INDEX, WRONG_PROOF_SIZE, BAD_HASH_LENGTH, ROOT_MISMATCH }

  private final Reason reason;

  public ProofException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
