package dev.gatehouse.testing;

import dev.gatehouse.identity.MessageSignatures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/** What an agent does in tests: sign one action call as docs/signing.md says; and the audit log's text. */
public final class AgentCalls {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final SecureRandom RANDOM = new SecureRandom();

  private AgentCalls() {}

  public static String nonce() {
    byte[] n = new byte[16];
    RANDOM.nextBytes(n);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(n);
  }

  /** POSTs {@code body} to the daemon on {@code port}, signed with {@code key} at {@code created} with a fresh nonce. */
  public static HttpResponse<String> call(int port, String action, String body, String keyId, byte[] key,
      Instant created) throws IOException, InterruptedException {
    return call(port, action, body, keyId, key, created, nonce(), body);
  }

  /** The full form: a chosen nonce, and a body sent that may differ from the one signed. */
  public static HttpResponse<String> call(int port, String action, String signedBody, String keyId, byte[] key,
      Instant created, String nonce, String sentBody) throws IOException, InterruptedException {
    return post(port, "/v1/actions/" + action, signedBody, keyId, key, created, nonce, sentBody);
  }

  /** A signed POST of {@code sentBody} to {@code path}, its signature over {@code signedBody}. */
  public static HttpResponse<String> post(int port, String path, String signedBody, String keyId, byte[] key,
      Instant created, String nonce, String sentBody) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + port + path);
    Map<String, String> signed = MessageSignatures.sign("POST", uri, signedBody.getBytes(StandardCharsets.UTF_8), keyId,
        key, created.getEpochSecond(), nonce);
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(sentBody))
        .header("Content-Type", "application/json");
    signed.forEach(req::header);
    return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Every audit segment (and other file in audit/) of {@code home}, concatenated. */
  public static String auditText(Path home) throws IOException {
    StringBuilder all = new StringBuilder();
    try (var files = Files.list(home.resolve("audit"))) {
      for (Path p : files.sorted().toList()) {
        all.append(Files.readString(p, StandardCharsets.ISO_8859_1));
      }
    }
    return all.toString();
  }
}
