package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.identity.SignatureException.Reason;
import dev.gatehouse.testing.DebianPackages;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interoperability with an independent implementation: the npm package http-message-signatures
 * 1.0.6 (hmac-sha256 signer and verifier), driven through src/test/js/sig-interop.mjs in a real
 * {@code node} process. The package is installed once into target/npm. Node and npm come from
 * Debian when missing ({@link DebianPackages}: skipped loudly where they cannot be installed,
 * failed under CI=true); a failed npm install always fails the test.
 */
class MessageSignaturesInteropTest {
  private static final Path PREFIX = dev.gatehouse.testing.HttpSigLibrary.PREFIX;
  private static final Path SCRIPT = Path.of("src", "test", "js", "sig-interop.mjs").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] KEY = Base64.getDecoder().decode("q83vEjRWeJC6ze8SNFZ4kLrN7xI0VniQus3vEjRWeJA=");
  private static final long CREATED = 1_700_000_000L;
  private static final List<String> URLS = List.of(
      "http://127.0.0.1:19999/v1/actions/github.create_issue",
      "http://127.0.0.1:19999/v1/actions/slack.post_message?dry=1&channel=%23ops",
      "https://Gatehouse.Example:443/v1/actions/mail.send?",
      "http://localhost:8080/v1/actions/a.b?x=%20y");

  @BeforeAll
  static void installLibrary() throws Exception {
    dev.gatehouse.testing.HttpSigLibrary.install();
  }

  private record Result(int exit, String stdout, String stderr) {}

  private static Result run(List<String> command, String stdin, int timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    try {
      dev.gatehouse.testing.Processes.Output r = dev.gatehouse.testing.Processes.finish(p,
          java.time.Duration.ofSeconds(timeoutSeconds), String.join(" ", command));
      return new Result(r.exit(), r.out(), r.err());
    } catch (IOException | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  private static JsonNode node(ObjectNode request) throws Exception {
    Result r = run(List.of("node", SCRIPT.toString(), PREFIX.toString()), JSON.writeValueAsString(request), 30);
    if (r.exit != 0) {
      fail("node " + SCRIPT + " failed (exit " + r.exit + "): " + r.stderr);
    }
    return JSON.readTree(r.stdout);
  }

  private static Map<String, String> librarySign(String url, byte[] body, String nonce) throws Exception {
    ObjectNode req = JSON.createObjectNode().put("mode", "sign").put("method", "POST").put("url", url)
        .put("body", Base64.getEncoder().encodeToString(body)).put("keyid", "agent-1")
        .put("key", Base64.getEncoder().encodeToString(KEY)).put("created", CREATED).put("nonce", nonce);
    JsonNode out = node(req);
    return Map.of("Signature-Input", out.path("signature-input").asText(), "Signature", out.path("signature").asText(),
        "Content-Digest", out.path("content-digest").asText());
  }

  private static JsonNode libraryVerify(String url, byte[] body, Map<String, String> headers) throws Exception {
    ObjectNode req = JSON.createObjectNode().put("mode", "verify").put("method", "POST").put("url", url)
        .put("body", Base64.getEncoder().encodeToString(body)).put("key", Base64.getEncoder().encodeToString(KEY));
    ObjectNode h = req.putObject("headers");
    headers.forEach(h::put);
    return node(req);
  }

  private static void javaVerify(String url, byte[] body, Map<String, String> headers) throws SignatureException {
    ParsedSignature sig = MessageSignatures.parse(headers.get("Signature-Input"), headers.get("Signature"));
    SignedRequest request = SignedRequest.of("POST", URI.create(url), Map.of("content-digest", headers.get("Content-Digest")));
    MessageSignatures.verify(sig, request, KEY);
    assertThat(ContentDigest.matches(headers.get("Content-Digest"), body)).as("content digest").isTrue();
  }

  private static byte[] body(int i) {
    return ("{\"n\":" + i + ",\"text\":\"h\\u00e9llo\"}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void weAccept_theLibrarysSignatures() throws Exception {
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < URLS.size(); i++) {
      Map<String, String> headers = librarySign(URLS.get(i), body(i), "nonce-" + i);
      try {
        javaVerify(URLS.get(i), body(i), headers);
      } catch (SignatureException e) {
        failures.add(URLS.get(i) + ": " + e.reason() + " " + e.getMessage());
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void theLibraryAccepts_ourSignatures() throws Exception {
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < URLS.size(); i++) {
      Map<String, String> headers = MessageSignatures.sign("POST", URI.create(URLS.get(i)), body(i), "agent-1", KEY,
          CREATED, "nonce-" + i);
      JsonNode out = libraryVerify(URLS.get(i), body(i), headers);
      if (!out.path("ok").asBoolean()) {
        failures.add(URLS.get(i) + ": " + out);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void aBodilessGet_signedByTheLibrary_isOurs_byteForByte_andVerifies() throws Exception {
    String url = "http://127.0.0.1:19999/v1/approvals/abcdefghijklmnopqrstuvwxyz?x=1";
    ObjectNode req = JSON.createObjectNode().put("mode", "sign").put("bodiless", true).put("method", "GET")
        .put("url", url).put("keyid", "agent-1").put("key", Base64.getEncoder().encodeToString(KEY))
        .put("created", CREATED).put("nonce", "nonce-get");
    JsonNode out = node(req);
    Map<String, String> theirs = Map.of("Signature-Input", out.path("signature-input").asText(),
        "Signature", out.path("signature").asText());
    assertThat(out.has("content-digest")).isFalse();

    assertThat(MessageSignatures.signWithoutBody("GET", URI.create(url), "agent-1", KEY, CREATED, "nonce-get"))
        .isEqualTo(theirs);
    ParsedSignature sig = MessageSignatures.parse(theirs.get("Signature-Input"), theirs.get("Signature"));
    MessageSignatures.verify(sig, SignedRequest.of("GET", URI.create(url), Map.of()), KEY);
  }

  @Test
  void bothSigners_produceTheSameHeaders() throws Exception {
    for (int i = 0; i < URLS.size(); i++) {
      Map<String, String> ours = MessageSignatures.sign("POST", URI.create(URLS.get(i)), body(i), "agent-1", KEY,
          CREATED, "nonce-" + i);
      assertThat(librarySign(URLS.get(i), body(i), "nonce-" + i)).as(URLS.get(i)).isEqualTo(ours);
    }
  }

  @Test
  void aTamperedPath_isRefusedByBoth() throws Exception {
    String url = URLS.get(0);
    String tampered = url.replace("create_issue", "delete_repo");
    byte[] body = body(0);

    Map<String, String> ours = MessageSignatures.sign("POST", URI.create(url), body, "agent-1", KEY, CREATED, "t-1");
    assertThat(libraryVerify(url, body, ours).path("ok").asBoolean()).isTrue();
    assertThat(libraryVerify(tampered, body, ours).path("ok").asBoolean()).isFalse();

    Map<String, String> theirs = librarySign(url, body, "t-2");
    javaVerify(url, body, theirs);
    assertThatThrownBy(() -> javaVerify(tampered, body, theirs))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
  }
}
