package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits for a child process with a real hang guard: both of its outputs are read on threads
 * of their own (a full pipe cannot stall it), and a child still running after the limit is
 * killed and the test fails, naming it, instead of hanging the build.
 */
public final class Processes {
  private Processes() {}

  /** What a finished child printed, and its exit code. */
  public record Output(int exit, String out, String err) {}

  public static Output finish(Process p, Duration limit, String what) throws Exception {
    CompletableFuture<String> out = readAsync(p.getInputStream());
    CompletableFuture<String> err = readAsync(p.getErrorStream());
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail(what + " did not finish within " + limit + "; output so far: " + out.getNow("?") + err.getNow(""));
    }
    // A grandchild that kept the pipes open must not hang the test either.
    return new Output(p.exitValue(), out.get(30, TimeUnit.SECONDS), err.get(30, TimeUnit.SECONDS));
  }

  private static CompletableFuture<String> readAsync(InputStream in) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try (in) {
        f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        f.completeExceptionally(new UncheckedIOException(e));
      }
    });
    return f;
  }
}
