package dev.gatehouse.cli;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.vault.KdfParams;
import picocli.CommandLine.Option;

/** The Argon2id options of every command that wraps the vault's master key anew (init, vault passwd, vault seal). */
final class KdfOptions {
  @Option(names = "--kdf-memory-mib", paramLabel = "N", description = "Argon2id memory in MiB (8 to 4096; default 64).")
  int memoryMib = KdfParams.DEFAULT.memoryKiB() / 1024;

  @Option(names = "--kdf-iterations", paramLabel = "N", description = "Argon2id passes (1 to 100; default 3).")
  int iterations = KdfParams.DEFAULT.iterations();

  /** The parameters asked for, refused (bad input, naming the option) below the floor new slots must meet. */
  KdfParams kdf() {
    try {
      if (memoryMib < 8 || memoryMib > 4096) {
        throw new IllegalArgumentException("--kdf-memory-mib must be 8 to 4096");
      }
      return new KdfParams(memoryMib * 1024, iterations, 1).requireStrongEnough();
    } catch (IllegalArgumentException e) {
      throw new BadInputException(e.getMessage());
    }
  }
}
