package dev.gatehouse.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Demotion against a small reference model, for arbitrary streams of evidence: levels only
 * ever go down, one step at a time, exactly when the model says so.
 */
class TrustDemotionPropertyTest {
  static final List<Domain> DOMAINS = List.of(Domain.WEB, Domain.SHELL, Domain.FILES);

  /** One piece of evidence, {@code afterMs} after the previous one. */
  record Step(long afterMs, Domain domain, String agent, String kind) {}

  private Path dir;
  private int tries;

  @BeforeProperty
  void makeDir() throws Exception {
    dir = Files.createTempDirectory("trust-prop");
  }

  @AfterProperty
  void removeDir() throws Exception {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 60)
  void demotion_matchesTheModel_andNeverRaisesALevel(@ForAll @IntRange(min = 1, max = 4) int after,
      @ForAll @IntRange(min = 1, max = 15) int windowMinutes, @ForAll("steps") List<Step> steps,
      @ForAll("levels") List<Level> start) throws Exception {
    Duration window = Duration.ofMinutes(windowMinutes);
    MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
    try (StateDb db = StateDb.open(dir.resolve("state-" + tries++ + ".db"))) {
      TrustStore store = new TrustStore(db, AuditLog.discarding(), Notifier.NONE, clock,
          new Config.TrustSettings(15, after, window, Set.of()));
      store.initializeNew("cli:owner");
      Map<Domain, Level> model = new EnumMap<>(Domain.class);
      Map<Domain, List<Long>> pieces = new EnumMap<>(Domain.class);
      for (int i = 0; i < DOMAINS.size(); i++) {
        store.set(DOMAINS.get(i), start.get(i), "cli:owner", "start");
        model.put(DOMAINS.get(i), start.get(i));
        pieces.put(DOMAINS.get(i), new ArrayList<>());
      }
      int changesBefore = store.history().size();
      int demotions = 0;

      for (Step s : steps) {
        clock.advance(Duration.ofMillis(s.afterMs()));
        long now = clock.millis();
        store.evidence(s.domain(), s.agent(), s.kind());

        List<Long> p = pieces.get(s.domain());
        p.add(now);
        long windowStart = now - window.toMillis();
        Level was = model.get(s.domain());
        if (was != Level.NONE && p.stream().filter(t -> t > windowStart).count() >= after) {
          model.put(s.domain(), was.lower());
          p.removeIf(t -> t > windowStart);
          demotions++;
        }
        for (Domain d : DOMAINS) {
          assertThat(store.level(d)).as("%s after %s", d, s).isEqualTo(model.get(d));
        }
      }

      List<TrustStore.Change> auto = store.history().subList(changesBefore, store.history().size());
      assertThat(auto).hasSize(demotions).allSatisfy(c -> {
        assertThat(c.who()).isEqualTo(TrustStore.SYSTEM_ACTOR);
        assertThat(c.to().number()).isEqualTo(c.from().number() - 1);
      });
    }
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Long> gaps = Arbitraries.oneOf(Arbitraries.longs().between(0, 2 * 60_000),
        Arbitraries.longs().between(0, 20 * 60_000), Arbitraries.of(0L, 60_000L, 600_000L));
    Arbitrary<Step> step = Combinators.combine(gaps, Arbitraries.of(DOMAINS), Arbitraries.of("alice", "bob"),
        Arbitraries.of("path-refused", "egress-denied", "owner-denied")).as(Step::new);
    return step.list().ofMaxSize(40);
  }

  @Provide
  Arbitrary<List<Level>> levels() {
    return Arbitraries.of(Level.class).list().ofSize(DOMAINS.size());
  }
}
