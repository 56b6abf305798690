package dev.gatehouse.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Sha256;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.otp.TotpPolicy;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.ActionApprovals.Granted;
import dev.gatehouse.trust.ActionApprovals.NotGranted;
import dev.gatehouse.trust.ActionApprovals.Redeemed;
import dev.gatehouse.trust.ActionApprovals.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The queue against a model of its rules, over any sequence of opens, approvals, denials,
 * redeems and clock moves (real SQLite): every approval reads what the model says, an
 * approval is granted at most once and only for its own agent and request, and a redeem that
 * is not granted changes nothing.
 */
class ActionApprovalsModelTest {
  private static final String[] AGENTS = {"bot", "other"};
  private static final String[] REQUESTS = {"r0", "r1", "r2"};

  /** The model's view of one approval. */
  private static final class Model {
    final String id;
    final String agent;
    final String sha;
    final Instant expires;
    Status stored = Status.PENDING;

    Model(Approval a) {
      id = a.id();
      agent = a.agent();
      sha = a.requestSha256();
      expires = a.expires();
    }

    Status now(Instant t) {
      return (stored == Status.PENDING || stored == Status.APPROVED) && !t.isBefore(expires) ? Status.EXPIRED : stored;
    }
  }

  private static String sha(String request) {
    return Sha256.hex(request.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 60)
  void anySequence_followsTheRules(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 1_000_000) Integer> ops)
      throws Exception {
    Path dir = Files.createTempDirectory("approvals-model");
    MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
    List<String> evidence = new ArrayList<>();
    Trust trust = new Trust() {
      @Override
      public Level level(Domain domain) {
        return Level.SUGGEST;
      }

      @Override
      public void evidence(Domain domain, String agent, String kind) {
        evidence.add(agent);
      }
    };
    // Never asked: no domain here needs a code (approve_with_code is empty).
    TotpService noCodes = new TotpService(null, null, null, TotpPolicy.DEFAULT, clock, new SecureRandom(),
        e -> 0L);
    Config.TrustSettings settings = new Config.TrustSettings(15, 3, Duration.ofMinutes(10), java.util.Set.of());
    try (StateDb db = StateDb.open(dir.resolve(StateDb.FILE))) {
      ActionApprovalsStore store = new ActionApprovalsStore(db, e -> 0L, trust, Notifier.NONE, noCodes, clock,
          new SecureRandom(), () -> settings);
      List<Model> models = new ArrayList<>();
      Map<String, Integer> grants = new HashMap<>();
      int denials = 0;
      for (int v : ops) {
        int op = v % 5;
        String agent = AGENTS[(v / 5) % 2];
        String request = sha(REQUESTS[(v / 10) % 3]);
        Model target = models.isEmpty() ? null : models.get((v / 30) % models.size());
        Instant now = clock.instant();
        switch (op) {
          case 0 -> {
            Approval a = store.open(agent, "mail.send", Domain.EMAIL, request, "s");
            Model pending = models.stream().filter(m -> m.agent.equals(agent) && m.sha.equals(request)
                && m.now(now) == Status.PENDING).findFirst().orElse(null);
            if (pending != null) {
              assertThat(a.id()).isEqualTo(pending.id);
            } else {
              assertThat(models).noneMatch(m -> m.id.equals(a.id()));
              assertThat(a.expires()).isEqualTo(now.plus(Duration.ofMinutes(15)));
              models.add(new Model(a));
            }
          }
          case 1 -> {
            if (target == null) {
              continue;
            }
            boolean may = target.now(now) == Status.PENDING;
            try {
              store.approve(target.id, null, "owner");
              assertThat(may).as("approved %s", target.now(now)).isTrue();
              target.stored = Status.APPROVED;
            } catch (RefusedException e) {
              assertThat(may).as("refused to approve a pending one").isFalse();
            }
          }
          case 2 -> {
            if (target == null) {
              continue;
            }
            Status s = target.now(now);
            boolean may = s == Status.PENDING || s == Status.APPROVED;
            try {
              store.deny(target.id, "owner", null);
              assertThat(may).as("denied %s", s).isTrue();
              target.stored = Status.DENIED;
              denials++;
            } catch (RefusedException e) {
              assertThat(may).as("refused to deny %s", s).isFalse();
            }
          }
          case 3 -> {
            if (target == null) {
              continue;
            }
            // Half the time the approval's own agent and request, else whatever was drawn.
            boolean own = (v / 90) % 2 == 0;
            String a = own ? target.agent : agent;
            String r = own ? target.sha : request;
            Redeemed got = store.redeem(target.id, a, r);
            Status s = target.now(now);
            if (!a.equals(target.agent) || !r.equals(target.sha)) {
              assertThat(got).isEqualTo(new NotGranted("other-request"));
            } else if (s == Status.APPROVED) {
              assertThat(got).isInstanceOf(Granted.class);
              target.stored = Status.USED;
              grants.merge(target.id, 1, Integer::sum);
            } else {
              assertThat(got).isEqualTo(new NotGranted(s.wire()));
            }
          }
          default -> clock.advance(Duration.ofMinutes((v / 5) % 9));
        }
        Instant after = clock.instant();
        for (Model m : models) {
          assertThat(store.find(m.id).orElseThrow().status()).as(m.id).isEqualTo(m.now(after));
        }
      }
      assertThat(grants.values()).allMatch(n -> n == 1);
      assertThat(evidence).hasSize(denials);
      assertThat(store.list()).hasSize(Math.min(models.size(),
          (int) models.stream().filter(m -> m.now(clock.instant()) == Status.PENDING).count()
              + ActionApprovalsStore.LIST_RECENT));
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
  }
}
