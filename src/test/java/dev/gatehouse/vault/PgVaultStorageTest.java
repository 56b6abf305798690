package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.PgStateDb;
import dev.gatehouse.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared vault on a real PostgreSQL: two {@link Vault}s on one database are two replicas. */
class PgVaultStorageTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PASSWORD = "correct horse";

  private TestPostgres.Database d;
  private final List<PgVaultStorage> storages = new ArrayList<>();

  @BeforeEach
  void database() throws Exception {
    d = TestPostgres.shared().newDatabase();
  }

  @AfterEach
  void disconnect() {
    storages.forEach(PgVaultStorage::close);
  }

  /** A replica's view of the database's vault, with a connection of its own. */
  private Vault replica() {
    PgVaultStorage s = new PgVaultStorage(d.connector());
    storages.add(s);
    return new Vault(s, RANDOM, Clock.systemUTC());
  }

  private Vault unsealed() throws Exception {
    Vault v = replica();
    v.unseal(VaultTest.password(PASSWORD));
    return v;
  }

  private Vault created() throws Exception {
    Vault v = replica();
    v.create(VaultTest.password(PASSWORD), VaultTest.FAST);
    return v;
  }

  private static String value(Vault v, String name) throws Exception {
    try (SecretValue s = v.reveal(name, SecretAccess.get()).orElseThrow()) {
      return new String(s.bytes(SecretAccess.get()), StandardCharsets.UTF_8);
    }
  }

  private void sql(String statement) throws Exception {
    try (Connection c = d.connect(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private long rows() throws Exception {
    try (Connection c = d.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM vault_images")) {
      r.next();
      return r.getLong(1);
    }
  }

  /** Whether another session can take the vault's lock now (it releases it at once). */
  private boolean otherMayLock() throws Exception {
    try (Connection c = d.connect(); PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      s.setLong(1, PgVaultStorage.LOCK);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getBoolean(1); // released with the session
      }
    }
  }

  @Test
  void joining_writesInTheCallersTransaction_lockedUntilItEnds_andARollbackLeavesNothing(@TempDir Path dir)
      throws Exception {
    Vault source = new Vault(dir.resolve("vault.gh"), RANDOM, Clock.systemUTC());
    source.create(VaultTest.password(PASSWORD), VaultTest.FAST);
    source.put("x", "1".getBytes(StandardCharsets.UTF_8), false);
    PgStateDb.migrate(d.connector()); // a joined storage migrates nothing: its caller did
    for (boolean commit : List.of(false, true)) {
      try (Connection c = d.connect()) {
        c.setAutoCommit(false);
        Vault target = new Vault(PgVaultStorage.joining(d.jdbcUrl(), c), RANDOM, Clock.systemUTC());
        assertThat(target.createFrom(source)).isTrue();
        assertThat(rows()).as("not committed: no other session sees it").isZero();
        assertThat(replica().exists()).isFalse();
        assertThat(otherMayLock()).as("its lock is held until the transaction ends").isFalse();
        if (commit) {
          c.commit();
        } else {
          c.rollback();
        }
        assertThat(otherMayLock()).isTrue();
        assertThat(rows()).isEqualTo(commit ? 1 : 0);
        assertThat(c.isClosed()).as("the caller's connection stays the caller's").isFalse();
      }
    }
    assertThat(value(unsealed(), "x")).isEqualTo("1");
    try (Connection c = d.connect()) {
      c.setAutoCommit(false);
      assertThat(new Vault(PgVaultStorage.joining(d.jdbcUrl(), c), RANDOM, Clock.systemUTC()).createFrom(source))
          .as("a vault there already is left as it is").isFalse();
    }
  }

  @Test
  void put_onOneReplica_isReadOnTheOtherAtOnce_andRemoveIsSeenAtItsNextLookup() throws Exception {
    Vault a = created();
    Vault b = unsealed();
    assertThat(b.contains("agent.alice")).isFalse();
    a.put("agent.alice", "key-1".getBytes(StandardCharsets.UTF_8), false);
    assertThat(value(b, "agent.alice")).isEqualTo("key-1"); // b had cached the image without it
    b.put("agent.alice", "key-2".getBytes(StandardCharsets.UTF_8), true);
    assertThat(value(a, "agent.alice")).isEqualTo("key-2");
    assertThat(a.remove("agent.alice")).isTrue();
    assertThat(b.contains("agent.alice")).isFalse();
    assertThat(b.reveal("agent.alice", SecretAccess.get())).isEmpty();
    assertThat(rows()).as("older generations are deleted with each write").isEqualTo(1);
  }

  @Test
  void put_fromBothReplicasAtOnce_neverLosesOne() throws Exception {
    created();
    Vault a = unsealed();
    Vault b = unsealed();
    int each = 12;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Vault v : List.of(a, b)) {
        String side = v == a ? "a" : "b";
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < each; i++) {
            v.put("k-" + side + "-" + i, new byte[] {(byte) i}, false);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    Vault fresh = unsealed();
    assertThat(fresh.list()).hasSize(2 * each);
    assertThat(fresh.version().generation()).isEqualTo(1 + 2 * each);
  }

  @Test
  void rows_holdNoPlaintext_inAnyColumnOfAnyTable() throws Exception {
    Vault a = created();
    String canary = "canary-" + HexFormat.of().formatHex(RANDOM.generateSeed(12));
    a.put("service.token", canary.getBytes(StandardCharsets.UTF_8), false);
    a.put("other", "x".getBytes(StandardCharsets.UTF_8), false);
    assertThat(value(unsealed(), "service.token")).isEqualTo(canary);
    List<String> forms = List.of(canary, HexFormat.of().formatHex(canary.getBytes(StandardCharsets.UTF_8)),
        Base64.getEncoder().encodeToString(canary.getBytes(StandardCharsets.UTF_8)).substring(0, 20), PASSWORD,
        HexFormat.of().formatHex(PASSWORD.getBytes(StandardCharsets.UTF_8)));
    int searched = 0;
    try (Connection c = d.connect(); Statement s = c.createStatement();
        ResultSet tables = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
      List<String> names = new ArrayList<>();
      while (tables.next()) {
        names.add(tables.getString(1));
      }
      assertThat(names).contains("vault_images");
      for (String table : names) {
        try (Statement q = c.createStatement(); ResultSet r = q.executeQuery("SELECT t::text FROM \"" + table + "\" t")) {
          while (r.next()) {
            String row = r.getString(1);
            // bytea prints as hex; the image is ASCII, so decode it too and search its text
            String text = row.startsWith("(") && row.contains("\\\\x") ? decodeHex(row) : row;
            for (String f : forms) {
              assertThat(row).doesNotContain(f);
              assertThat(text).doesNotContain(f);
            }
            searched++;
          }
        }
      }
    }
    assertThat(searched).as("the vault's row was among those searched").isPositive();
    try (Connection c = d.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT convert_from(image, 'UTF8') FROM vault_images")) {
      r.next();
      assertThat(r.getString(1)).contains("\"service.token\"").doesNotContain(canary); // names are public, values not
    }
  }

  private static String decodeHex(String row) {
    int at = row.indexOf("\\\\x") + 3;
    int end = at;
    while (end < row.length() && Character.digit(row.charAt(end), 16) >= 0) {
      end++;
    }
    return row + new String(HexFormat.of().parseHex(row.substring(at, end - (end - at) % 2)), StandardCharsets.UTF_8);
  }

  @Test
  void image_isByteForByteTheFileFormat_andMacd() throws Exception {
    Vault a = created();
    a.put("x", "1".getBytes(StandardCharsets.UTF_8), false);
    try (Connection c = d.connect(); PreparedStatement s = c.prepareStatement("SELECT generation, image FROM vault_images");
        ResultSet r = s.executeQuery()) {
      r.next();
      byte[] image = r.getBytes(2);
      assertThat(new String(image, StandardCharsets.UTF_8)).startsWith("gatehouse-vault 2 " + r.getLong(1) + "\n")
          .containsPattern("\nmac [A-Za-z0-9+/=]{44}\n$");
      assertThat(VaultFormat.read(image).image().entries()).containsOnlyKeys("x");
    }
  }

  @Test
  void aByteFlippedInTheStoredImage_isRefusedAsDamaged_onOpeningAndOnTheNextLookup() throws Exception {
    Vault a = created();
    a.put("x", "1".getBytes(StandardCharsets.UTF_8), false);
    Vault b = unsealed();
    assertThat(b.contains("x")).isTrue();
    // byte 40 is inside line 2 (the JSON): flip its lowest bit
    sql("UPDATE vault_images SET image = set_byte(image, 40, get_byte(image, 40) # 1)");
    assertThatThrownBy(() -> b.contains("x")).isInstanceOf(RefusedException.class).hasMessage(Vault.WRONG_OR_DAMAGED);
    assertThatThrownBy(this::unsealed).isInstanceOf(RefusedException.class).hasMessage(Vault.WRONG_OR_DAMAGED);
  }

  @Test
  void aRowWhoseGenerationDisagreesWithItsImage_isRefusedAsDamaged() throws Exception {
    Vault a = created();
    a.put("x", "1".getBytes(StandardCharsets.UTF_8), false);
    sql("UPDATE vault_images SET generation = generation + 5");
    assertThatThrownBy(() -> a.contains("x")).isInstanceOf(RefusedException.class).hasMessage(Vault.WRONG_OR_DAMAGED);
  }

  @Test
  void aRowRolledBackToAnOlderGeneration_isRefusedByAReplicaThatReadTheNewerOne() throws Exception {
    Vault a = created();
    a.put("agent.alice", "key".getBytes(StandardCharsets.UTF_8), false);
    byte[] before;
    try (Connection c = d.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT image FROM vault_images")) {
      r.next();
      before = r.getBytes(1); // someone with access to the database keeps this copy
    }
    a.remove("agent.alice"); // revoked
    Vault b = unsealed();
    assertThat(b.contains("agent.alice")).isFalse();
    try (Connection c = d.connect(); PreparedStatement s = c.prepareStatement(
        "BEGIN; DELETE FROM vault_images; INSERT INTO vault_images (generation, image) VALUES (2, ?); COMMIT")) {
      s.setBytes(1, before);
      s.execute();
    }
    assertThatThrownBy(() -> b.contains("agent.alice")).isInstanceOf(RefusedException.class)
        .hasMessageContaining("the database's vault was replaced by an older copy of itself")
        .hasMessageContaining("generation 2");
    assertThatThrownBy(() -> a.contains("agent.alice")).isInstanceOf(RefusedException.class);
  }

  @Test
  void aWriteThatFindsAnotherGenerationInPlace_changesNothing() throws Exception {
    Vault a = created();
    PgVaultStorage s = new PgVaultStorage(d.connector());
    storages.add(s);
    byte[] image = s.read();
    try (VaultStorage.Locked held = s.lock()) {
      assertThatThrownBy(() -> held.write(0, 1, image)).isInstanceOf(RefusedException.class)
          .hasMessageContaining("holds generation 1, not 0");
    }
    assertThat(rows()).isEqualTo(1);
    assertThat(s.read()).isEqualTo(image);
    assertThat(a.contains("x")).isFalse();
  }

  @Test
  void eachReplicaKeepsItsOwnMachineSlot_andOpensUnattendedWithIt() throws Exception {
    Vault a = created();
    Credential.MachineSeal hostA = new Credential.MachineSeal("machine-id=a\nhostname=a".getBytes(StandardCharsets.UTF_8), new char[0]);
    Credential.MachineSeal hostB = new Credential.MachineSeal("machine-id=b\nhostname=b".getBytes(StandardCharsets.UTF_8), new char[0]);
    Credential.MachineSeal hostC = new Credential.MachineSeal("machine-id=c\nhostname=c".getBytes(StandardCharsets.UTF_8), new char[0]);
    a.sealToMachine(hostA, VaultTest.FAST);
    a.put("x", "1".getBytes(StandardCharsets.UTF_8), false);
    Vault b = unsealed(); // replica b, opened once with the master password, adds its own slot
    b.sealToMachine(hostB, VaultTest.FAST);
    b.sealToMachine(hostB, VaultTest.FAST); // again: replaces its own, keeps a's
    assertThat(b.status().slots()).containsExactly("password", "machine", "machine");
    Vault bootA = replica();
    bootA.unseal(hostA);
    Vault bootB = replica();
    bootB.unseal(hostB);
    assertThat(value(bootA, "x")).isEqualTo("1");
    assertThat(value(bootB, "x")).isEqualTo("1");
    assertThatThrownBy(() -> replica().unseal(hostC)).isInstanceOf(RefusedException.class)
        .hasMessageContaining("sealed to another machine");
  }
}
