package dev.gatehouse.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Bigrams only skips searches that would have found nothing, so no rule's answer changes. */
class BigramsTest {

  @Property(tries = 2000)
  void mayContain_saysNo_onlyWhenTheLiteralIsAbsent(@ForAll("texts") String text, @ForAll("texts") String literal) {
    if (text.contains(literal)) {
      assertThat(new Bigrams(text).mayContain(literal)).as("%s in %s", literal, text).isTrue();
    }
  }

  @Property(tries = 300)
  void ruleMayMatch_withPairs_isTheSameAsWithout(@ForAll("phrasey") String raw) {
    String text = InjectionScanner.fold(raw);
    Bigrams pairs = new Bigrams(text);
    List<InjectionRules.Rule> rules = Stream.of(InjectionRules.OVERRIDE, InjectionRules.ROLE, InjectionRules.TEMPLATE,
        InjectionRules.DELIMITER, InjectionRules.SECRET).flatMap(List::stream).toList();
    for (InjectionRules.Rule r : rules) {
      assertThat(r.mayMatch(text, pairs)).as("%s %s on %s", r.kind(), r.name(), text).isEqualTo(r.mayMatch(text));
    }
    assertThat(InjectionRules.mayMatch(InjectionRules.PERSONA_ANCHORS, text, pairs))
        .isEqualTo(InjectionRules.mayMatch(InjectionRules.PERSONA_ANCHORS, text));
    assertThat(InjectionRules.mayMatch(InjectionRules.MODE_ANCHORS, text, pairs))
        .isEqualTo(InjectionRules.mayMatch(InjectionRules.MODE_ANCHORS, text));
  }

  @Test
  void mayContain_absentPair_isNo_presentLiteral_isYes() {
    Bigrams pairs = new Bigrams("{\"status\":\"ok\",\"configured\":true}");
    assertThat(pairs.mayContain("ignore")).isFalse();
    assertThat(pairs.mayContain("configured")).isTrue();
    assertThat(pairs.mayContain("x")).isTrue(); // too short to rule out: the caller searches
  }

  @Provide
  Arbitrary<String> texts() {
    return Arbitraries.strings().withChars("abcio \u0430\u4f60").ofMaxLength(30);
  }

  @Provide
  Arbitrary<String> phrasey() {
    Arbitrary<String> pieces = Arbitraries.of("ignore ", "previous ", "instructions", "<|", "|>", "[INST]", "</user>",
        "system prompt ", "you are ", "DAN ", "developer mode", "api key", "disregard", "無視", "忽略", "игнорируй",
        "olvida ", "Human:", "Assistant:", "a", " ", "\n", "{\"status\":\"ok\"}")
        .list().ofMaxSize(30).map(l -> String.join("", l));
    return Arbitraries.oneOf(pieces, Arbitraries.strings().all().ofMaxLength(200));
  }
}
