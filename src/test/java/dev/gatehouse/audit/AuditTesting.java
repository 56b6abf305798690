package dev.gatehouse.audit;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.util.List;

/** A real log in a folder, with a fresh Ed25519 key and a redactor that knows one canary. */
final class AuditTesting {
  static final String CANARY = "sk-CANARY-0f9e8d7c6b5a";
  /** Settings under which a test's appends never roll a segment or sign a checkpoint by themselves. */
  static final FileAuditLog.Settings RARELY =
      new FileAuditLog.Settings(64L << 20, java.time.Duration.ofDays(1), 1_000_000, java.time.Duration.ofDays(1));

  final KeyPair keys;
  final Checkpoint.Verifier verifier;
  final Redactor redactor = new Redactor(new byte[32], List.of(CANARY));

  AuditTesting() {
    try {
      keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    verifier = Checkpoint.Verifier.of("gatehouse.audit/test", Checkpoint.rawPublicKey(keys.getPublic()));
  }

  FileAuditLog open(Path dir, Clock clock, FileAuditLog.Settings settings) throws java.io.IOException {
    return FileAuditLog.open(dir, clock, redactor, verifier, keys.getPrivate(), settings);
  }

  static AuditEvent event(String target) {
    return new AuditEvent("test.event", "tester", target, "ok", java.util.Map.of("n", target));
  }
}
