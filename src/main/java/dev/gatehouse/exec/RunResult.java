package dev.gatehouse.exec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * How a command went.
 *
 * @param exitCode the command's exit status; {@code 128 + N} if it was ended by signal N (as a
 *     shell reports it), so 137 for SIGKILL and 143 for SIGTERM
 * @param stdout the first bytes of its standard output, at most {@link RunSpec#maxOutputBytes}
 * @param stderr the first bytes of its standard error, at most {@link RunSpec#maxOutputBytes}
 * @param stdoutTruncated whether {@code stdout} is not the whole output (more was written and
 *     discarded, or the stream was still open when the run ended)
 * @param stderrTruncated the same for {@code stderr}
 * @param timedOut whether the command was stopped because it reached its timeout
 * @param duration from just before the start to the end of the run, on a monotonic clock
 */
public record RunResult(int exitCode, byte[] stdout, byte[] stderr, boolean stdoutTruncated,
    boolean stderrTruncated, boolean timedOut, Duration duration) {

  public RunResult {
    stdout = Objects.requireNonNull(stdout, "stdout").clone();
    stderr = Objects.requireNonNull(stderr, "stderr").clone();
    Objects.requireNonNull(duration, "duration");
  }

  /** A copy of the kept standard output. */
  @Override
  public byte[] stdout() {
    return stdout.clone();
  }

  /** A copy of the kept standard error. */
  @Override
  public byte[] stderr() {
    return stderr.clone();
  }

  /** The kept standard output as UTF-8; malformed sequences become U+FFFD. */
  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  /** The kept standard error as UTF-8; malformed sequences become U+FFFD. */
  public String stderrText() {
    return new String(stderr, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RunResult r
        && exitCode == r.exitCode
        && Arrays.equals(stdout, r.stdout)
        && Arrays.equals(stderr, r.stderr)
        && stdoutTruncated == r.stdoutTruncated
        && stderrTruncated == r.stderrTruncated
        && timedOut == r.timedOut
        && duration.equals(r.duration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(exitCode, Arrays.hashCode(stdout), Arrays.hashCode(stderr),
        stdoutTruncated, stderrTruncated, timedOut, duration);
  }

  /** Sizes only: output may be large or sensitive. */
  @Override
  public String toString() {
    return "RunResult[exitCode=" + exitCode + ", stdout=" + stdout.length + " bytes"
        + (stdoutTruncated ? " (truncated)" : "") + ", stderr=" + stderr.length + " bytes"
        + (stderrTruncated ? " (truncated)" : "") + ", timedOut=" + timedOut
        + ", duration=" + duration + "]";
  }
}
