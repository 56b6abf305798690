package dev.gatehouse.vault;

import java.util.HexFormat;

/**
 * Which vault file: its generation (from its authenticated header; 0 for a version 1 file)
 * and the SHA-256 of its bytes, as lower-case hex. Two files with the same generation and
 * different hashes are different files.
 */
public record VaultVersion(long generation, String sha256) {
  public VaultVersion {
    if (generation < 0) {
      throw new IllegalArgumentException("a vault generation is not negative");
    }
    if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("a vault hash is 64 lower-case hex digits");
    }
  }

  static VaultVersion of(long generation, byte[] sha256) {
    return new VaultVersion(generation, HexFormat.of().formatHex(sha256));
  }

  /** {@code generation N (sha256 0123456789ab…)}, for messages. */
  public String describe() {
    return "generation " + generation + " (sha256 " + sha256.substring(0, 16) + "…)";
  }
}
