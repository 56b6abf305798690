package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class NonceSetTest {
  private static final long KEEP = 60_000;

  /** One use: which nonce (of a small pool, so replays are common) and how far the clock moved. */
  record Use(int nonce, int key, long advanceMillis) {}

  @Provide
  Arbitrary<List<Use>> uses() {
    // ~200 nonces, a quarter second apart on average: each comes back about every 50 s, so
    // uses land on both sides of the 60 s keep time and across generation changes.
    Arbitrary<Use> use = Combinators.combine(Arbitraries.integers().between(0, 99),
        Arbitraries.integers().between(0, 1),
        Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(50, Arbitraries.longs().between(0, 500)),
            net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 3 * KEEP)))).as(Use::new);
    return use.list().ofMinSize(1000).ofMaxSize(3000);
  }

  /** Against the plain rule: a first use is one with no first use of the same (key, nonce) within the keep time. */
  @Property(tries = 200)
  void agreesWithAMapOfLastFirstUses(@ForAll("uses") List<Use> uses) {
    NonceSet set = new NonceSet(KEEP);
    Map<String, Long> model = new HashMap<>();
    long now = 1_700_000_000_000L;
    for (Use u : uses) {
      now += u.advanceMillis();
      String key = "key-" + u.key();
      String nonce = "nonce-" + u.nonce();
      Long last = model.get(key + " " + nonce);
      boolean expected = last == null || last < now - KEEP;
      assertThat(set.firstUse(key, nonce, now)).as("%s/%s at %d (last first use %s)", key, nonce, now, last)
          .isEqualTo(expected);
      if (expected) {
        model.put(key + " " + nonce, now);
      }
    }
  }

  @Test
  void oldGenerations_areDroppedWhole_soMemoryFollowsTheRateNotTheUptime() {
    NonceSet set = new NonceSet(KEEP);
    long now = 0;
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 5000; i++) {
        assertThat(set.firstUse("k", round + "-" + i, now)).isTrue();
      }
      now += KEEP;
    }
    assertThat(set.size()).isLessThanOrEqualTo(2 * 5000);
  }

  @Test
  void remembered_usesCountAsUsed_untilTheKeepTimeHasPassed() {
    NonceSet set = new NonceSet(KEEP);
    set.remember("k", "n", 1_000);
    assertThat(set.firstUse("k", "n", 1_000 + KEEP - 1)).isFalse();
    assertThat(set.firstUse("k", "n", 1_000 + KEEP + 1)).isTrue();
    assertThat(set.firstUse("k2", "n", 1_000 + KEEP + 1)).isTrue();
  }
}
