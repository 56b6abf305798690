package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell recipe in docs/examples/sign-with-curl.sh (openssl + printf) produces headers that
 * {@link MessageSignatures#parse} and {@link MessageSignatures#verify} accept, byte-identical to
 * {@link MessageSignatures#sign} for the same created and nonce.
 */
class SignWithCurlRecipeTest {
  private static final Path SCRIPT = Path.of("docs", "examples", "sign-with-curl.sh").toAbsolutePath();
  private static final byte[] KEY = Base64.getDecoder().decode("3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=");

  @TempDir
  Path dir;

  private record Run(int exit, String stdout, String stderr) {}

  private Run script(String url, String keyId, String action, String body, String... flags)
      throws IOException, InterruptedException {
    Path keyFile = dir.resolve("key.json");
    Files.writeString(keyFile, "{\"keyid\": \"" + keyId + "\", \"key\": \"" + Base64.getEncoder().encodeToString(KEY)
        + "\", \"url\": \"" + url + "\"}\n");
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(flags));
    command.addAll(List.of(keyFile.toString(), action, body));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("GATEHOUSE_CREATED", "1700000123");
    pb.environment().put("GATEHOUSE_NONCE", "recipe-nonce-1");
    Path err = dir.resolve("stderr");
    Process p = pb.redirectError(err.toFile()).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("script finished").isTrue();
    return new Run(p.exitValue(), out, Files.readString(err));
  }

  private static Map<String, String> headers(String stdout) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line : stdout.split("\n")) {
      int colon = line.indexOf(": ");
      headers.put(line.substring(0, colon), line.substring(colon + 2));
    }
    return headers;
  }

  @Test
  void printedHeaders_areAcceptedByParseAndVerify_andEqualJavaSign() throws Exception {
    // Bodies are ASCII (non-ASCII as JSON escapes) so process arguments do not depend on the locale.
    String[][] cases = {
        {"http://127.0.0.1:19999", "github.create_issue", "{\"title\":\"it's \\\"quoted\\\"\",\"n\":1}"},
        {"http://LocalHost:80/", "slack.post_message", "{}"},
        {"https://gatehouse.example:8443", "mail.send", "{\"to\":\"a@b.c\",\"text\":\"h\\u00e9llo\"}"},
    };
    for (String[] c : cases) {
      Run run = script(c[0], "agent-1", c[1], c[2], "--print-headers");
      assertThat(run.exit).as(run.stderr).isZero();
      Map<String, String> h = headers(run.stdout);
      assertThat(h).containsOnlyKeys("Content-Type", "Content-Digest", "Signature-Input", "Signature");

      URI uri = URI.create(c[0].replaceAll("/$", "") + "/v1/actions/" + c[1]);
      byte[] body = c[2].getBytes(StandardCharsets.UTF_8);
      ParsedSignature sig = MessageSignatures.parse(h.get("Signature-Input"), h.get("Signature"));
      assertThat(sig.keyId()).isEqualTo("agent-1");
      assertThat(sig.created()).isEqualTo(1700000123L);
      assertThat(sig.nonce()).isEqualTo("recipe-nonce-1");
      MessageSignatures.verify(sig, SignedRequest.of("POST", uri, Map.of("content-digest", h.get("Content-Digest"))), KEY);
      assertThat(ContentDigest.matches(h.get("Content-Digest"), body)).isTrue();

      Map<String, String> javaSigned = MessageSignatures.sign("POST", uri, body, "agent-1", KEY, 1700000123L,
          "recipe-nonce-1");
      h.remove("Content-Type");
      assertThat(h).as(c[0]).isEqualTo(javaSigned);
    }
  }

  @Test
  void printCurl_namesTheActionUrlAndTheSignature() throws Exception {
    Run run = script("http://127.0.0.1:19999", "agent-1", "github.create_issue", "{}", "--print-curl");
    assertThat(run.exit).as(run.stderr).isZero();
    assertThat(run.stdout).startsWith("curl -sS -X POST").contains("http://127.0.0.1:19999/v1/actions/github.create_issue")
        .contains("Signature:\\ sig1=:");
  }

  @Test
  void unsafeKeyIdOrAction_isRefused() throws Exception {
    assertThat(script("http://127.0.0.1:19999", "a\\\"b", "x.y", "{}", "--print-headers").exit).isEqualTo(2);
    assertThat(script("http://127.0.0.1:19999", "agent-1", "../admin", "{}", "--print-headers").exit).isEqualTo(2);
  }
}
