package dev.gatehouse.testing;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.KdfParams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/** A real home with a real vault in a temporary folder, opened the way the CLI opens it. */
public final class TestHome {
  public static final String PASSWORD = "test-password";
  /** Fast key derivation for tests; same format and code path as the default. */
  public static final KdfParams FAST_KDF = new KdfParams(256, 1, 1);

  private TestHome() {}

  public static Path create(Path tempDir) {
    Path dir = tempDir.resolve("home");
    try (Credential pw = new Credential.Password(PASSWORD.toCharArray())) {
      Gatehouse.init(dir, pw, FAST_KDF, Clock.systemUTC(), new SecureRandom());
    }
    return dir;
  }

  /** A fresh composition over the same files, vault unsealed: what a restarted process sees. */
  public static Gatehouse open(Path dir, Clock clock) {
    return open(dir, clock, PASSWORD);
  }

  public static Gatehouse open(Path dir, Clock clock, String password) {
    Gatehouse g = Gatehouse.open(dir, clock, new SecureRandom());
    try (Credential pw = new Credential.Password(password.toCharArray())) {
      g.unseal(pw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return g;
  }

  /** Every trust domain at full autonomy: for tests of what runs, not of trust (a new home starts at 0). */
  public static void fullTrust(Gatehouse g) {
    try {
      var trust = g.trust();
      for (dev.gatehouse.trust.Domain d : dev.gatehouse.trust.Domain.values()) {
        trust.set(d, dev.gatehouse.trust.Level.FULL, "cli:test", "tests of the broker run at full trust");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code services/svc.yaml} into the home {@code dir}: one service at {@code baseUrl}
   * (loopback allowed), its credential the vault entry {@code svc.apikey} in header X-Api-Key,
   * and one action, {@code svc.search}, GET /api/search?term={q}.
   */
  public static void writeSearchService(Path dir, String baseUrl) throws IOException {
    var ownerOnlyDir = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Path services = java.nio.file.Files.createDirectory(dir.resolve(dev.gatehouse.broker.Catalog.DIR), ownerOnlyDir);
    Path f = services.resolve("svc.yaml");
    java.nio.file.Files.writeString(f, "service: svc\n"
        + "base_url: " + baseUrl + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: header, name: X-Api-Key, secret: svc.apikey }\n"
        + "actions:\n"
        + "  search: { method: GET, path: /api/search, query: { term: \"{q}\" } }\n");
    java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
  }
}
