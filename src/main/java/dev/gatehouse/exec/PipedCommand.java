package dev.gatehouse.exec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program the owner configured (the Telegram bridge's agent, a notification command),
 * not one an agent asked for: {@link CommandRunner} is for those.
 *
 * <p>Guarantees of {@link #run}: {@code argv} is executed directly (no shell); the environment
 * is only {@link #PASSED_ENV} of {@code daemonEnv} ({@code PATH} defaulting to
 * {@link CommandRunner#PATH}); the working folder is {@code $HOME} (else {@code /}); standard
 * input is {@code input}, then closed; standard error is discarded; at most
 * {@code maxOutputBytes} + 1 bytes of standard output are kept (none read when 0: it is
 * discarded). Past {@code timeout}, or when the calling thread is interrupted, the program and
 * its descendants are killed before {@link #run} returns. (What it leaves running after it
 * exits is no longer its descendant and is not tracked: there is no cgroup here.)
 */
public record PipedCommand(List<String> argv, Duration timeout, Map<String, String> daemonEnv) {
  /** The only variables of the daemon's environment a command sees; none of them is a secret of Gatehouse. */
  public static final List<String> PASSED_ENV = List.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ");

  public PipedCommand {
    argv = List.copyOf(argv);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("argv is empty");
    }
    daemonEnv = Map.copyOf(daemonEnv);
  }

  /**
   * How a run ended. {@code startFailure} is set (and nothing ran) when the program could not
   * be started; else {@code timedOut}, or {@code exitCode} with the first bytes of {@code output}.
   */
  public record Result(String startFailure, boolean timedOut, int exitCode, byte[] output) {}

  /** @throws InterruptedException if the calling thread was interrupted (the program is killed first) */
  public Result run(byte[] input, int maxOutputBytes) throws InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    for (String name : PASSED_ENV) {
      String v = daemonEnv.get(name);
      if (v != null) {
        pb.environment().put(name, v);
      }
    }
    pb.environment().putIfAbsent("PATH", CommandRunner.PATH);
    String home = daemonEnv.get("HOME");
    pb.directory((home != null && Path.of(home).isAbsolute() ? Path.of(home) : Path.of("/")).toFile());
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    if (maxOutputBytes == 0) {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Result("cannot start " + argv.get(0) + " (" + e.getClass().getSimpleName() + ")", false, -1,
          new byte[0]);
    }
    try {
      Thread writer = Thread.ofVirtual().start(() -> {
        try (OutputStream in = p.getOutputStream()) {
          in.write(input);
        } catch (IOException ignored) {
          // the command did not read its input: its output (or exit code) says the rest
        }
      });
      var out = new ByteArrayOutputStream();
      Thread reader = maxOutputBytes == 0 ? null : Thread.ofVirtual().start(() -> {
        try (InputStream o = p.getInputStream()) {
          byte[] buf = new byte[8192];
          for (int n; (n = o.read(buf)) >= 0; ) {
            synchronized (out) {
              if (out.size() <= maxOutputBytes) {
                out.write(buf, 0, Math.min(n, maxOutputBytes + 1 - out.size()));
              }
            }
          }
        } catch (IOException ignored) {
          // the pipe broke: what was read is the output so far
        }
      });
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        return new Result(null, true, -1, new byte[0]);
      }
      writer.join();
      if (reader != null) {
        reader.join(Duration.ofSeconds(5)); // a process it left holding stdout open does not hold the caller up
      }
      synchronized (out) {
        return new Result(null, false, p.exitValue(), out.toByteArray());
      }
    } finally {
      if (p.isAlive()) {
        kill(p); // interrupted
      }
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  @Override
  public String toString() {
    return "PipedCommand[" + argv.get(0) + "]";
  }
}
