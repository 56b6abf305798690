package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Vectors;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** RFC 9106 Argon2id and McGrew-Viega AES-256-GCM, through the exact APIs the vault uses. */
class VaultVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void argon2id_matchesRfc9106AndTheReferenceImplementation() {
    List<String> failures = new ArrayList<>();
    List<String[]> rows = Vectors.csv("argon2id.csv");
    for (String[] r : rows) {
      byte[] tag = Argon2id.derive(HEX.parseHex(r[3]), HEX.parseHex(r[4]), HEX.parseHex(r[5]), HEX.parseHex(r[6]),
          new KdfParams(Integer.parseInt(r[1]), Integer.parseInt(r[0]), Integer.parseInt(r[2])), 32);
      if (!HEX.formatHex(tag).equals(r[7])) {
        failures.add("t=" + r[0] + " m=" + r[1] + " p=" + r[2] + " salt=" + r[4] + ": got " + HEX.formatHex(tag));
      }
    }
    assertThat(rows).hasSize(7);
    assertThat(failures).isEmpty();
  }

  @Test
  void aes256Gcm_matchesTestCases13To18() throws Exception {
    List<String> failures = new ArrayList<>();
    List<String[]> rows = Vectors.csv("aes-256-gcm.csv");
    for (String[] r : rows) {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HEX.parseHex(r[1]), "AES"),
          new GCMParameterSpec(128, HEX.parseHex(r[2])));
      c.updateAAD(HEX.parseHex(r[4]));
      String got = HEX.formatHex(c.doFinal(HEX.parseHex(r[3])));
      if (!got.equals(r[5] + r[6])) {
        failures.add("TC" + r[0] + ": got " + got);
      }
    }
    assertThat(rows).hasSize(6);
    assertThat(failures).isEmpty();
  }

  @Test
  void aesGcm_decryptsTheVectors_andRejectsEveryFlippedByte() {
    for (String[] r : Vectors.csv("aes-256-gcm.csv")) {
      byte[] iv = HEX.parseHex(r[2]);
      if (iv.length != AesGcm.NONCE_BYTES) {
        continue; // the vault's layout carries 96-bit nonces only
      }
      byte[] key = HEX.parseHex(r[1]);
      byte[] aad = HEX.parseHex(r[4]);
      byte[] sealed = HEX.parseHex(r[2] + r[5] + r[6]);
      assertThat(open(key, sealed, aad)).as("TC" + r[0]).isEqualTo(HEX.parseHex(r[3]));
      for (int i = 0; i < sealed.length; i++) {
        byte[] bad = sealed.clone();
        bad[i] ^= 0x01;
        assertThatThrownBy(() -> AesGcm.decrypt(key, bad, aad)).as("TC%s byte %d", r[0], i)
            .isInstanceOf(AEADBadTagException.class);
      }
      byte[] otherAad = (r[4] + "00").getBytes();
      assertThatThrownBy(() -> AesGcm.decrypt(key, sealed, otherAad)).isInstanceOf(AEADBadTagException.class);
    }
  }

  private static byte[] open(byte[] key, byte[] sealed, byte[] aad) {
    try {
      return AesGcm.decrypt(key, sealed, aad);
    } catch (AEADBadTagException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aesGcm_picksAFreshNonceEveryTime() {
    byte[] key = new byte[32];
    java.security.SecureRandom random = new java.security.SecureRandom();
    byte[] a = AesGcm.encrypt(key, "same".getBytes(), new byte[0], random);
    byte[] b = AesGcm.encrypt(key, "same".getBytes(), new byte[0], random);
    assertThat(a).isNotEqualTo(b);
  }
}
