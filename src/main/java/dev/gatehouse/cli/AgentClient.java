package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.identity.MessageSignatures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
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
 * The agent's side of a broker call, as {@code gatehouse call} and {@code gatehouse demo} make it:
 * the key file, and one request signed with it (RFC 9421, a fresh nonce each time).
 */
final class AgentClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AgentClient() {}

  /**
   * One signed request, ready to send (and, being immutable, to send again: the daemon then
   * refuses it as a replay).
   */
  record SignedCall(URI uri, byte[] body, Map<String, String> headers) {
    SignedCall {
      body = body.clone();
      headers = Map.copyOf(headers);
    }

    @Override
    public byte[] body() {
      return body.clone();
    }

    HttpRequest.Builder request() {
      HttpRequest.Builder r = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      headers.forEach(r::header);
      return r;
    }
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
