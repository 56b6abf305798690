package dev.gatehouse.testing;


import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real browser the dashboard tests drive: Debian's headless {@code chromium}, through the
 * npm package playwright-core (no browser download of its own: it is launched with
 * {@code executablePath} {@link #CHROMIUM}), installed once into target/npm and driven by the
 * scripts in src/test/js through a real {@code node}. Chromium, node and npm come from Debian
 * when missing ({@link DebianPackages}: skipped loudly where they cannot be installed, failed
 * under CI=true); a failed npm install always fails the test.
 */
public final class BrowserLibrary {
  public static final String PACKAGE = "playwright-core";
  public static final String VERSION = "1.65.2";
  public static final String CHROMIUM = "/usr/bin/chromium";

  private BrowserLibrary() {}

  /** Makes sure chromium, node and playwright-core are there. */
  public static void install() throws Exception {
    DebianPackages.require("chromium", "chromium");
    NpmPackages.install(PACKAGE, VERSION);
  }

  /**
   * Runs {@code script} of src/test/js with node, its input in the JSON file {@code config}
   * (passwords and codes travel in that file, never in argv or env), and returns what it printed.
   */
  public static Processes.Output run(String script, Path config, Duration limit) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(List.of("node", HttpSigLibrary.script(script).toString()));
    pb.environment().put("GATEHOUSE_BROWSER_INPUT", config.toString());
    pb.environment().put("NODE_PATH", HttpSigLibrary.PREFIX.resolve("node_modules").toString());
    pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return Processes.finish(pb.start(), limit, "node " + script);
  }
}
