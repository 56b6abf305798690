package dev.gatehouse.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** The shape of pairing codes: drawn from the alphabet without bias, read back in any case. */
class PairingCodeTest {
  /** A random source that hands out exactly the given bytes, then zeros. */
  static SecureRandom replaying(byte[] bytes) {
    Deque<Byte> left = new ArrayDeque<>();
    for (byte b : bytes) {
      left.add(b);
    }
    return new SecureRandom() {
      @Override
      public void nextBytes(byte[] out) {
        for (int i = 0; i < out.length; i++) {
          Byte b = left.poll();
          out[i] = b == null ? 0 : b;
        }
      }
    };
  }

  @Property
  void newCode_isEightCharactersOfTheAlphabet_eachTheByteItWasDrawnFrom(@ForAll @Size(min = 8, max = 64) byte[] bytes) {
    String code = PairingStore.newCode(replaying(bytes));

    assertThat(code).hasSize(8).matches("[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}");
    for (int i = 0; i < 8; i++) {
      assertThat(code.charAt(i)).isEqualTo(PairingStore.ALPHABET.charAt((bytes[i] & 0xFF) % 32));
    }
  }

  @Example
  void everyByteValue_mapsToEverySymbolEquallyOften_noModuloBias() {
    assertThat(PairingStore.ALPHABET).hasSize(32).doesNotContain("0", "O", "1", "I");
    assertThat(PairingStore.ALPHABET.chars().distinct().count()).isEqualTo(32);
    assertThat(PairingStore.REJECT_FROM).isEqualTo(256);
    int[] counts = new int[32];
    for (int v = 0; v < 256; v += 8) {
      byte[] eight = new byte[8];
      for (int i = 0; i < 8; i++) {
        eight[i] = (byte) (v + i);
      }
      for (char c : PairingStore.newCode(replaying(eight)).toCharArray()) {
        counts[PairingStore.ALPHABET.indexOf(c)]++;
      }
    }
    assertThat(counts).containsOnly(8);
  }

  @Property
  void canonicalCode_readsACodeBackInAnyCase_withSurroundingWhitespace(@ForAll("codes") String code,
      @ForAll boolean lower, @ForAll("spaces") String before, @ForAll("spaces") String after) {
    String typed = before + (lower ? code.toLowerCase(Locale.ROOT) : code) + after;

    assertThat(PairingStore.canonicalCode(typed)).isEqualTo(code);
  }

  @Property
  void canonicalCode_refusesAnythingWithACharacterOutsideTheAlphabet(@ForAll("codes") String code,
      @ForAll("outsiders") char bad, @ForAll int position) {
    char[] c = code.toCharArray();
    c[Math.floorMod(position, 8)] = bad;

    assertThatThrownBy(() -> PairingStore.canonicalCode(new String(c))).isInstanceOf(BadInputException.class);
  }

  @Provide
  Arbitrary<String> codes() {
    return Arbitraries.of(PairingStore.ALPHABET.chars().mapToObj(c -> (char) c).toList()).list().ofSize(8)
        .map(l -> l.stream().map(String::valueOf).reduce("", String::concat));
  }

  @Provide
  Arbitrary<String> spaces() {
    return Arbitraries.of(' ', '\t', '\n', '\r', '\u2003').list().ofMaxSize(3)
        .map(l -> l.stream().map(String::valueOf).reduce("", String::concat));
  }

  @Provide
  Arbitrary<Character> outsiders() {
    return Arbitraries.chars().filter(ch -> PairingStore.ALPHABET.indexOf(Character.toUpperCase(ch)) < 0
        || ch > 'z');
  }
}
