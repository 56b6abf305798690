package dev.gatehouse.vault;

import java.io.IOException;

/**
 * Where the vault's image (the frozen, MAC'd bytes of docs/vault-format.md) is kept: the file
 * {@code vault.gh} ({@link FileVaultStorage}), or a table of a PostgreSQL database that several
 * daemons share ({@link PgVaultStorage}). A storage sees only those bytes, which are public
 * metadata and ciphertext; {@link Vault} (the barrier) alone makes and checks them.
 *
 * <p>Contract, the same for every storage:
 * <ul>
 *   <li>{@link #lock} gives exclusive access across threads, processes and (for a shared
 *       storage) replicas: while it is held, nobody else writes the image.
 *   <li>{@link Locked#write} makes the new image the current one atomically and durably before
 *       it returns: a reader (any process, any replica) sees the old image or the new one,
 *       never a mix; a crash leaves one of them.
 *   <li>{@link #stamp} changes whenever the current image may have changed, including an
 *       image replaced in place by hand; an equal stamp means the same image.
 * </ul>
 */
public interface VaultStorage {
  /** How messages name the vault: {@code vault.gh}, or the database's vault. */
  String name();

  /** Whether an image is stored. */
  boolean exists() throws IOException;

  /** A value that changes whenever the current image may have; null when there is none. */
  Object stamp() throws IOException;

  /** The current image, read without the lock (a {@code NotConfiguredException} when there is none). */
  byte[] read() throws IOException;

  /** Blocks until this thread has exclusive access; close the result to release it. */
  Locked lock() throws IOException;

  /**
   * Whether several daemons on different machines open this one image: each then keeps its
   * own machine slot, and sealing one machine leaves the others' slots in place.
   */
  boolean shared();

  /** Exclusive access to the image, for a read-check-write. */
  interface Locked extends AutoCloseable {
    boolean exists() throws IOException;

    /** The current image (a {@code NotConfiguredException} when there is none). */
    byte[] read() throws IOException;

    /**
     * Replaces the current image, generation {@code from} (-1: none, when creating), by
     * {@code bytes}, generation {@code generation}; atomic and durable on return. Refuses
     * (and changes nothing) when the current image is not generation {@code from}.
     */
    void write(long from, long generation, byte[] bytes) throws IOException;

    @Override
    void close() throws IOException;
  }
}
