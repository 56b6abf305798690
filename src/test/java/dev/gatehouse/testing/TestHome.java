package dev.gatehouse.testing;

import dev.gatehouse.Gatehouse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/** A real home in a temporary folder, opened the way the CLI opens it. */
public final class TestHome {
  private TestHome() {}

  public static Path create(Path tempDir) {
    Path dir = tempDir.resolve("home");
    Gatehouse.init(dir);
    return dir;
  }

  /** A fresh composition over the same files: what a restarted process sees. */
  public static Gatehouse open(Path dir, Clock clock) {
    return Gatehouse.open(dir, clock, new SecureRandom());
  }
}
