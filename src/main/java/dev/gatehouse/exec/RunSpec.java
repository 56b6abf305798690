package dev.gatehouse.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What to run: one command, never given to a shell.
 *
 * <p>{@code argv.get(0)} is the absolute path of the program; every element reaches the
 * program as one literal argument. Validated when built: {@code argv} is non-empty, its first
 * element is an absolute path, no element holds a NUL character, {@code timeout} is positive
 * and {@code maxOutputBytes} is positive. The list is copied. Whether {@code argv.get(0)} is an
 * existing regular file is checked by {@link CommandRunner#run}, when it is about to run.
 *
 * @param argv the program and its arguments
 * @param timeout how long the command may run before it is stopped
 * @param maxOutputBytes how many bytes of stdout, and separately of stderr, are kept
 * @param sandbox whether the command must run in the sandbox (see {@link CommandRunner})
 */
public record RunSpec(List<String> argv, Duration timeout, int maxOutputBytes, boolean sandbox) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
  /** Per stream. */
  public static final int DEFAULT_MAX_OUTPUT = 1 << 20;

  public RunSpec {
    Objects.requireNonNull(argv, "argv");
    Objects.requireNonNull(timeout, "timeout");
    argv = List.copyOf(argv); // also refuses null elements
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("argv is empty");
    }
    for (int i = 0; i < argv.size(); i++) {
      if (argv.get(i).indexOf('\0') >= 0) {
        throw new IllegalArgumentException("argv[" + i + "] holds a NUL character");
      }
    }
    if (!Path.of(argv.get(0)).isAbsolute()) {
      throw new IllegalArgumentException("argv[0] must be an absolute path: " + argv.get(0));
    }
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (maxOutputBytes <= 0) {
      throw new IllegalArgumentException("maxOutputBytes must be positive: " + maxOutputBytes);
    }
  }
}
