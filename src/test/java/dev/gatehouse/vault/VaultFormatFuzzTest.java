package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the vault file's container ({@link VaultFormat#read}): the parsing that runs
 * before any key is derived, so no Argon2 per input. Contract: a parsed image or
 * {@link VaultFormat.Damaged} (which {@link Vault} turns into its one message), never another
 * exception, never a hang. Whatever parses has at least one slot, an active key that exists,
 * and Argon2 parameters inside {@link KdfParams}' bounds (so a hostile header cannot ask for
 * unbounded work).
 */
class VaultFormatFuzzTest {
  @FuzzTest
  @Timeout(10)
  void read_anyBytes_isImageOrDamaged(byte[] data) {
    VaultFormat.Parsed parsed;
    try {
      parsed = VaultFormat.read(data);
    } catch (VaultFormat.Damaged e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    VaultImage image = parsed.image();
    assertThat(image.slots()).isNotEmpty();
    assertThat(image.wrappedKeys()).containsKey(image.activeKeyId());
    for (VaultImage.Slot s : image.slots()) {
      assertThat(s.kdf().memoryKiB()).isBetween(8, KdfParams.MAX_MEMORY_KIB);
    }
    // The MAC covers exactly the first two lines as stored.
    assertThat(data).startsWith(parsed.macInput());
  }
}
