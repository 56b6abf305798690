package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.testing.FuzzInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for what the audit verifier reads from disk: entry lines, checkpoints (signed
 * notes), the verifier key file, and whole segments. Contract: a value or the documented refusal
 * ({@code null} from {@link AuditRecord#parse}, {@link IllegalArgumentException} from the
 * checkpoint and key parsers, a {@link AuditVerifier.Result} naming the problem), never another
 * exception, never a hang.
 */
class AuditFuzzTest {
  private static final Checkpoint.Verifier KEY;
  private static final Path DIR;

  static {
    try {
      PublicKey pub = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic();
      KEY = Checkpoint.Verifier.of("gatehouse-fuzz", Checkpoint.rawPublicKey(pub));
      DIR = Files.createTempDirectory("audit-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void removeDir() throws IOException {
    try (var files = Files.list(DIR)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(DIR);
  }

  /** A line is accepted only when it is exactly the canonical form of the record it yields. */
  @FuzzTest
  @Timeout(10)
  void parseLine_anyBytes_isCanonicalRecordOrNull(byte[] data) {
    AuditRecord r = AuditRecord.parse(data);
    if (r != null) {
      assertThat(r.line()).isEqualTo(data);
    }
  }

  /** Input: a signed note (checkpoint file), checked against a key that signed nothing. */
  @FuzzTest
  @Timeout(10)
  void verifyCheckpoint_anyNote_isRefusedCleanly(byte[] data) {
    String note = FuzzInput.text(data);
    try {
      Checkpoint.verify(note, KEY);
      throw new AssertionError("a fuzzed checkpoint verified under a fresh key");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      Checkpoint cp = Checkpoint.parseBody(note);
      assertThat(cp.size()).isNotNegative();
      assertThat(cp.root()).hasSize(32);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  /** Input: the verifier key file ({@code signing-key.pub}). */
  @FuzzTest
  @Timeout(10)
  void parseVerifierKey_anyText_isKeyOrIllegalArgument(byte[] data) {
    try {
      Checkpoint.Verifier v = Checkpoint.Verifier.parse(FuzzInput.text(data));
      assertThat(Checkpoint.Verifier.parse(v.text()).text()).isEqualTo(v.text());
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotNull();
    }
  }

  /** Input: one whole segment file; the verifier returns a result, naming a problem unless intact. */
  @FuzzTest
  @Timeout(10)
  void verifySegment_anyBytes_isResult(byte[] data) throws IOException {
    Files.write(DIR.resolve("segment-000000.jsonl"), data);
    AuditVerifier.Result result = AuditVerifier.verify(DIR, KEY, null);
    assertThat(result.intact() || result.problem().startsWith("seq ")).isTrue();
  }
}
