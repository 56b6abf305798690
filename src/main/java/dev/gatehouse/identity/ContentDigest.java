package dev.gatehouse.identity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;

/**
 * RFC 9530 {@code Content-Digest}: the digest of the message content as sent.
 *
 * <p>Guarantees of {@link #matches}: it returns true only when the header is a well-formed
 * structured dictionary (RFC 8941, parsed strictly: no duplicate keys, canonical base64), holds
 * at least one member this class knows ({@code sha-256}, {@code sha-512}), and every known
 * member is a Byte Sequence of the right length equal to the digest of the body. Members for
 * other algorithms are ignored, so a header holding only those is refused. Digests are compared
 * in constant time. It never throws.
 */
public final class ContentDigest {
  private static final Map<String, String> KNOWN = Map.of("sha-256", "SHA-256", "sha-512", "SHA-512");

  private ContentDigest() {}

  /** The header value {@code sha-256=:<base64 of SHA-256(body)>:}. */
  public static String sha256(byte[] body) {
    return "sha-256=:" + Base64.getEncoder().encodeToString(digest("SHA-256", body)) + ":";
  }

  /** Whether {@code headerValue} is a Content-Digest that matches {@code body}; see the class comment. */
  public static boolean matches(String headerValue, byte[] body) {
    if (headerValue == null || body == null) {
      return false;
    }
    Map<String, StructuredFields.Member> dict;
    try {
      dict = StructuredFields.parseDictionary(headerValue.strip());
    } catch (StructuredFields.ParseException e) {
      return false;
    }
    boolean sawKnown = false;
    boolean allMatch = true;
    for (Map.Entry<String, StructuredFields.Member> e : dict.entrySet()) {
      String jcaName = KNOWN.get(e.getKey());
      if (jcaName == null) {
        continue;
      }
      if (!(e.getValue() instanceof StructuredFields.Item item)
          || !(item.value() instanceof StructuredFields.Bytes bytes)) {
        return false;
      }
      sawKnown = true;
      // MessageDigest.isEqual is constant-time for equal lengths and false for different ones.
      allMatch &= MessageDigest.isEqual(digest(jcaName, body), bytes.value());
    }
    return sawKnown && allMatch;
  }

  private static byte[] digest(String jcaName, byte[] body) {
    try {
      return MessageDigest.getInstance(jcaName).digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(jcaName + " is not available in this JDK", e);
    }
  }
}
