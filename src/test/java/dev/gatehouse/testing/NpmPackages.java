package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * npm packages the tests drive through a real {@code node}, installed at an exact version into
 * target/npm ({@link #PREFIX}) once. Node and npm come from Debian when missing
 * ({@link DebianPackages}: skipped loudly where they cannot be installed, failed under
 * CI=true); a failed npm install always fails the test.
 */
public final class NpmPackages {
  public static final Path PREFIX = Path.of("target", "npm").toAbsolutePath();
  /** The reference MCP SDK, whose clients the MCP faces (stdio and /mcp) are tested with. */
  public static final String MCP_SDK = "@modelcontextprotocol/sdk";
  public static final String MCP_SDK_VERSION = "1.32.2";

  private NpmPackages() {}

  /** Makes sure node and {@code name} at exactly {@code version} are there. */
  public static synchronized void install(String name, String version) throws Exception {
    DebianPackages.require("node", "nodejs"); // Node.js 18 or newer
    Path pkg = PREFIX.resolve("node_modules").resolve(name).resolve("package.json");
    if (Files.exists(pkg) && new ObjectMapper().readTree(pkg.toFile()).path("version").asText().equals(version)) {
      return;
    }
    DebianPackages.require("npm", "npm");
    Files.createDirectories(PREFIX);
    Process p = new ProcessBuilder(List.of("npm", "install", "--prefix", PREFIX.toString(), "--no-audit", "--no-fund",
        name + "@" + version)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(5), "npm install " + name);
    if (r.exit() != 0 || !Files.exists(pkg)) {
      fail("npm install " + name + "@" + version + " failed (exit " + r.exit() + "): " + r.err());
    }
  }

  /** The file {@code path} inside the installed package {@code name}. */
  public static Path file(String name, String path) {
    return PREFIX.resolve("node_modules").resolve(name).resolve(path);
  }
}
