package dev.gatehouse.identity;

import dev.gatehouse.identity.SignatureException.Reason;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The signature parameters of one signature (RFC 9421 §2.3) decoded from its Inner List: the
 * covered components and the parameters Gatehouse knows, with {@code text} the RFC 8941
 * serialization that goes into the {@code "@signature-params"} line. Structural checks only;
 * which components and parameters are required is decided by the caller.
 */
record SignatureParams(List<String> components, Long created, String nonce, String keyId, String alg, String text) {

  static SignatureParams decode(StructuredFields.InnerList list) throws SignatureException {
    List<String> components = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    StringBuilder text = new StringBuilder("(");
    for (StructuredFields.Item item : list.items()) {
      if (!(item.value() instanceof StructuredFields.Str name)) {
        throw new SignatureException(Reason.MALFORMED, "covered components must be strings");
      }
      if (!isComponentName(name.value())) {
        throw new SignatureException(Reason.MALFORMED, "a covered component name is not a lower-case field or derived name");
      }
      if (!item.params().isEmpty()) {
        throw new SignatureException(Reason.WRONG_COMPONENTS, "component parameters are not accepted");
      }
      if (!seen.add(name.value())) {
        throw new SignatureException(Reason.WRONG_COMPONENTS, "a component is covered twice");
      }
      if (!components.isEmpty()) {
        text.append(' ');
      }
      components.add(name.value());
      text.append(StructuredFields.serializeString(name.value()));
    }
    text.append(')');
    Long created = null;
    String nonce = null;
    String keyId = null;
    String alg = null;
    for (StructuredFields.Param p : list.params()) {
      text.append(';').append(p.key()).append('=');
      switch (p.key()) {
        case "created" -> {
          if (!(p.value() instanceof StructuredFields.Int i) || i.value() < 0) {
            throw new SignatureException(Reason.MALFORMED, "created must be a non-negative integer");
          }
          created = i.value();
          text.append(StructuredFields.serializeInteger(created));
        }
        case "nonce" -> {
          nonce = nonEmptyString(p, "nonce");
          text.append(StructuredFields.serializeString(nonce));
        }
        case "keyid" -> {
          keyId = nonEmptyString(p, "keyid");
          text.append(StructuredFields.serializeString(keyId));
        }
        case "alg" -> {
          alg = nonEmptyString(p, "alg");
          text.append(StructuredFields.serializeString(alg));
        }
        default -> throw new SignatureException(Reason.MALFORMED,
            "signature parameter '" + p.key() + "' is not accepted (only created, nonce, keyid, alg)");
      }
    }
    return new SignatureParams(List.copyOf(components), created, nonce, keyId, alg, text.toString());
  }

  private static String nonEmptyString(StructuredFields.Param p, String what) throws SignatureException {
    if (!(p.value() instanceof StructuredFields.Str s) || s.value().isEmpty()) {
      throw new SignatureException(Reason.MALFORMED, what + " must be a non-empty string");
    }
    return s.value();
  }

  /** A lower-case field name (RFC 9110 token) or a derived component name ("@" + token). */
  static boolean isComponentName(String name) {
    int start = name.startsWith("@") ? 1 : 0;
    if (name.length() <= start) {
      return false;
    }
    for (int i = start; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
