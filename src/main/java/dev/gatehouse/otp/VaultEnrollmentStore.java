package dev.gatehouse.otp;

import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The enrolled key and recovery-code hashes, as one entry of the encrypted vault. The first
 * load moves a key left in a pre-vault {@code totp.json} into the vault and shreds the file.
 * Needs an unsealed vault.
 */
public final class VaultEnrollmentStore implements EnrollmentStore {
  /** The vault entry; names under "gatehouse." are Gatehouse's own. */
  public static final String ENTRY = "gatehouse.totp";

  private final Vault vault;
  private final FileEnrollmentStore legacy;

  public VaultEnrollmentStore(Vault vault, Path legacyFile) {
    this.vault = vault;
    this.legacy = new FileEnrollmentStore(legacyFile);
  }

  @Override
  public Optional<Enrollment> load() throws IOException {
    Optional<SecretValue> stored = vault.reveal(ENTRY, SecretAccess.get());
    if (stored.isEmpty()) {
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
        return Optional.of(EnrollmentCodec.decode(bytes, Path.of("vault entry " + ENTRY)));
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
  }

  @Override
  public void save(Enrollment enrollment) throws IOException {
    byte[] bytes = EnrollmentCodec.encode(enrollment);
    try {
      vault.put(ENTRY, bytes, true);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  @Override
  public void delete() throws IOException {
    vault.remove(ENTRY);
    legacy.delete();
  }
}
