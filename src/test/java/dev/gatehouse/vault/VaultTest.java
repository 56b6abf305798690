package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultTest {
  /** Fast parameters for tests; the format and the code path are the same as the default's. */
  static final KdfParams FAST = new KdfParams(256, 1, 1);
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir
  Path temp;

  private Path file;

  static Credential.Password password(String p) {
    return new Credential.Password(p.toCharArray());
  }

  static Vault vaultAt(Path file) {
    return new Vault(file, RANDOM, Clock.systemUTC());
  }

  @BeforeEach
  void create() throws Exception {
    file = temp.resolve("vault.gh");
    vaultAt(file).create(password("correct horse"), FAST);
  }

  @Test
  void unsealWith_aCopyOfThisVault_opensWhateverItsPassword_andAnotherVaultNot() throws Exception {
    Vault source = open();
    source.put("svc.key", "v".getBytes(StandardCharsets.UTF_8), false);
    Path copyFile = temp.resolve("copy.gh");
    Files.copy(file, copyFile);
    Vault copy = vaultAt(copyFile);
    copy.unseal(password("correct horse"));
    copy.setPassword(password("another password"), FAST); // the master key stays
    copy.seal();
    Path otherFile = temp.resolve("other.gh");
    vaultAt(otherFile).create(password("correct horse"), FAST); // the same password, another master key

    Vault reopened = vaultAt(copyFile);
    assertThat(reopened.unsealWith(source)).isTrue();
    assertThat(reopened.contains("svc.key")).isTrue();
    Vault other = vaultAt(otherFile);
    assertThat(other.unsealWith(source)).isFalse();
    assertThat(other.sealed()).isTrue();
    source.seal();
    assertThatThrownBy(() -> vaultAt(copyFile).unsealWith(source)).isInstanceOf(RefusedException.class)
        .hasMessage("the vault is sealed");
  }

  private Vault open() throws Exception {
    Vault v = vaultAt(file);
    v.unseal(password("correct horse"));
    return v;
  }

  private static String reveal(Vault v, String name) throws Exception {
    try (SecretValue s = v.reveal(name, SecretAccess.get()).orElseThrow()) {
      return new String(s.bytes(SecretAccess.get()), StandardCharsets.UTF_8);
    }
  }

  @Test
  void watchValues_isToldEveryValue_beforeALookupAnswers_onceForEachCiphertext() throws Exception {
    Vault writer = open();
    writer.put("a.key", "value-a".getBytes(StandardCharsets.UTF_8), false);
    Vault reader = open();
    List<String> told = new ArrayList<>();
    reader.watchValues((name, value) -> told.add(name + "=" + new String(value, StandardCharsets.UTF_8)),
        SecretAccess.get());
    assertThat(told).as("the current image at once").containsExactly("a.key=value-a");

    told.clear();
    writer.put("c.key", "value-c".getBytes(StandardCharsets.UTF_8), false); // another instance: another process
    assertThat(told).isEmpty();
    assertThat(reader.contains("c.key")).isTrue();
    assertThat(told).as("at the lookup, only the entry the new image changed").containsExactly("c.key=value-c");
    reader.put("d.key", "value-d".getBytes(StandardCharsets.UTF_8), false);
    assertThat(told).as("an image this instance writes, before it is written").endsWith("d.key=value-d");
    reader.contains("d.key");
    assertThat(told).as("its own image, read back: nothing new").containsExactly("c.key=value-c", "d.key=value-d");
  }

  @Test
  void watchValues_thatFails_failsTheLookup_andNothingIsAnsweredFromThatImage() throws Exception {
    Vault writer = open();
    Vault reader = open();
    boolean[] failing = {false};
    reader.watchValues((name, value) -> {
      if (failing[0]) {
        throw new IllegalStateException("cannot learn " + name);
      }
    }, SecretAccess.get());
    failing[0] = true;
    writer.put("e.key", "value-e".getBytes(StandardCharsets.UTF_8), false);
    assertThatThrownBy(() -> reveal(reader, "e.key")).isInstanceOf(IllegalStateException.class);
    failing[0] = false;
    assertThat(reveal(reader, "e.key")).as("told at the next lookup, then answered").isEqualTo("value-e");
  }

  @Test
  void addThenReveal_acrossInstances_andTheFileIsOwnerOnly() throws Exception {
    open().put("sonarr.apikey", "s3cr3t-value".getBytes(), false);
    assertThat(reveal(open(), "sonarr.apikey")).isEqualTo("s3cr3t-value");
    assertThat(open().list()).extracting(Vault.EntryInfo::name).containsExactly("sonarr.apikey");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(Files.readString(file)).doesNotContain("s3cr3t-value");
  }

  @Test
  void put_refusesToOverwrite_unlessReplace() throws Exception {
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    assertThatThrownBy(() -> v.put("a", "2".getBytes(), false)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("--replace");
    v.put("a", "2".getBytes(), true);
    assertThat(reveal(v, "a")).isEqualTo("2");
  }

  @Test
  void names_outsideThePattern_areRefused() throws Exception {
    Vault v = open();
    for (String bad : List.of("", "A", "-a", ".a", "a b", "a/b", "é", "a".repeat(65))) {
      assertThatThrownBy(() -> v.put(bad, new byte[1], false)).as(bad).isInstanceOf(BadInputException.class);
    }
    v.put("a".repeat(64), new byte[1], false);
  }

  @Test
  void wrongPassword_givesTheOneMessage() {
    assertThatThrownBy(() -> vaultAt(file).unseal(password("wrong horse")))
        .isInstanceOf(RefusedException.class).hasMessage(Vault.WRONG_OR_DAMAGED);
  }

  @Test
  void sealed_refusesEverySecretOperation_andZeroesTheKey() throws Exception {
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    Field f = Vault.class.getDeclaredField("masterKey");
    f.setAccessible(true);
    byte[] key = (byte[]) f.get(v);
    v.seal();
    assertThat(key).containsOnly(0);
    assertThat(v.sealed()).isTrue();
    for (ThrowingRunnable op : List.<ThrowingRunnable>of(() -> v.reveal("a", SecretAccess.get()),
        () -> v.put("b", new byte[1], false), v::list, () -> v.remove("a"), v::rotate,
        () -> v.setPassword(password("x"), FAST))) {
      assertThatThrownBy(op::run).isInstanceOf(RefusedException.class).hasMessage("the vault is sealed");
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void everySingleBitFlip_ofASmallVault_isDetected() throws Exception {
    open().put("k", "v".getBytes(), false);
    byte[] good = Files.readAllBytes(file);
    List<String> undetected = new ArrayList<>();
    Path flipped = temp.resolve("flipped.gh");
    for (int i = 0; i < good.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << bit);
        Files.write(flipped, bad);
        try {
          Vault v = vaultAt(flipped);
          v.unseal(password("correct horse"));
          v.reveal("k", SecretAccess.get());
          undetected.add("byte " + i + " bit " + bit);
        } catch (RefusedException e) {
          if (!e.getMessage().equals(Vault.WRONG_OR_DAMAGED)) {
            undetected.add("byte " + i + " bit " + bit + ": other message: " + e.getMessage());
          }
        }
      }
    }
    assertThat(good.length).isLessThan(2000);
    assertThat(undetected).isEmpty();
  }

  @Test
  void theMacsUnusedBase64Bits_areNotIgnored() throws Exception {
    // Found by the bit-flip test: the JDK decodes "...Q=" and "...R=" to the same bytes.
    open().put("k", "v".getBytes(), false);
    byte[] good = Files.readAllBytes(file);
    int pad = good.length - 3; // the last base64 character before "=\n"
    assertThat((char) good[pad + 1]).isEqualTo('=');
    for (int bit = 0; bit < 2; bit++) {
      byte[] bad = good.clone();
      bad[pad] ^= (byte) (1 << bit);
      Files.write(file, bad);
      assertThatThrownBy(() -> open()).hasMessage(Vault.WRONG_OR_DAMAGED);
    }
  }

  @Test
  void anEntryMovedToAnotherName_failsToDecrypt() throws Exception {
    Vault v = open();
    v.put("a", "value-a".getBytes(), false);
    VaultImage image = VaultFormat.read(Files.readAllBytes(file)).image();
    VaultImage.StoredEntry a = image.entries().get("a");
    VaultImage.StoredEntry moved = new VaultImage.StoredEntry("b", a.created(), a.updated(), a.ciphertext());
    byte[] mk = masterKey(v);
    assertThat(new String(Vault.openEntry(mk, image, a), StandardCharsets.UTF_8)).isEqualTo("value-a");
    assertThatThrownBy(() -> Vault.openEntry(mk, image, moved)).isInstanceOf(RefusedException.class)
        .hasMessage(Vault.WRONG_OR_DAMAGED);
  }

  private static byte[] masterKey(Vault v) throws Exception {
    Field f = Vault.class.getDeclaredField("masterKey");
    f.setAccessible(true);
    return (byte[]) f.get(v);
  }

  @Test
  void twoEncryptionsOfTheSameValue_differ() throws Exception {
    Vault v = open();
    v.put("a", "same".getBytes(), false);
    byte[] first = VaultFormat.read(Files.readAllBytes(file)).image().entries().get("a").ciphertext();
    v.put("a", "same".getBytes(), true);
    v.put("b", "same".getBytes(), false);
    VaultImage image = VaultFormat.read(Files.readAllBytes(file)).image();
    assertThat(image.entries().get("a").ciphertext()).isNotEqualTo(first)
        .isNotEqualTo(image.entries().get("b").ciphertext());
  }

  @Test
  void passwd_rewrapsOnlyTheMasterKey() throws Exception {
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    String entryBefore = entryCiphertext("a");
    v.setPassword(password("new horse"), FAST);
    assertThatThrownBy(() -> vaultAt(file).unseal(password("correct horse"))).hasMessage(Vault.WRONG_OR_DAMAGED);
    Vault reopened = vaultAt(file);
    reopened.unseal(password("new horse"));
    assertThat(reveal(reopened, "a")).isEqualTo("1");
    assertThat(entryCiphertext("a")).isEqualTo(entryBefore);
  }

  @Test
  void rotate_reencryptsEveryEntry_underANewKey_andRetiresTheOld() throws Exception {
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    v.put("b", "2".getBytes(), false);
    String before = entryCiphertext("a");
    v.rotate();
    Vault.Status s = v.status();
    assertThat(s.activeKeyId()).isEqualTo(2);
    assertThat(VaultFormat.read(Files.readAllBytes(file)).image().wrappedKeys().keySet()).containsExactly(2);
    assertThat(entryCiphertext("a")).isNotEqualTo(before);
    Vault reopened = open();
    assertThat(reveal(reopened, "a")).isEqualTo("1");
    assertThat(reveal(reopened, "b")).isEqualTo("2");
  }

  private String entryCiphertext(String name) throws Exception {
    return java.util.Base64.getEncoder().encodeToString(
        VaultFormat.read(Files.readAllBytes(file)).image().entries().get(name).ciphertext());
  }

  @Test
  void machineSeal_opensOnThisMachineOnly_andItsPinIsRequired() throws Exception {
    byte[] here = "machine-id=aaaa\nhostname=here".getBytes();
    byte[] there = "machine-id=bbbb\nhostname=there".getBytes();
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    v.sealToMachine(new Credential.MachineSeal(here, "1234".toCharArray()), FAST);

    Vault boot = vaultAt(file);
    assertThat(boot.sealedToThisMachine(new Credential.MachineSeal(here, new char[0]))).isTrue();
    boot.unseal(new Credential.MachineSeal(here, "1234".toCharArray()));
    assertThat(reveal(boot, "a")).isEqualTo("1");

    assertThatThrownBy(() -> vaultAt(file).unseal(new Credential.MachineSeal(there, "1234".toCharArray())))
        .hasMessageContaining("sealed to another machine");
    assertThatThrownBy(() -> vaultAt(file).unseal(new Credential.MachineSeal(here, new char[0])))
        .hasMessageContaining("needs its PIN");
    assertThatThrownBy(() -> vaultAt(file).unseal(new Credential.MachineSeal(here, "9999".toCharArray())))
        .hasMessage(Vault.WRONG_OR_DAMAGED);
    assertThat(vaultAt(file).status().slots()).containsExactly("password", "machine");
  }

  @Test
  void concurrentWriters_inTwoInstances_loseNothing() throws Exception {
    Vault a = open();
    Vault b = open();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      int n = i;
      fs.add(pool.submit(() -> {
        (n % 2 == 0 ? a : b).put("e" + n, ("v" + n).getBytes(), false);
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    assertThat(open().list()).hasSize(40);
  }

  @Test
  void toString_ofSecretHolders_redacts() {
    assertThat(password("hunter2").toString()).doesNotContain("hunter2");
    assertThat(new SecretValue("hunter2".getBytes()).toString()).doesNotContain("hunter2");
    assertThat(new Credential.MachineSeal("id".getBytes(), "4321".toCharArray()).toString()).doesNotContain("4321");
  }

  // ---- property: round trip for arbitrary names and values (0 B to 1 MiB) ----

  private Path propertyDir;
  private Vault propertyVault;

  @BeforeProperty
  void propertyVault() throws Exception {
    propertyDir = Files.createTempDirectory("vault-prop");
    propertyVault = vaultAt(propertyDir.resolve("vault.gh"));
    propertyVault.create(password("p"), FAST);
  }

  @AfterProperty
  void cleanUp() throws Exception {
    try (var walk = Files.walk(propertyDir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 60)
  void roundTrip_forArbitraryNamesAndValues(@ForAll("names") String name, @ForAll("values") byte[] value)
      throws Exception {
    propertyVault.put(name, value, true);
    Vault fresh = vaultAt(propertyDir.resolve("vault.gh"));
    fresh.unseal(password("p"));
    try (SecretValue s = fresh.reveal(name, SecretAccess.get()).orElseThrow()) {
      assertThat(s.bytes(SecretAccess.get())).isEqualTo(value);
    } finally {
      propertyVault.remove(name); // keeps the file small: each try writes it whole
    }
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789._-").ofMinLength(1).ofMaxLength(64)
        .filter(s -> Vault.NAME.matcher(s).matches());
  }

  @Provide
  Arbitrary<byte[]> values() {
    // Sizes from jqwik (0, 1 MiB and small ones among its edge cases); contents random.
    return Arbitraries.oneOf(Arbitraries.integers().between(0, 64), Arbitraries.integers().between(0, 1024 * 1024),
        Arbitraries.of(0, 1024 * 1024)).map(n -> {
          byte[] b = new byte[n];
          RANDOM.nextBytes(b);
          return b;
        });
  }
}
