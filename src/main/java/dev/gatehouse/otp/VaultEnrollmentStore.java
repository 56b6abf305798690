package dev.gatehouse.otp;

import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The enrolled key and recovery-code hashes, as one entry of the encrypted vault: the owner's
 * ({@link #ENTRY}) or an owner-plane user's. For the owner's, the first load moves a key left
 * in a pre-vault {@code totp.json} into the vault and shreds the file. Needs an unsealed vault.
 */
public final class VaultEnrollmentStore implements EnrollmentStore {
  /** The vault entry; names under "gatehouse." are Gatehouse's own. */
  public static final String ENTRY = "gatehouse.totp";

  private final Vault vault;
  private final String entry;
  private final FileEnrollmentStore legacy; // null: no pre-vault file to adopt

  /** The owner's key, in {@link #ENTRY}, adopting {@code legacyFile} if one is left. */
  public VaultEnrollmentStore(Vault vault, Path legacyFile) {
    this(vault, ENTRY, new FileEnrollmentStore(legacyFile));
  }

  /** A key in the vault entry {@code entry}, with no pre-vault file. */
  public VaultEnrollmentStore(Vault vault, String entry) {
    this(vault, entry, null);
  }

  private VaultEnrollmentStore(Vault vault, String entry, FileEnrollmentStore legacy) {
    if (!Vault.NAME.matcher(entry).matches() || !entry.startsWith(Vault.OWN_PREFIX)) {
      throw new IllegalArgumentException("a TOTP key lives in a vault entry of Gatehouse's own (gatehouse.*)");
    }
    this.vault = vault;
    this.entry = entry;
    this.legacy = legacy;
  }

  @Override
  public Optional<Enrollment> load() throws IOException {
    Optional<SecretValue> stored = vault.reveal(entry, SecretAccess.get());
    if (stored.isEmpty()) {
      if (legacy == null) {
        return Optional.empty();
      }
      Optional<Enrollment> old = legacy.load();
      if (old.isPresent()) {
        save(old.get());
        legacy.delete();
      }
      return old;
    }
    try (SecretValue v = stored.get()) {
      byte[] bytes = v.bytes(SecretAccess.get());
      try {
        return Optional.of(EnrollmentCodec.decode(bytes, Path.of("vault entry " + entry)));
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
  }

  @Override
  public void save(Enrollment enrollment) throws IOException {
    byte[] bytes = EnrollmentCodec.encode(enrollment);
    try {
      vault.put(entry, bytes, true);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  @Override
  public void delete() throws IOException {
    vault.remove(entry);
    if (legacy != null) {
      legacy.delete();
    }
  }
}
