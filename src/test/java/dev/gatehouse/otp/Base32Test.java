package dev.gatehouse.otp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.testing.Vectors;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class Base32Test {
  @Test
  void encodesAndDecodesTheRfc4648Vectors() {
    for (String[] row : Vectors.csv("base32.csv")) {
      byte[] ascii = row[0].getBytes(StandardCharsets.US_ASCII);
      assertThat(Base32.encode(ascii)).as(row[0]).isEqualTo(row[1]);
      assertThat(Base32.decode(row[1], "x")).as(row[1]).isEqualTo(ascii);
    }
  }

  @Property
  void roundTrip(@ForAll byte[] data) {
    assertThat(Base32.decode(Base32.encode(data), "x")).isEqualTo(data);
    assertThat(Base32.decode(Base32.encode(data).toLowerCase(), "x")).isEqualTo(data);
  }

  @Test
  void decode_acceptsPaddingAndSpaces() {
    assertThat(Base32.decode("MZXW 6YQ=", "x")).isEqualTo("foob".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void decode_refusesOtherCharacters_andNonCanonicalEndings() {
    assertThatThrownBy(() -> Base32.decode("MZXW1", "key")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("key").hasMessageNotContaining("MZXW1");
    assertThatThrownBy(() -> Base32.decode("MZXW7", "key")).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> Base32.decode("M", "key")).isInstanceOf(BadInputException.class);
  }
}
