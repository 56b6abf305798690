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

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"9223372036854775808", "99999999999999999999", "-1", "01"})
  void aTreeSizeOutsideTheRange_isRefusedWithTheRule(String size) {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Checkpoint.parseBody(
            "example.com/x\n" + size + "\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 9223372036854775807");
  }

  /** RFC 8032 §7.1, TESTS 1-3: secret key, message, signature. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60, '',"
          + " e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
      "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb, 72,"
          + " 92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
      "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7, af82,"
          + " 6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"})
  void ed25519_signsTheRfc8032Vectors_likeTheJdk(String secretHex, String messageHex, String signatureHex) throws Exception {
    HexFormat hex = HexFormat.of();
    java.security.PrivateKey key = java.security.KeyFactory.getInstance("Ed25519").generatePrivate(
        new java.security.spec.EdECPrivateKeySpec(java.security.spec.NamedParameterSpec.ED25519, hex.parseHex(secretHex)));
    byte[] message = hex.parseHex(messageHex == null ? "" : messageHex);
    assertThat(hex.formatHex(Checkpoint.ed25519(key, message))).isEqualTo(signatureHex);
    java.security.Signature jdk = java.security.Signature.getInstance("Ed25519");
    jdk.initSign(key);
    jdk.update(message);
    assertThat(hex.formatHex(jdk.sign())).isEqualTo(signatureHex);
  }

  @Test
  void ed25519_refusesAKeyOfAnotherKind() throws Exception {
    java.security.PrivateKey ec = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate();
    assertThatThrownBy(() -> Checkpoint.ed25519(ec, new byte[1])).isInstanceOf(IllegalArgumentException.class);
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
      "leadingZero", "shortRoot", "noSignatureLines"})
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
      // Found by AuditFuzzTest: the last blank line ends the note, and it escaped as an index error.
      case "noSignatureLines" -> note.substring(0, note.indexOf("\n\n") + 2);
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

  @Test
  void splitNotes_ofAppendedNotes_givesEachBack_andEachVerifies() throws Exception {
    KeyPair kp = keys();
    Checkpoint.Verifier v = Checkpoint.Verifier.of("gatehouse.audit/test", Checkpoint.rawPublicKey(kp.getPublic()));
    java.util.List<String> notes = new java.util.ArrayList<>();
    for (int size = 0; size < 5; size++) {
      byte[] root = new byte[32];
      root[0] = (byte) size;
      notes.add(new Checkpoint(v.name(), size, root, size % 2 == 0 ? java.util.List.of() : java.util.List.of("ext " + size))
          .sign(v, kp.getPrivate()));
    }
    java.util.List<String> split = Checkpoint.splitNotes(String.join("", notes));
    assertThat(split).containsExactlyElementsOf(notes);
    for (int i = 0; i < split.size(); i++) {
      assertThat(Checkpoint.verify(split.get(i), v).size()).isEqualTo(i);
    }
    assertThat(Checkpoint.splitNotes(notes.get(0))).containsExactly(notes.get(0));
    assertThat(Checkpoint.splitNotes("")).isEmpty();
    // A torn last note stays a note of its own, which then fails to verify: never glued to another.
    String torn = notes.get(1).substring(0, notes.get(1).length() / 2);
    assertThat(Checkpoint.splitNotes(notes.get(0) + torn)).containsExactly(notes.get(0), torn);
  }
}
