package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.Sha256;
import dev.gatehouse.error.RefusedException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generation in the vault's header, and the order in which a ledger hears of each write. */
class VaultGenerationTest {
  @TempDir
  Path temp;

  private Path file;

  @BeforeEach
  void create() throws Exception {
    file = temp.resolve("vault.gh");
    new Vault(file, new SecureRandom(), Clock.systemUTC()).create(pw(), VaultTest.FAST);
  }

  private static Credential pw() {
    return new Credential.Password("pw".toCharArray());
  }

  private Vault open() throws Exception {
    Vault v = new Vault(file, new SecureRandom(), Clock.systemUTC());
    v.unseal(pw());
    return v;
  }

  private String line1() throws Exception {
    return Files.readAllLines(file, StandardCharsets.UTF_8).get(0);
  }

  private VaultVersion onDisk() throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    String header = new String(bytes, StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
    long g = header.equals(VaultFormat.MAGIC_V1) ? 0 : Long.parseLong(header.substring(VaultFormat.MAGIC_V2.length()));
    return new VaultVersion(g, Sha256.hex(bytes));
  }

  @Test
  void everyWrite_makesTheNextGeneration_underTheMac() throws Exception {
    assertThat(line1()).isEqualTo("gatehouse-vault 2 1");
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    v.put("b", "2".getBytes(), false);
    v.remove("a");
    assertThat(line1()).isEqualTo("gatehouse-vault 2 4");
    assertThat(v.version()).isEqualTo(onDisk());
    String text = Files.readString(file);
    Files.writeString(file, text.replaceFirst("gatehouse-vault 2 4\n", "gatehouse-vault 2 9\n"));
    assertThatThrownBy(this::open).isInstanceOf(RefusedException.class).hasMessage(Vault.WRONG_OR_DAMAGED);
  }

  @Test
  void aVersion1File_opensAsGeneration0_andItsNextWriteIsVersion2() throws Exception {
    Vault v = open();
    v.put("kept", "value".getBytes(), false);
    byte[] mk = masterKey(v);
    // The same body under the version 1 header, with its MAC, as the previous release wrote it.
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    byte[] macInput = (VaultFormat.MAGIC_V1 + "\n" + lines.get(1)).getBytes(StandardCharsets.UTF_8);
    Method fileMac = Vault.class.getDeclaredMethod("fileMac", byte[].class, byte[].class);
    fileMac.setAccessible(true);
    Files.write(file, VaultFormat.write(macInput, (byte[]) fileMac.invoke(null, mk, macInput)));

    Vault old = open();
    assertThat(old.version().generation()).isZero();
    assertThat(old.reveal("kept", SecretAccess.get()).orElseThrow().length()).isEqualTo(5);
    old.put("more", "x".getBytes(), false);
    assertThat(line1()).isEqualTo("gatehouse-vault 2 1");
    assertThat(open().list()).extracting(Vault.EntryInfo::name).containsExactly("kept", "more");
  }

  @Test
  void withoutALedger_anOlderCopySwappedInWhileOpen_isRefused() throws Exception {
    Vault v = open();
    v.put("a", "1".getBytes(), false);
    Path older = temp.resolve("older");
    Files.copy(file, older);
    v.put("b", "2".getBytes(), false);
    Files.copy(older, file, StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> v.contains("b")).isInstanceOf(RefusedException.class)
        .hasMessageContaining("replaced by an older copy of itself");
  }

  /** Records what it hears, with the file on disk at that moment. */
  private final class Recording implements VaultLedger {
    final List<String> heard = new ArrayList<>();
    boolean refuse;

    @Override
    public void admit(VaultVersion present, boolean reconcile) {
      heard.add("admit " + present.generation() + (reconcile ? " reconcile" : ""));
      if (refuse) {
        throw new RefusedException("refused by the test");
      }
    }

    @Override
    public long generationAfter(VaultVersion from) {
      return from.generation() + 10;
    }

    @Override
    public void intend(VaultVersion from, VaultVersion to) {
      try {
        heard.add("intend " + from.generation() + "->" + to.generation() + ", disk " + disk(from, to));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void committed(VaultVersion to) {
      try {
        heard.add("committed " + to.generation() + ", disk " + disk(null, to));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void accept(VaultVersion present, String owner) {
      heard.add("accept " + present.generation() + " by " + owner);
    }

    private String disk(VaultVersion from, VaultVersion to) throws Exception {
      VaultVersion d = onDisk();
      return d.equals(from) ? "from" : d.equals(to) ? "to" : "other";
    }
  }

  @Test
  void aLedger_hearsOfEachWriteBeforeTheFileChanges_andAfter() throws Exception {
    Vault v = open();
    Recording ledger = new Recording();
    v.attach(ledger);
    v.put("a", "1".getBytes(), false);
    assertThat(ledger.heard).containsExactly("admit 1 reconcile", "admit 1", "intend 1->11, disk from",
        "committed 11, disk to");
    assertThat(line1()).isEqualTo("gatehouse-vault 2 11");
  }

  @Test
  void aLedgerThatRefuses_sealsTheVault() throws Exception {
    Vault v = open();
    Recording ledger = new Recording();
    ledger.refuse = true;
    assertThatThrownBy(() -> v.attach(ledger)).isInstanceOf(RefusedException.class).hasMessage("refused by the test");
    assertThat(v.sealed()).isTrue();
    Vault again = open();
    ledger.refuse = false;
    again.attachAccepting(ledger, onDisk(), "cli:owner");
    assertThat(ledger.heard).endsWith("accept 1 by cli:owner", "admit 1 reconcile");
  }

  private static byte[] masterKey(Vault v) throws Exception {
    Field f = Vault.class.getDeclaredField("masterKey");
    f.setAccessible(true);
    return (byte[]) f.get(v);
  }
}
