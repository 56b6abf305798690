package dev.gatehouse.otp;

import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The enrolled key in a plain {@code totp.json} (mode 0600): how homes made before the vault
 * kept it. Gatehouse now only reads it, to move it into the vault ({@link VaultEnrollmentStore}).
 */
public final class FileEnrollmentStore implements EnrollmentStore {
  private final Path file;

  public FileEnrollmentStore(Path file) {
    this.file = file;
  }

  @Override
  public Optional<Enrollment> load() throws IOException {
    try {
      return Optional.of(EnrollmentCodec.decode(Files.readAllBytes(file), file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public void save(Enrollment enrollment) throws IOException {
    AtomicFiles.write(file, EnrollmentCodec.encode(enrollment));
  }

  /** Overwrites the plaintext key with zeros, then removes the file. */
  @Override
  public void delete() throws IOException {
    if (Files.exists(file)) {
      AtomicFiles.shred(file);
    }
  }
}
