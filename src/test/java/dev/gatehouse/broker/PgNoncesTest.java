package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.guard.Limit;
import dev.gatehouse.guard.RateLimiter;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.store.PgPool;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.store.StateDb;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestPostgres;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared replay record on a real PostgreSQL ({@link TestPostgres}): each "replica" is a
 * {@link PgNonces} with a pool of its own, as separate daemons have, on one database.
 */
class PgNoncesTest {
  private static final Duration KEEP = Broker.NONCE_KEEP;
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
  private static TestPostgres.Database db;

  private final MutableClock clock = new MutableClock(T0);
  private final List<PgPool> pools = new ArrayList<>();

  @TempDir
  Path temp;

  @BeforeAll
  static void database() throws Exception {
    db = TestPostgres.shared().newDatabase();
    PgStateDb.open(db.connector()).close(); // applies the migrations
  }

  @BeforeEach
  void empty() throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE agent_nonces");
    }
  }

  @AfterEach
  void closePools() {
    pools.forEach(PgPool::close);
  }

  /** A replica's record; pruning is left to the test ({@link #prunedBy}). */
  private PgNonces replica() {
    return replica(r -> { });
  }

  private PgNonces replica(java.util.concurrent.Executor pruner) {
    PgPool pool = new PgPool(db.connector(), 4, Duration.ofSeconds(5));
    pools.add(pool);
    return new PgNonces(pool, clock, KEEP, pruner);
  }

  private NonceStore.Use use(String keyId, String nonce) {
    Instant now = clock.instant();
    return new NonceStore.Use(keyId, nonce, now.getEpochSecond(), now, "agent:bot", "/v1/actions/x.y");
  }

  private static long rows() throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM agent_nonces")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aUseAtOneReplica_replayedAtAnother_isRefused() throws Exception {
    PgNonces a = replica();
    PgNonces b = replica();

    assertThat(a.use(use("bot.k1", "n-1"))).isPresent();
    clock.advance(Duration.ofSeconds(1));

    assertThat(b.use(use("bot.k1", "n-1"))).as("the replay at B").isEmpty();
    assertThat(a.use(use("bot.k1", "n-1"))).as("and at A").isEmpty();
    assertThat(b.use(use("bot.k1", "n-2"))).as("another nonce at B").isPresent();
  }

  @Test
  void oneNonceSentByTwelveThreadsOverThreeReplicasAtOnce_isAcceptedExactlyOnce() throws Exception {
    List<PgNonces> replicas = List.of(replica(), replica(), replica());
    int threads = 12;
    ExecutorService exec = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 40; round++) {
        String nonce = "race-" + round;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Boolean>> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          PgNonces at = replicas.get(t % replicas.size());
          all.add(exec.submit(() -> {
            start.await(30, TimeUnit.SECONDS);
            return at.use(use("bot.k1", nonce)).isPresent();
          }));
        }
        int accepted = 0;
        for (Future<Boolean> f : all) {
          accepted += f.get() ? 1 : 0;
        }
        assertThat(accepted).as("first uses of %s", nonce).isEqualTo(1);
      }
    } finally {
      exec.shutdown();
    }
  }

  @Test
  void theSameNonceText_ofTwoKeys_isAcceptedForEach() throws Exception {
    PgNonces a = replica();
    PgNonces b = replica();

    assertThat(a.use(use("alice.k1", "shared-text"))).isPresent();
    assertThat(b.use(use("bob.k1", "shared-text"))).isPresent();
    assertThat(b.use(use("alice.k1", "shared-text"))).isEmpty();
  }

  @Test
  void aRecording_isOnRecordAlready_andCarriesTheEmbeddedBackendsDetails() throws Exception {
    String nonce = "the-signers-own-text-0123";
    NonceStore.Use u = use("bot.k1", nonce);
    NonceStore.Recording r = replica().use(u).orElseThrow();
    AuditLog unusable = event -> {
      throw new IllegalStateException("a durable recording records nothing");
    };

    r.recordedIn(7);
    r.await(); // would throw if it tried to record

    Map<String, String> embedded = new AuditedNonces(unusable, KEEP).use(u).orElseThrow().details();
    assertThat(r.details()).isEqualTo(embedded).containsOnlyKeys(AuditedNonces.REPLAY, AuditedNonces.KEY_ID,
        AuditedNonces.CREATED);
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT replay, kid, created, seen_at FROM agent_nonces")) {
      assertThat(rs.next()).isTrue();
      assertThat(HexFormat.of().formatHex(rs.getBytes(1))).isEqualTo(embedded.get(AuditedNonces.REPLAY));
      assertThat(rs.getString(2)).isEqualTo("bot.k1");
      assertThat(rs.getLong(3)).isEqualTo(T0.getEpochSecond());
      assertThat(rs.getLong(4)).isEqualTo(T0.toEpochMilli());
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void theTable_neverHoldsTheNonceText() throws Exception {
    String nonce = "plainly-visible-nonce-5e1f";
    replica().use(use("bot.k1", nonce));

    // Every column of every row as text, bytea as hex: neither the nonce nor its bytes in hex.
    try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT count(*), count(*) FILTER"
        + " (WHERE t::text LIKE '%' || ? || '%' OR t::text LIKE '%' || encode(convert_to(?, 'UTF8'), 'hex') || '%')"
        + " FROM agent_nonces AS t")) {
      s.setString(1, nonce);
      s.setString(2, nonce);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1);
        assertThat(rs.getLong(2)).isZero();
      }
    }
  }

  @Test
  void prune_removesOnlyRowsPastTheKeepTimeAndMargin() throws Exception {
    PgNonces a = replica();
    PgNonces b = replica();
    a.use(use("k", "old")); // seen at T0
    clock.advance(Duration.ofSeconds(90));
    b.use(use("k", "recent")); // seen at T0 + 90 s
    Instant edge = T0.plus(KEEP).plus(AuditedNonces.MARGIN);

    clock.set(edge);
    assertThat(a.prune()).as("exactly at the edge nothing is old enough").isZero();
    assertThat(b.use(use("k", "old"))).as("so the old use is still refused").isEmpty();

    clock.set(edge.plusMillis(1));
    assertThat(b.prune()).isEqualTo(1);
    assertThat(rows()).isEqualTo(1);
    assertThat(a.use(use("k", "recent"))).as("the recent use stays refused").isEmpty();
    assertThat(a.use(use("k", "old"))).as("the pruned one may be used again").isPresent();
  }

  @Test
  void prune_deletesAtMostOneBatch() throws Exception {
    PgNonces a = replica();
    try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("INSERT INTO agent_nonces"
        + " (replay, kid, created, seen_at) SELECT substr(sha256(int4send(i)), 1, 16), 'k', 0, ? FROM"
        + " generate_series(1, ?) AS i")) {
      s.setLong(1, T0.toEpochMilli());
      s.setInt(2, PgNonces.PRUNE_BATCH + 5);
      s.executeUpdate();
    }
    clock.set(T0.plus(KEEP).plus(AuditedNonces.MARGIN).plusSeconds(1));

    assertThat(a.prune()).isEqualTo(PgNonces.PRUNE_BATCH);
    assertThat(a.prune()).isEqualTo(5);
    assertThat(rows()).isZero();
  }

  @Test
  void uses_startAPruneAtMostOncePerInterval_offTheirOwnPath() throws Exception {
    List<Runnable> handedOver = new ArrayList<>();
    PgNonces a = replica(handedOver::add);

    a.use(use("k", "1"));
    a.use(use("k", "2"));
    assertThat(handedOver).as("the first use finds a prune due and hands it over; it has not run yet").hasSize(1);
    handedOver.get(0).run();
    clock.advance(PgNonces.PRUNE_EVERY.minusMillis(1));
    a.use(use("k", "3"));
    assertThat(handedOver).hasSize(1);

    clock.advance(Duration.ofMillis(1));
    a.use(use("k", "4"));
    assertThat(handedOver).hasSize(2);
  }

  @Test
  void whenPruningRuns_theUsesOfAReplica_pruneTheOldRows() throws Exception {
    PgNonces a = replica(Runnable::run);
    a.use(use("k", "old"));
    clock.advance(KEEP.plus(AuditedNonces.MARGIN).plus(PgNonces.PRUNE_EVERY).plusSeconds(1));

    a.use(use("k", "new"));

    assertThat(rows()).isEqualTo(1);
  }

  @Test
  void whileTheDatabaseIsDown_useFailsClosed_andAfterItsRestart_serviceResumes() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    PgNonces a = replica();
    PgNonces b = replica();
    assertThat(a.use(use("k", "before"))).isPresent();

    pg.stopImmediately();
    try {
      assertThatThrownBy(() -> b.use(use("k", "during"))).isInstanceOf(NonceStore.Unrecorded.class);
      assertThatThrownBy(() -> a.use(use("k", "during"))).isInstanceOf(NonceStore.Unrecorded.class);
      assertThatThrownBy(() -> b.use(use("k", "before"))).as("not even a replay is decided")
          .isInstanceOf(NonceStore.Unrecorded.class);
    } finally {
      pg.start();
    }

    assertThat(b.use(use("k", "during"))).as("the refused use was not recorded").isPresent();
    assertThat(a.use(use("k", "before"))).as("the use before the outage is still on record").isEmpty();
    assertThat(a.use(use("k", "after"))).isPresent();
  }

  // ---- the Authenticator's replay check, over the shared record

  private Authenticator authenticator(PgNonces nonces, StateDb state) {
    // admit() uses only the replay record and the usage note: no registry or limiter is reached.
    return new Authenticator(null, null, nonces, new AgentUsage(state), new RateLimiter(clock, 100),
        new Limit(100, Duration.ofMinutes(1)), clock);
  }

  private dev.gatehouse.vault.Vault.View view; // the vault a request was authenticated with; unused by the nonces

  private Authenticator.Signed signed(String nonce) throws Exception {
    if (view == null) {
      var vault = new dev.gatehouse.vault.Vault(temp.resolve("vault.gh"), new java.security.SecureRandom(), clock);
      vault.create(new dev.gatehouse.vault.Credential.Password("pw".toCharArray()),
          new dev.gatehouse.vault.KdfParams(256, 1, 1));
      view = vault.view();
    }
    Agent bot = new Agent("bot", "bot.k1", new byte[32], List.of("*"), T0, Optional.empty());
    Map<String, String> h = MessageSignatures.signWithoutBody("GET", URI.create("http://gw/v1/actions"), "bot.k1",
        new byte[32], clock.instant().getEpochSecond(), nonce);
    return new Authenticator.Signed(new Principal(Principal.Kind.AGENT, bot),
        MessageSignatures.parse(h.get("Signature-Input"), h.get("Signature")), clock.instant(), view);
  }

  private static Broker.Call call() {
    return new Broker.Call("GET", "gw", "/v1/actions", null, Map.of(), new byte[0], "127.0.0.1");
  }

  @Test
  void admit_aRequestReplayedToAnotherReplica_isRefusedAsReplayed_andAnOutageAs503() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    try (StateDb state = StateDb.open(temp.resolve(StateDb.FILE))) {
      Authenticator a = authenticator(replica(), state);
      Authenticator b = authenticator(replica(), state);
      Authenticator.Signed request = signed("n-admit");

      a.admit(request, call(), Principal.Kind.AGENT).await();
      assertThatThrownBy(() -> b.admit(request, call(), Principal.Kind.AGENT))
          .isInstanceOfSatisfying(Refused.class, e -> assertThat(e.problem().kind()).isEqualTo(Problem.Kind.REPLAYED));

      pg.stopImmediately();
      try {
        assertThatThrownBy(() -> b.admit(signed("n-outage"), call(), Principal.Kind.AGENT))
            .isInstanceOfSatisfying(Refused.class, e -> {
              assertThat(e.problem().kind()).isEqualTo(Problem.Kind.AUDIT_UNAVAILABLE);
              assertThat(e.problem().status()).isEqualTo(503);
            });
      } finally {
        pg.start();
      }
      b.admit(signed("n-outage"), call(), Principal.Kind.AGENT).await();
    }
  }
}
