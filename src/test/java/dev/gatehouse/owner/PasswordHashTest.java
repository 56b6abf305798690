package dev.gatehouse.owner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.vault.KdfParams;
import java.security.SecureRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  static final KdfParams FAST = new KdfParams(64, 1, 1);
  final PasswordHash hashes = new PasswordHash(FAST, new SecureRandom());

  @Property(tries = 30)
  void verify_acceptsItsPassword_andNoOther(@ForAll @StringLength(min = 1, max = 40) String password,
      @ForAll @StringLength(min = 1, max = 40) String other) {
    String stored = hashes.hash(password.toCharArray());
    assertThat(hashes.verify(password.toCharArray(), stored)).isTrue();
    assertThat(hashes.verify(other.toCharArray(), stored)).isEqualTo(other.equals(password));
  }

  @Test
  void hash_isSalted_andSelfDescribing() {
    String a = hashes.hash("same password".toCharArray());
    String b = hashes.hash("same password".toCharArray());
    assertThat(a).isNotEqualTo(b).startsWith("$argon2id$v=19$m=64,t=1,p=1$").doesNotContain("same password");
  }

  @Test
  void verify_usesTheStoredParameters_notTheCurrentOnes() {
    String old = hashes.hash("an old password".toCharArray());
    PasswordHash raised = new PasswordHash(new KdfParams(128, 2, 1), new SecureRandom());
    assertThat(raised.verify("an old password".toCharArray(), old)).isTrue();
    assertThat(raised.hash("x".toCharArray())).startsWith("$argon2id$v=19$m=128,t=2,p=1$");
  }

  @Test
  void verify_refusesDamagedOrHostileStoredForms() {
    String good = hashes.hash("pw".toCharArray());
    for (String bad : new String[] {null, "", "pw", good.replace("argon2id", "argon2i"), good.replace("m=64", "m=0"),
        good.replace("m=64", "m=9999999"), good.replace("t=1", "t=101"), good.substring(0, good.length() - 1),
        good + "A", good.replace("v=19", "v=16")}) {
      assertThat(hashes.verify("pw".toCharArray(), bad)).as(String.valueOf(bad)).isFalse();
    }
  }

  @Test
  void verify_changedHashByte_fails() {
    String good = hashes.hash("pw".toCharArray());
    char last = good.charAt(good.length() - 2);
    String flipped = good.substring(0, good.length() - 2) + (last == 'A' ? 'B' : 'A') + good.charAt(good.length() - 1);
    assertThat(hashes.verify("pw".toCharArray(), flipped)).isFalse();
  }
}
