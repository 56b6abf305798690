package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** C2SP signed-note and tlog-checkpoint vectors (VECTORS.md §8) and the parser negatives. */
class CheckpointTest {
  private static final String EXAMPLE_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

  @Test
  void verifierKey_matchesTheSignedNoteExample() {
    Checkpoint.Verifier v = Checkpoint.Verifier.parse(EXAMPLE_VKEY);
    assertThat(HexFormat.of().formatHex(v.keyId())).isEqualTo("530d903a");
    assertThat(HexFormat.of().formatHex(v.publicKey()))
        .isEqualTo("e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4");
    assertThat(v.text()).isEqualTo(EXAMPLE_VKEY);
  }

  @Test
  void theSpecsExampleSignature_verifiesOverItsText() throws Exception {
    // The example note is not a checkpoint; its signature must still check with our verifier code.
    Checkpoint.Verifier v = Checkpoint.Verifier.parse(EXAMPLE_VKEY);
    byte[] blob = Base64.getDecoder().decode(
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=");
    java.security.Signature s = java.security.Signature.getInstance("Ed25519");
    s.initVerify(v.javaKey());
    s.update("This is an example message.\n".getBytes());
    assertThat(s.verify(java.util.Arrays.copyOfRange(blob, 4, blob.length))).isTrue();
  }

  @Test
  void theSpecsExampleCheckpointBody_parses() {
    Checkpoint cp = Checkpoint.parseBody("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
    assertThat(cp.origin()).isEqualTo("example.com/behind-the-sofa");
    assertThat(cp.size()).isEqualTo(20852163);
  }

  private static KeyPair keys() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  @Test
  void signThenVerify_roundTrips_andUnknownKeysAreIgnored() throws Exception {
    KeyPair kp = keys();
    Checkpoint.Verifier v = Checkpoint.Verifier.of("gatehouse.audit/test", Checkpoint.rawPublicKey(kp.getPublic()));
    Checkpoint cp = new Checkpoint(v.name(), 8, new byte[32]);
    String note = cp.sign(v, kp.getPrivate());
    assertThat(Checkpoint.verify(note, v)).isEqualTo(cp);
    String withStranger = note + "\u2014 someone.else/key AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    assertThat(Checkpoint.verify(withStranger, v).size()).isEqualTo(8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"hyphen", "noBlankLine", "control", "spaceInName", "shortSig", "badSig", "otherKeyOnly",
      "leadingZero", "shortRoot"})
  void malformedOrForgedNotes_areRejected(String how) throws Exception {
    KeyPair kp = keys();
    Checkpoint.Verifier v = Checkpoint.Verifier.of("gatehouse.audit/test", Checkpoint.rawPublicKey(kp.getPublic()));
    String note = new Checkpoint(v.name(), 8, new byte[32]).sign(v, kp.getPrivate());
    String bad = switch (how) {
      case "hyphen" -> note.replace("\u2014 ", "- ");
      case "noBlankLine" -> note.replace("\n\n", "\n");
      case "control" -> note.replace("\n8\n", "\n8\t\n");
      case "spaceInName" -> note.replace("\u2014 gatehouse.audit/test", "\u2014 gatehouse audit/test");
      case "shortSig" -> note.substring(0, note.lastIndexOf(' ') + 1) + "AAAA\n";
      case "badSig" -> note.replace("\n8\n", "\n9\n");
      case "otherKeyOnly" -> note.replace("\u2014 gatehouse.audit/test", "\u2014 other.key/x");
      case "leadingZero" -> signedBody(v, kp, v.name() + "\n08\n" + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
      case "shortRoot" -> signedBody(v, kp, v.name() + "\n8\n" + Base64.getEncoder().encodeToString(new byte[31]) + "\n");
      default -> throw new IllegalStateException();
    };
    assertThatThrownBy(() -> Checkpoint.verify(bad, v)).isInstanceOf(IllegalArgumentException.class);
  }

  private static String signedBody(Checkpoint.Verifier v, KeyPair kp, String text) throws Exception {
    java.security.Signature s = java.security.Signature.getInstance("Ed25519");
    s.initSign(kp.getPrivate());
    s.update(text.getBytes());
    byte[] sig = s.sign();
    byte[] blob = new byte[4 + sig.length];
    System.arraycopy(v.keyId(), 0, blob, 0, 4);
    System.arraycopy(sig, 0, blob, 4, sig.length);
    return text + "\n\u2014 " + v.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n";
  }
}
