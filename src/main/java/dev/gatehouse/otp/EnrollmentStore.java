package dev.gatehouse.otp;

import java.io.IOException;
import java.util.Optional;

/**
 * Where the enrolled key lives. Callers hold the home lock around every read-check-write.
 *
 * <p>Contract: {@link #save} and {@link #delete} are atomic and durable when they return;
 * {@link #load} throws {@link IOException} for a file it cannot read or understand (never
 * treats damage as "not enrolled").
 */
public interface EnrollmentStore {
  Optional<Enrollment> load() throws IOException;

  void save(Enrollment enrollment) throws IOException;

  void delete() throws IOException;
}
