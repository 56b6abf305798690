package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.identity.MessageSignatures;
import java.io.IOException;
import dev.gatehouse.http.ServerTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * The agent's side of a broker call, as {@code gatehouse call}, {@code gatehouse mcp} and
 * {@code gatehouse demo} make it: the key file, one request signed with it (RFC 9421, a fresh
 * nonce each time), and the connection to the daemon (TLS 1.3 only over https).
 */
final class AgentClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String DEFAULT_URL = "http://127.0.0.1:19999";

  private AgentClient() {}

  /**
   * One signed request, ready to send (and, being immutable, to send again: the daemon then
   * refuses it as a replay).
   */
  record SignedCall(String method, URI uri, byte[] body, Map<String, String> headers) {
    SignedCall {
      body = body.clone();
      headers = Map.copyOf(headers);
    }

    SignedCall(URI uri, byte[] body, Map<String, String> headers) {
      this("POST", uri, body, headers);
    }

    @Override
    public byte[] body() {
      return body.clone();
    }

    HttpRequest.Builder request() {
      HttpRequest.Builder r = HttpRequest.newBuilder(uri);
      if (method.equals("GET")) {
        r.GET();
      } else {
        r.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
      }
      headers.forEach(r::header);
      return r;
    }
  }

  /** A signed {@code GET} of {@code uri} without a body (docs/signing.md, a signed GET). */
  static SignedCall signGet(JsonNode keyFile, URI uri, Clock clock, SecureRandom random) {
    byte[] secret = Base64.getDecoder().decode(keyFile.path("key").asText());
    byte[] nonceBytes = new byte[16];
    random.nextBytes(nonceBytes);
    try {
      return new SignedCall("GET", uri, new byte[0], MessageSignatures.signWithoutBody("GET", uri,
          keyFile.path("keyid").asText(), secret, clock.instant().getEpochSecond(),
          Base64.getUrlEncoder().withoutPadding().encodeToString(nonceBytes)));
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /** The daemon's base URL: {@code $GATEHOUSE_URL}, else the key file's {@code url}, else the default. */
  static String baseUrl(JsonNode keyFile, Map<String, String> env) {
    return env.getOrDefault("GATEHOUSE_URL", keyFile.path("url").asText(DEFAULT_URL)).replaceAll("/+$", "");
  }

  /** {@code base} + {@code path} as a URI, refused as bad input when it is not one. */
  static URI uri(String base, String path) {
    try {
      return URI.create(base + path);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("the daemon URL '" + base + "' is not a URL");
    }
  }

  /**
   * A client for the daemon at {@code uri}: over https, TLS 1.3 only, trusting only the PEM
   * certificates of {@code trusted} when given ({@code source} names where that came from).
   */
  static HttpClient client(URI uri, Path trusted, String source) {
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if ("https".equalsIgnoreCase(uri.getScheme())) {
      if (trusted != null) {
        client.sslContext(ServerTls.trusting(trusted, source));
      }
      javax.net.ssl.SSLParameters tls13 = new javax.net.ssl.SSLParameters();
      tls13.setProtocols(ServerTls.PROTOCOLS.toArray(new String[0]));
      client.sslParameters(tls13);
    }
    return client.build();
  }

  /**
   * Sends {@code call}; an unreachable daemon or a failed TLS handshake is a
   * {@link NotConfiguredException} that says what to do.
   */
  static HttpResponse<byte[]> send(HttpClient client, SignedCall call, Duration timeout, String base)
      throws IOException, InterruptedException {
    try {
      return client.send(call.request().timeout(timeout).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.ConnectException e) {
      throw new NotConfiguredException("the Gatehouse daemon is not reachable at " + base + " (is `gatehouse serve` running?)");
    } catch (javax.net.ssl.SSLException e) {
      throw new NotConfiguredException("no TLS 1.3 connection with the daemon at " + base + " (" + tlsReason(e)
          + "): if its certificate is self-signed, trust it with --cacert FILE or GATEHOUSE_CACERT, and check that it"
          + " names the address in the URL");
    }
  }

  /** Why a handshake failed, in words (the JDK's messages name its internal classes). */
  private static String tlsReason(javax.net.ssl.SSLException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof java.security.cert.CertificateExpiredException) {
        return "its certificate has expired";
      }
      if (c instanceof java.security.cert.CertPathBuilderException
          || String.valueOf(c.getMessage()).contains("PKIX path")) {
        return "its certificate is not signed by anyone trusted here";
      }
      if (String.valueOf(c.getMessage()).contains("subject alternative name")) {
        return "its certificate does not name the host in the URL";
      }
      if (String.valueOf(c.getMessage()).contains("protocol_version")) {
        return "it does not speak TLS 1.3";
      }
    }
    return "the TLS handshake failed";
  }

  /** The key file: {@code file} if given, else $GATEHOUSE_AGENT_KEY_FILE, else ~/.config/gatehouse/agent.key. */
  static Path keyFile(Path file, CliEnvironment env) {
    return file != null ? file
        : env.env().containsKey("GATEHOUSE_AGENT_KEY_FILE") ? Path.of(env.env().get("GATEHOUSE_AGENT_KEY_FILE"))
        : Path.of(env.userHome(), ".config", "gatehouse", "agent.key");
  }

  /** Signs {@code body} for {@code uri} with the key in {@code keyFile} (as read by {@link #readKeyFile}). */
  static SignedCall sign(JsonNode keyFile, URI uri, byte[] body, Clock clock, SecureRandom random,
      Map<String, String> extraComponents) {
    byte[] secret = Base64.getDecoder().decode(keyFile.path("key").asText());
    byte[] nonceBytes = new byte[16];
    random.nextBytes(nonceBytes);
    try {
      return new SignedCall(uri, body, MessageSignatures.sign("POST", uri, body, keyFile.path("keyid").asText(), secret,
          clock.instant().getEpochSecond(), Base64.getUrlEncoder().withoutPadding().encodeToString(nonceBytes),
          extraComponents));
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /** The agent key file {@code {"keyid", "key", "url"}}, refused when others may read it. */
  static JsonNode readKeyFile(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NotConfiguredException("no agent key file at " + file + " (use --key-file, GATEHOUSE_AGENT_KEY_FILE, or"
          + " ~/.config/gatehouse/agent.key)");
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
    if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
      throw new BadInputException("the agent key file " + file + " is readable by others; run: chmod 600 " + file);
    }
    JsonNode n;
    try {
      n = JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new BadInputException("the agent key file " + file + " is not JSON");
    }
    if (n == null || !n.path("keyid").isTextual() || !n.path("key").isTextual()) {
      throw new BadInputException("the agent key file " + file + " must hold {\"keyid\", \"key\", \"url\"}");
    }
    return n;
  }
}
