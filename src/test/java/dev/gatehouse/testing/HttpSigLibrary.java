package dev.gatehouse.testing;

import java.nio.file.Path;

/**
 * The independent RFC 9421 implementation tests sign with: the npm package
 * http-message-signatures 1.0.6, installed once into target/npm ({@link NpmPackages}) and
 * driven by the scripts in src/test/js through a real {@code node}.
 */
public final class HttpSigLibrary {
  public static final String PACKAGE = "http-message-signatures";
  public static final String VERSION = "1.0.6";
  public static final Path PREFIX = NpmPackages.PREFIX;

  private HttpSigLibrary() {}

  /** Makes sure node and the package are there. */
  public static void install() throws Exception {
    NpmPackages.install(PACKAGE, VERSION);
  }

  /** A script of src/test/js. */
  public static Path script(String name) {
    return Path.of("src", "test", "js", name).toAbsolutePath();
  }
}
