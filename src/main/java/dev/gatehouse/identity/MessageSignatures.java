package dev.gatehouse.identity;

import dev.gatehouse.identity.SignatureException.Reason;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * RFC 9421 HTTP Message Signatures with {@code hmac-sha256}, as agents sign calls to the daemon.
 *
 * <p>The protocol is frozen (see docs/signing.md): one signature, any label, covering exactly
 * {@code "@method" "@authority" "@path" "@query" "content-digest"} (in any order, each once) with
 * the parameters {@code created}, {@code nonce}, {@code keyid} and {@code alg="hmac-sha256"} and
 * no others; the body is bound through the RFC 9530 {@code Content-Digest} header. A request
 * without a body (a {@code GET}, DESIGN §4) may instead cover exactly the four derived components,
 * {@link #BODILESS_COMPONENTS}; that it has no body is the caller's to check.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #parse} accepts only that shape and refuses everything else with a
 *       {@link SignatureException} whose {@link Reason} says why; it never reads the body.</li>
 *   <li>{@link #verify} returns normally only when the HMAC-SHA256 of the signature base under the
 *       key equals the signature (constant-time comparison); otherwise it throws.</li>
 *   <li>The signature base is US-ASCII; a request value that could not be carried unambiguously
 *       (control characters, line breaks, non-ASCII) is refused, never altered.</li>
 *   <li>Keys are used, never kept: no key byte is stored or appears in a message.</li>
 * </ul>
 *
 * <p>Not checked here, and left to the caller: that the body matches the Content-Digest header
 * ({@link ContentDigest#matches}), that {@code created} is recent, that the nonce was not seen
 * before, and which key belongs to {@code keyid}.
 */
public final class MessageSignatures {
  /** The components every Gatehouse request signature covers. */
  /** Header fields a signature may cover beyond the required ones (a header that carries meaning must be covered). */
  public static final int MAX_EXTRA_COMPONENTS = 8;

  public static final List<String> REQUIRED_COMPONENTS =
      List.of("@method", "@authority", "@path", "@query", "content-digest");

  /** What a signature of a request without a body may cover instead: the same, without {@code content-digest}. */
  public static final List<String> BODILESS_COMPONENTS = List.of("@method", "@authority", "@path", "@query");

  /** The only algorithm accepted. */
  public static final String ALG = "hmac-sha256";

  /** The label {@link #sign} uses. {@link #parse} accepts any label. */
  public static final String LABEL = "sig1";

  /** Shortest key accepted: agent keys are 32 random bytes. */
  static final int MIN_KEY_LENGTH = 32;

  private MessageSignatures() {}

  /**
   * Client side: the headers to add to a request ({@code Signature-Input}, {@code Signature},
   * {@code Content-Digest}), label {@value #LABEL}. The key is used once and not kept.
   *
   * @param uri absolute http or https URI, as it will be sent (its raw path and query are signed)
   * @throws IllegalArgumentException for a key shorter than 32 bytes, a negative {@code created},
   *     a key id or nonce that is empty or not printable ASCII, a method that is not an HTTP token,
   *     or a URI that cannot be signed
   */
  public static Map<String, String> sign(String method, URI uri, byte[] body, String keyId, byte[] key, long created,
      String nonce) {
    return sign(method, uri, body, keyId, key, created, nonce, Map.of());
  }

  /**
   * {@link #sign(String, URI, byte[], String, byte[], long, String)}, covering also the header
   * fields {@code covered} (lower-case name to value, sent as given), such as
   * {@code gatehouse-approval}.
   */
  public static Map<String, String> sign(String method, URI uri, byte[] body, String keyId, byte[] key, long created,
      String nonce, Map<String, String> covered) {
    Objects.requireNonNull(body, "body");
    if (covered.size() > MAX_EXTRA_COMPONENTS || covered.keySet().stream()
        .anyMatch(n -> n.startsWith("@") || REQUIRED_COMPONENTS.contains(n) || !SignatureParams.isComponentName(n))) {
      throw new IllegalArgumentException("covered headers must be at most " + MAX_EXTRA_COMPONENTS
          + " lower-case header names beyond the required components");
    }
    String contentDigest = ContentDigest.sha256(body);
    Map<String, String> signedHeaders = new LinkedHashMap<>(covered);
    signedHeaders.put("content-digest", contentDigest);
    List<String> components = new ArrayList<>(REQUIRED_COMPONENTS);
    components.addAll(covered.keySet());
    Map<String, String> headers = new LinkedHashMap<>(covered);
    headers.putAll(signatureHeaders(method, uri, components, signedHeaders, keyId, key, created, nonce));
    headers.put("Content-Digest", contentDigest);
    return Collections.unmodifiableMap(headers);
  }

  /**
   * {@code Signature-Input} and {@code Signature} for {@code components} of the request
   * {@code method uri} with the header fields {@code signedHeaders}: every client-side check
   * of the arguments, the parameters in Gatehouse's shape, the HMAC. The key is used once.
   */
  private static Map<String, String> signatureHeaders(String method, URI uri, List<String> components,
      Map<String, String> signedHeaders, String keyId, byte[] key, long created, String nonce) {
    requireKey(key);
    if (method == null || method.isEmpty() || !SignatureParams.isComponentName(method.toLowerCase(Locale.ROOT))
        || method.startsWith("@")) {
      throw new IllegalArgumentException("method must be an HTTP token");
    }
    if (created < 0) {
      throw new IllegalArgumentException("created must not be negative");
    }
    requirePrintable(keyId, "keyId");
    requirePrintable(nonce, "nonce");
    StringBuilder params = new StringBuilder("(");
    for (int i = 0; i < components.size(); i++) {
      params.append(i == 0 ? "" : " ").append(StructuredFields.serializeString(components.get(i)));
    }
    params.append(");created=").append(StructuredFields.serializeInteger(created))
        .append(";nonce=").append(StructuredFields.serializeString(nonce))
        .append(";keyid=").append(StructuredFields.serializeString(keyId))
        .append(";alg=").append(StructuredFields.serializeString(ALG));
    String paramsText = params.toString();
    byte[] base;
    try {
      base = signatureBase(components, paramsText, SignedRequest.of(method, uri, signedHeaders));
    } catch (SignatureException e) {
      throw new IllegalArgumentException("the request cannot be signed: " + e.getMessage());
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Signature-Input", LABEL + "=" + paramsText);
    headers.put("Signature", LABEL + "=:" + Base64.getEncoder().encodeToString(hmac(key, base)) + ":");
    return headers;
  }

  /**
   * Parses the {@code Signature-Input} and {@code Signature} header values (RFC 8941 dictionaries,
   * parsed strictly: duplicate keys and non-canonical base64 are refused). Exactly one label is
   * accepted, the same in both; its signature parameters must be exactly the Gatehouse shape
   * described on this class. Never reads the body.
   *
   * @throws SignatureException {@code MISSING} for an absent header or parameter, {@code MALFORMED}
   *     for anything that is not the structured field it must be, {@code WRONG_COMPONENTS} when the
   *     covered components are not exactly {@link #REQUIRED_COMPONENTS}, {@code UNSUPPORTED_ALG}
   *     for an {@code alg} other than {@code hmac-sha256}
   */
  public static ParsedSignature parse(String signatureInput, String signature) throws SignatureException {
    Map<String, StructuredFields.Member> inputs = dictionary(signatureInput, "Signature-Input");
    Map<String, StructuredFields.Member> signatures = dictionary(signature, "Signature");
    if (inputs.size() != 1 || signatures.size() != 1) {
      throw new SignatureException(Reason.MALFORMED, "exactly one signature is accepted");
    }
    String label = inputs.keySet().iterator().next();
    if (!signatures.containsKey(label)) {
      throw new SignatureException(Reason.MALFORMED, "Signature and Signature-Input name different labels");
    }
    if (!(inputs.get(label) instanceof StructuredFields.InnerList list)) {
      throw new SignatureException(Reason.MALFORMED, "Signature-Input member is not an inner list");
    }
    if (!(signatures.get(label) instanceof StructuredFields.Item item)
        || !(item.value() instanceof StructuredFields.Bytes bytes) || !item.params().isEmpty()) {
      throw new SignatureException(Reason.MALFORMED, "Signature member is not a byte sequence");
    }
    SignatureParams params = SignatureParams.decode(list);
    if (params.alg() != null && !params.alg().equals(ALG)) {
      throw new SignatureException(Reason.UNSUPPORTED_ALG, "only alg=\"hmac-sha256\" is accepted");
    }
    java.util.Set<String> core = new HashSet<>();
    params.components().stream().filter(c -> c.startsWith("@") || c.equals("content-digest")).forEach(core::add);
    long extra = params.components().size() - core.size();
    if ((!core.equals(new HashSet<>(REQUIRED_COMPONENTS)) && !core.equals(new HashSet<>(BODILESS_COMPONENTS)))
        || extra > MAX_EXTRA_COMPONENTS
        || new HashSet<>(params.components()).size() != params.components().size()) {
      throw new SignatureException(Reason.WRONG_COMPONENTS,
          "the signature must cover \"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" (a GET"
              + " without a body: the first four), each once, and may cover up to " + MAX_EXTRA_COMPONENTS
              + " more header fields (such as gatehouse-approval)");
    }
    List<String> missing = new ArrayList<>();
    if (params.created() == null) {
      missing.add("created");
    }
    if (params.nonce() == null) {
      missing.add("nonce");
    }
    if (params.keyId() == null) {
      missing.add("keyid");
    }
    if (params.alg() == null) {
      missing.add("alg");
    }
    if (!missing.isEmpty()) {
      throw new SignatureException(Reason.MISSING, "missing signature parameters: " + String.join(", ", missing));
    }
    byte[] sig = bytes.value();
    if (sig.length != ParsedSignature.SIGNATURE_LENGTH) {
      throw new SignatureException(Reason.MALFORMED, "an hmac-sha256 signature is 32 bytes");
    }
    return new ParsedSignature(label, params.components(), params.text(), params.created(), params.nonce(),
        params.keyId(), params.alg(), sig);
  }

  /**
   * Client side, for a request without a body (a {@code GET}): {@code Signature-Input} and
   * {@code Signature} covering {@link #BODILESS_COMPONENTS}, label {@value #LABEL}; no
   * {@code Content-Digest}. Same arguments and refusals as {@link #sign}.
   */
  public static Map<String, String> signWithoutBody(String method, URI uri, String keyId, byte[] key, long created,
      String nonce) {
    return Collections.unmodifiableMap(signatureHeaders(method, uri, BODILESS_COMPONENTS, Map.of(), keyId, key,
        created, nonce));
  }

  /**
   * The signature base (RFC 9421 §2.5) of {@code request} for the components {@code sig} covers,
   * ending with its {@code "@signature-params"} line.
   */
  public static byte[] signatureBase(ParsedSignature sig, SignedRequest request) throws SignatureException {
    return signatureBase(sig.components(), sig.paramsText(), request);
  }

  /**
   * Checks {@code sig} against {@code request}: the HMAC-SHA256 under {@code key} of the signature
   * base must equal the signature, compared in constant time. Returns normally only then.
   * Does not check the body against Content-Digest, nor freshness or replay (see the class).
   *
   * @throws SignatureException {@code BAD_SIGNATURE} on mismatch; {@code UNSUPPORTED_ALG} if
   *     {@code sig} names another algorithm; any reason {@link #signatureBase} gives
   * @throws IllegalArgumentException for a key shorter than 32 bytes (a configuration error)
   */
  public static void verify(ParsedSignature sig, SignedRequest request, byte[] key) throws SignatureException {
    requireKey(key);
    if (sig.alg() != null && !sig.alg().equals(ALG)) {
      throw new SignatureException(Reason.UNSUPPORTED_ALG, "only alg=\"hmac-sha256\" is accepted");
    }
    byte[] expected = hmac(key, signatureBase(sig, request));
    if (!MessageDigest.isEqual(expected, sig.signature())) {
      throw new SignatureException(Reason.BAD_SIGNATURE, "the signature does not match the request");
    }
  }

  /**
   * The signature base (RFC 9421 §2.5) for any list of components: the derived components
   * {@code @method}, {@code @authority}, {@code @path}, {@code @query}, {@code @request-target},
   * and lower-case header field names, one line each as {@code "name": value}, then
   * {@code "@signature-params": paramsText}; lines joined with "\n", no trailing newline. Used for
   * the RFC's own vectors; Gatehouse requests go through {@link #signatureBase(ParsedSignature,
   * SignedRequest)}.
   *
   * @throws SignatureException {@code WRONG_COMPONENTS} for a duplicate, unknown derived, or
   *     malformed component name; {@code MISSING} for a covered header the request does not have;
   *     {@code MALFORMED} for a value that cannot be carried in a base
   */
  public static byte[] signatureBase(List<String> components, String paramsText, SignedRequest request)
      throws SignatureException {
    Objects.requireNonNull(components, "components");
    Objects.requireNonNull(paramsText, "paramsText");
    Objects.requireNonNull(request, "request");
    if (!StructuredFields.isSfStringContent(paramsText)) {
      throw new SignatureException(Reason.MALFORMED, "signature parameters are not printable ASCII");
    }
    Set<String> seen = new HashSet<>();
    StringBuilder base = new StringBuilder();
    for (String name : components) {
      if (!SignatureParams.isComponentName(name) || name.equals("@signature-params")) {
        throw new SignatureException(Reason.WRONG_COMPONENTS, "a component name is not acceptable");
      }
      if (!seen.add(name)) {
        throw new SignatureException(Reason.WRONG_COMPONENTS, "a component is covered twice");
      }
      base.append('"').append(name).append("\": ").append(componentValue(name, request)).append('\n');
    }
    base.append("\"@signature-params\": ").append(paramsText);
    return base.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String componentValue(String name, SignedRequest request) throws SignatureException {
    return switch (name) {
      case "@method" -> derived(name, request.method());
      case "@authority" -> derived(name, request.authority());
      case "@path" -> derived(name, request.path().isEmpty() ? "/" : request.path());
      case "@query" -> derived(name, request.query() == null ? "?" : "?" + request.query());
      case "@request-target" -> derived(name, (request.path().isEmpty() ? "/" : request.path())
          + (request.query() == null ? "" : "?" + request.query()));
      default -> {
        if (name.startsWith("@")) {
          throw new SignatureException(Reason.WRONG_COMPONENTS, "derived component " + name + " is not supported");
        }
        String value = request.headers().get(name);
        if (value == null) {
          throw new SignatureException(Reason.MISSING, "covered header '" + name + "' is absent");
        }
        for (int i = 0; i < value.length(); i++) {
          char c = value.charAt(i);
          if ((c < 0x20 && c != '\t') || c > 0x7e) {
            throw new SignatureException(Reason.MALFORMED, "header '" + name + "' holds characters a signature base cannot carry");
          }
        }
        yield value;
      }
    };
  }

  /** Derived values as sent on the request line / Host header: visible ASCII, no spaces. */
  private static String derived(String name, String value) throws SignatureException {
    if (value.isEmpty() && !name.equals("@query")) {
      throw new SignatureException(Reason.MALFORMED, name + " is empty");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= 0x20 || c > 0x7e) {
        throw new SignatureException(Reason.MALFORMED, name + " holds characters a signature base cannot carry");
      }
    }
    return value;
  }

  private static Map<String, StructuredFields.Member> dictionary(String value, String header)
      throws SignatureException {
    if (value == null || value.isBlank()) {
      throw new SignatureException(Reason.MISSING, header + " header is missing");
    }
    try {
      return StructuredFields.parseDictionary(value.strip());
    } catch (StructuredFields.ParseException e) {
      throw new SignatureException(Reason.MALFORMED, header + " is not a structured dictionary: " + e.getMessage());
    }
  }

  private static void requireKey(byte[] key) {
    if (key == null || key.length < MIN_KEY_LENGTH) {
      throw new IllegalArgumentException("an hmac-sha256 key is at least 32 bytes");
    }
  }

  private static void requirePrintable(String value, String what) {
    if (value == null || value.isEmpty() || !StructuredFields.isSfStringContent(value)) {
      throw new IllegalArgumentException(what + " must be non-empty printable ASCII");
    }
  }

  private static byte[] hmac(byte[] key, byte[] base) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(base);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }
}
