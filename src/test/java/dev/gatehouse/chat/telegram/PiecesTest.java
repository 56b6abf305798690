package dev.gatehouse.chat.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PiecesTest {
  @Property(tries = 500)
  void split_joinsBackWhole_withinTheLimit_neverCuttingACodePoint(@ForAll("texts") String text,
      @ForAll @IntRange(min = 2, max = 64) int limit) {
    List<String> pieces = Pieces.split(text, limit);

    assertThat(String.join("", pieces)).isEqualTo(text);
    for (String p : pieces) {
      assertThat(p.length()).isBetween(1, limit);
      assertThat(Character.isLowSurrogate(p.charAt(0))).as("starts inside a pair").isFalse();
      assertThat(Character.isHighSurrogate(p.charAt(p.length() - 1))).as("ends inside a pair").isFalse();
    }
  }

  @Property(tries = 300)
  void split_fillsEachPieceButTheLast_atLeastHalf(@ForAll("texts") String text,
      @ForAll @IntRange(min = 4, max = 64) int limit) {
    List<String> pieces = Pieces.split(text, limit);

    for (String p : pieces.subList(0, Math.max(0, pieces.size() - 1))) {
      assertThat(p.length()).isGreaterThanOrEqualTo(limit / 2 - 1);
    }
  }

  @Provide
  Arbitrary<String> texts() {
    // Letters, line breaks and emoji (surrogate pairs), in runs long enough to need cutting.
    return Arbitraries.oneOf(Arbitraries.of("a", "b", " ", "\n", "\uD83D\uDE00", "\u00e9", "\u4e2d"))
        .list().ofMaxSize(300).map(l -> String.join("", l));
  }

  @Test
  void split_prefersTheLastLineBreak_inTheSecondHalf() {
    String text = "x".repeat(3000) + "\n" + "y".repeat(3000);

    assertThat(Pieces.split(text, Pieces.LIMIT)).containsExactly("x".repeat(3000) + "\n", "y".repeat(3000));
  }

  @Test
  void split_cutsAtTheLimit_whenTheOnlyLineBreakIsEarly() {
    String text = "x\n" + "y".repeat(5000);

    assertThat(Pieces.split(text, Pieces.LIMIT)).extracting(String::length).containsExactly(4096, 5002 - 4096);
  }

  @Test
  void split_movesAPairThatWouldBeCut_toTheNextPiece() {
    String text = "a".repeat(4095) + "\uD83D\uDE00";

    assertThat(Pieces.split(text, Pieces.LIMIT)).containsExactly("a".repeat(4095), "\uD83D\uDE00");
  }

  @Test
  void split_leavesAShortTextAlone() {
    assertThat(Pieces.split("hi", Pieces.LIMIT)).containsExactly("hi");
    assertThat(Pieces.split("", Pieces.LIMIT)).isEmpty();
  }
}
