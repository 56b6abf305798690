package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Commands a test needs from a Debian package. A command already on PATH is used as it is;
 * otherwise, as root with apt-get, the package is installed (after a failure the package lists
 * are refreshed and the install tried once more). A test that still lacks the command is
 * skipped, loudly and naming the package and why; with CI=true it fails instead, because CI
 * runs as root with apt-get and a missing package there is a real fault.
 */
public final class DebianPackages {
  private static final Duration APT_LIMIT = Duration.ofMinutes(10);
  /** Why a package could not be installed: apt-get is tried once per package and JVM. */
  private static final Map<String, String> FAILED = new HashMap<>();

  private DebianPackages() {}

  /** Returns when {@code command} is on PATH (installing {@code pkg} if needed); else skips, or fails under CI=true. */
  public static void require(String command, String pkg) throws Exception {
    require("`" + command + "`", () -> onPath(command), pkg);
  }

  /**
   * Returns when {@code present} holds (installing {@code pkg} if needed); else skips, or fails
   * under CI=true. {@code what} names what is looked for, in messages.
   */
  public static void require(String what, java.util.function.BooleanSupplier present, String pkg) throws Exception {
    Optional<String> why = install(what, present, pkg);
    if (why.isPresent()) {
      String message = "needs " + what + " from the Debian package " + pkg + ": " + why.get();
      if ("true".equals(System.getenv("CI"))) {
        fail(message + " (CI=true: a missing package is a failure here)");
      }
      Assumptions.abort("SKIPPED, " + message);
    }
  }

  /**
   * Installs {@code pkg} if {@code command} is not on PATH; neither skips nor fails. Empty when
   * the command is there afterwards, else why not (also printed to stderr, once).
   */
  public static Optional<String> install(String command, String pkg) throws Exception {
    return install("`" + command + "`", () -> onPath(command), pkg);
  }

  private static synchronized Optional<String> install(String what, java.util.function.BooleanSupplier present,
      String pkg) throws Exception {
    if (present.getAsBoolean()) {
      return Optional.empty();
    }
    if (!FAILED.containsKey(pkg)) {
      String why = tryInstall(what, present, pkg);
      if (why == null) {
        return Optional.empty();
      }
      FAILED.put(pkg, why);
      System.err.printf("""

          ****************************************************************
          *  %s (Debian package %s) is missing: %s
          *  Tests that need it are SKIPPED (or fail with CI=true).
          ****************************************************************
          %n""", what, pkg, why);
    }
    return Optional.of(FAILED.get(pkg));
  }

  /** Null when {@code present} holds afterwards, else why not. */
  private static String tryInstall(String what, java.util.function.BooleanSupplier present, String pkg)
      throws Exception {
    if (!isRoot()) {
      return "it is not there, and this is not root, so apt-get cannot install it";
    }
    if (!onPath("apt-get")) {
      return "it is not there, and apt-get is not on PATH";
    }
    System.err.println("DebianPackages: installing " + pkg + " (apt-get install -y -qq " + pkg + ") ...");
    Processes.Output r = apt("install", "-y", "-qq", pkg);
    if (r.exit() != 0) {
      // The package lists may be missing or stale (a fresh container): refresh them once and retry.
      Processes.Output update = apt("update", "-qq");
      if (update.exit() != 0) {
        return "apt-get install failed, and so did apt-get update (exit " + update.exit() + "): " + tail(update);
      }
      r = apt("install", "-y", "-qq", pkg);
    }
    if (r.exit() != 0) {
      return "apt-get install -y -qq " + pkg + " failed (exit " + r.exit() + "), also after apt-get update: "
          + tail(r);
    }
    return present.getAsBoolean() ? null : "apt-get installed " + pkg + " but " + what + " is still not there";
  }

  private static Processes.Output apt(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("apt-get"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    return Processes.finish(pb.start(), APT_LIMIT, String.join(" ", cmd));
  }

  private static String tail(Processes.Output r) {
    String all = (r.out() + r.err()).strip();
    return all.substring(Math.max(0, all.length() - 400));
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  static boolean isRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
