package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The independent RFC 9421 implementation tests sign with: the npm package
 * http-message-signatures 1.0.6, installed once into target/npm and driven by the scripts in
 * src/test/js through a real {@code node}. Node and npm come from Debian when missing
 * ({@link DebianPackages}: skipped loudly where they cannot be installed, failed under
 * CI=true); a failed npm install always fails the test.
 */
public final class HttpSigLibrary {
  public static final String PACKAGE = "http-message-signatures";
  public static final String VERSION = "1.0.6";
  public static final Path PREFIX = Path.of("target", "npm").toAbsolutePath();

  private HttpSigLibrary() {}

  /** Makes sure node and the package are there. */
  public static synchronized void install() throws Exception {
    DebianPackages.require("node", "nodejs"); // Node.js 18 or newer
    Path pkg = PREFIX.resolve("node_modules").resolve(PACKAGE).resolve("package.json");
    if (Files.exists(pkg) && new ObjectMapper().readTree(pkg.toFile()).path("version").asText().equals(VERSION)) {
      return;
    }
    DebianPackages.require("npm", "npm");
    Files.createDirectories(PREFIX);
    Process p = new ProcessBuilder(List.of("npm", "install", "--prefix", PREFIX.toString(), "--no-audit", "--no-fund",
        PACKAGE + "@" + VERSION)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(5), "npm install " + PACKAGE);
    if (r.exit() != 0 || !Files.exists(pkg)) {
      fail("npm install " + PACKAGE + "@" + VERSION + " failed (exit " + r.exit() + "): " + r.err());
    }
  }

  /** A script of src/test/js. */
  public static Path script(String name) {
    return Path.of("src", "test", "js", name).toAbsolutePath();
  }
}
