package dev.gatehouse.identity;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the daemon needs from an incoming request to rebuild the signature base (RFC 9421 §2.5).
 *
 * <p>Immutable. {@code method}, {@code path} and {@code query} are kept exactly as sent;
 * {@code authority} is lower-cased (RFC 9421 §2.2.3), and the caller removes a default port
 * ({@link #of(String, URI, Map)} does). {@code query} is the raw query without its '?', or null
 * when the request has none. Header names are lower-cased; each value is one field value, several
 * field lines already combined as RFC 9421 §2.1 says ({@link #fromFieldLines} does that).
 *
 * <p>Construction does not judge the values: a value that cannot appear in a signature base (a
 * control character, a non-ASCII character) is refused later by
 * {@link MessageSignatures#signatureBase} with {@link SignatureException.Reason#MALFORMED}, so
 * untrusted input never turns into an unchecked exception here.
 */
public record SignedRequest(String method, String authority, String path, String query, Map<String, String> headers) {

  public SignedRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(headers, "headers");
    authority = authority.toLowerCase(Locale.ROOT);
    Map<String, String> lower = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String name = Objects.requireNonNull(e.getKey(), "header name").toLowerCase(Locale.ROOT);
      String value = Objects.requireNonNull(e.getValue(), "header value").strip();
      if (lower.put(name, value) != null) {
        throw new IllegalArgumentException("header '" + name + "' given twice (combine its lines first)");
      }
    }
    headers = Collections.unmodifiableMap(lower);
  }

  /**
   * A request whose headers arrive as field lines: each line's value is trimmed and the lines of
   * one field are joined with ", " (RFC 9421 §2.1).
   */
  public static SignedRequest fromFieldLines(String method, String authority, String path, String query,
      Map<String, List<String>> fieldLines) {
    Map<String, List<String>> grouped = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : fieldLines.entrySet()) {
      grouped.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(e.getValue());
    }
    Map<String, String> joined = new LinkedHashMap<>();
    grouped.forEach((name, lines) -> joined.put(name, String.join(", ", lines.stream().map(String::strip).toList())));
    return new SignedRequest(method, authority, path, query, joined);
  }

  /**
   * The request a client sends to {@code uri}: authority is the lower-cased host with the port
   * unless it is the scheme's default (80 for http, 443 for https); path and query are the raw
   * (still percent-encoded) parts of the URI.
   *
   * @throws IllegalArgumentException if the URI is not an absolute http or https URI with a host
   */
  public static SignedRequest of(String method, URI uri, Map<String, String> headers) {
    return new SignedRequest(method, authorityOf(uri), uri.getRawPath() == null ? "" : uri.getRawPath(),
        uri.getRawQuery(), headers);
  }

  static String authorityOf(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("only http and https URIs can be signed");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("the URI needs a host and no user info");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
    return defaultPort ? host : host + ":" + port;
  }
}
