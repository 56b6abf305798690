package dev.gatehouse.identity;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One parsed request signature: its label, covered components, the exact
 * {@code @signature-params} text, the parameters, and the signature bytes.
 *
 * <p>Immutable and self-consistent: {@code paramsText} is the canonical RFC 8941 serialization
 * of the components and parameters, and the other fields are read back from it, so a value whose
 * fields disagree with its text cannot be built. {@code nonce}, {@code keyId} and {@code alg} are
 * null when the text has no such parameter; {@link MessageSignatures#parse} never returns such a
 * value (it requires all four parameters and exactly {@link MessageSignatures#REQUIRED_COMPONENTS}
 * or {@link MessageSignatures#BODILESS_COMPONENTS}). The signature bytes are copied in and out
 * and are not printed by {@link #toString()}.
 */
public record ParsedSignature(String label, List<String> components, String paramsText, long created, String nonce,
    String keyId, String alg, byte[] signature) {

  /** Length of an HMAC-SHA256 tag. */
  static final int SIGNATURE_LENGTH = 32;

  public ParsedSignature {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(components, "components");
    Objects.requireNonNull(paramsText, "paramsText");
    Objects.requireNonNull(signature, "signature");
    if (!StructuredFields.isKey(label)) {
      throw new IllegalArgumentException("label is not a structured-field key");
    }
    components = List.copyOf(components);
    SignatureParams decoded;
    try {
      decoded = SignatureParams.decode(StructuredFields.parseInnerList(paramsText));
    } catch (StructuredFields.ParseException | SignatureException e) {
      throw new IllegalArgumentException("paramsText is not acceptable signature parameters: " + e.getMessage());
    }
    if (!decoded.text().equals(paramsText)) {
      throw new IllegalArgumentException("paramsText is not in canonical form");
    }
    if (!decoded.components().equals(components) || decoded.created() == null || decoded.created() != created
        || !Objects.equals(decoded.nonce(), nonce) || !Objects.equals(decoded.keyId(), keyId)
        || !Objects.equals(decoded.alg(), alg)) {
      throw new IllegalArgumentException("fields disagree with paramsText");
    }
    if (signature.length != SIGNATURE_LENGTH) {
      throw new IllegalArgumentException("an hmac-sha256 signature is 32 bytes");
    }
    signature = signature.clone();
  }

  /** A copy of the signature bytes. */
  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParsedSignature p && label.equals(p.label) && paramsText.equals(p.paramsText)
        && Arrays.equals(signature, p.signature);
  }

  @Override
  public int hashCode() {
    return Objects.hash(label, paramsText, Arrays.hashCode(signature));
  }

  @Override
  public String toString() {
    return "ParsedSignature[label=" + label + ", params=" + paramsText + ", signature=(" + signature.length
        + " bytes, redacted)]";
  }
}
