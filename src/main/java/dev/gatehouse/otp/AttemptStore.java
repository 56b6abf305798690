package dev.gatehouse.otp;

import dev.gatehouse.store.HomeLock;
import java.io.IOException;

/**
 * Where replay and lockout state lives, and what makes its read-check-write exclusive.
 *
 * <p>Contract: {@link #exclusive} runs its section so that no other section over the same
 * state runs at the same time, from any instance, process or host that uses that state; the
 * state is read and written only through the {@link Held} handed to the section. When
 * {@code exclusive} returns, everything the section saved is durable and every action the
 * section passed to {@link Held#whenDurable} has run, in order. If the section throws, what it
 * saved may be lost (a transactional store rolls it back), and its {@code whenDurable} actions
 * may not run.
 *
 * <p>Implementations: the embedded stores ({@link FileAttemptStore}, a row of
 * {@code state.db} per owner-plane user) under the home lock, by {@link #underLock}; on a
 * shared PostgreSQL database, {@link PgAttemptStore}, where the section is one transaction
 * holding the state's row lock.
 */
public interface AttemptStore {
  <T> T exclusive(Section<T> section) throws IOException;

  /** A read-check-write of the state. */
  interface Section<T> {
    T run(Held state) throws IOException;
  }

  /**
   * The state, while a section holds it. {@link #load} returns {@link AttemptState#INITIAL}
   * when nothing was ever saved (or after {@link #delete}) and throws {@link IOException} for
   * state it cannot read or understand.
   */
  interface Held {
    AttemptState load() throws IOException;

    void save(AttemptState state) throws IOException;

    void delete() throws IOException;

    /**
     * Runs {@code action} once what this section saved so far is durable, before
     * {@link #exclusive} returns: at once for a store whose each save is atomic and durable
     * when it returns (the default), at commit for a transactional one.
     */
    default void whenDurable(Runnable action) {
      action.run();
    }
  }

  /**
   * {@code state}, whose each save and delete is atomic and durable when it returns, made
   * exclusive by {@code lock}: one host's processes share the state, and the lock serializes
   * them. It does not serialize two hosts.
   */
  static AttemptStore underLock(HomeLock lock, Held state) {
    return new AttemptStore() {
      @Override
      public <T> T exclusive(Section<T> section) throws IOException {
        try (HomeLock.Held held = lock.acquire()) {
          return section.run(state);
        }
      }
    };
  }
}
