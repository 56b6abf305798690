package dev.gatehouse.otp;

import java.io.IOException;

/**
 * Where replay and lockout state lives. Callers hold the home lock around every
 * read-check-write.
 *
 * <p>Contract: {@link #save} and {@link #delete} are atomic and durable when they return;
 * {@link #load} returns {@link AttemptState#INITIAL} when nothing was ever saved and throws
 * {@link IOException} for state it cannot read or understand.
 */
public interface AttemptStore {
  AttemptState load() throws IOException;

  void save(AttemptState state) throws IOException;

  void delete() throws IOException;
}
