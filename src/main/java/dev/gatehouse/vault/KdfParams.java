package dev.gatehouse.vault;

/**
 * Argon2id parameters (RFC 9106), stored in the vault file's header so they can be raised
 * later. The bounds keep a damaged or hostile header from asking for unbounded work.
 *
 * @param memoryKiB memory in KiB (8 MiB to 4 GiB for new vaults; see {@link #validateStored})
 * @param iterations passes over memory (t)
 * @param parallelism lanes (p)
 */
public record KdfParams(int memoryKiB, int iterations, int parallelism) {
  /** m = 64 MiB, t = 3, p = 1. */
  public static final KdfParams DEFAULT = new KdfParams(64 * 1024, 3, 1);
  public static final int MIN_MEMORY_KIB = 8 * 1024;
  public static final int MAX_MEMORY_KIB = 4 * 1024 * 1024;

  public KdfParams {
    if (parallelism < 1 || parallelism > 16) {
      throw new IllegalArgumentException("Argon2 parallelism must be 1 to 16");
    }
    if (iterations < 1 || iterations > 100) {
      throw new IllegalArgumentException("Argon2 iterations must be 1 to 100");
    }
    if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) {
      throw new IllegalArgumentException("Argon2 memory must be 8*p KiB to 4 GiB");
    }
  }

  /** The floor for parameters an owner chooses for a new or re-keyed vault. */
  public KdfParams requireStrongEnough() {
    if (memoryKiB < MIN_MEMORY_KIB) {
      throw new IllegalArgumentException("Argon2 memory below 8 MiB is too weak for a master password");
    }
    return this;
  }
}
