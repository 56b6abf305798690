package dev.gatehouse.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The audit log's own keys, kept in the vault: an Ed25519 signing key for checkpoints (with
 * its note name) and an HMAC key for redaction tags. Made on first use.
 */
public record AuditKeys(Checkpoint.Verifier verifier, PrivateKey signingKey, byte[] redactionKey) {
  public static final String SIGNING_ENTRY = "gatehouse.audit.signing-key";
  public static final String REDACTION_ENTRY = "gatehouse.audit.redaction-key";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String toString() {
    return "AuditKeys[" + verifier.name() + ", keys redacted]";
  }

  public static AuditKeys loadOrCreate(Vault vault, SecureRandom random) throws IOException {
    try {
      Optional<SecretValue> signing = vault.reveal(SIGNING_ENTRY, SecretAccess.get());
      if (signing.isEmpty()) {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("Ed25519");
        gen.initialize(255, random);
        KeyPair kp = gen.generateKeyPair();
        byte[] id = new byte[8];
        random.nextBytes(id);
        String name = "gatehouse.audit/" + HexFormat.of().formatHex(id);
        byte[] json = JSON.writeValueAsBytes(JSON.createObjectNode().put("name", name)
            .put("pkcs8", Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded()))
            .put("public", Base64.getEncoder().encodeToString(Checkpoint.rawPublicKey(kp.getPublic()))));
        vault.put(SIGNING_ENTRY, json, false);
        Arrays.fill(json, (byte) 0);
        byte[] hmac = new byte[32];
        random.nextBytes(hmac);
        vault.put(REDACTION_ENTRY, hmac, true);
        Arrays.fill(hmac, (byte) 0);
        signing = vault.reveal(SIGNING_ENTRY, SecretAccess.get());
      }
      JsonNode n;
      try (SecretValue v = signing.orElseThrow()) {
        byte[] bytes = v.bytes(SecretAccess.get());
        n = JSON.readTree(bytes);
        Arrays.fill(bytes, (byte) 0);
      }
      byte[] pkcs8 = Base64.getDecoder().decode(n.get("pkcs8").asText());
      PrivateKey priv = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      Arrays.fill(pkcs8, (byte) 0);
      Checkpoint.Verifier verifier = Checkpoint.Verifier.of(n.get("name").asText(),
          Base64.getDecoder().decode(n.get("public").asText()));
      byte[] redaction;
      try (SecretValue r = vault.reveal(REDACTION_ENTRY, SecretAccess.get()).orElseThrow()) {
        redaction = r.bytes(SecretAccess.get());
      }
      return new AuditKeys(verifier, priv, redaction);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is not available in this JDK", e);
    }
  }

  /**
   * What tells {@code redactor} the vault's user secrets, as text, from every image the vault
   * reads or writes ({@link Vault#watchValues}); Gatehouse's own entries (its keys, agents'
   * and channels' keys) never reach an event, and are not searched for.
   */
  public static Vault.ValueWatcher redaction(Redactor redactor) {
    return (name, value) -> {
      if (!name.startsWith(dev.gatehouse.vault.Vault.OWN_PREFIX)) {
        redactor.addSecret(new String(value, StandardCharsets.UTF_8));
      }
    };
  }
}
