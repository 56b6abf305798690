package dev.gatehouse.bench;

import dev.gatehouse.vault.Argon2id;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.KdfParams;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Vault costs at the default parameters, side by side with Debian's reference argon2 CLI in
 * the same run. Run with bench/vault.sh; see bench/README.md.
 */
@State(Scope.Benchmark)
public class VaultBench {
  private static final byte[] PASSWORD = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SALT = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private Path dir;
  private Vault unsealed;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("vault-bench");
    Vault v = new Vault(dir.resolve("vault.gh"), new SecureRandom(), Clock.systemUTC());
    v.create(new Credential.Password("pw".toCharArray()), KdfParams.DEFAULT);
    for (int i = 0; i < 20; i++) {
      v.put("service" + i + ".apikey", ("key-" + i + "-0123456789abcdef0123456789").getBytes(), false);
    }
    unsealed = v;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Argon2id alone, m = 64 MiB, t = 3, p = 1, through Bouncy Castle. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public byte[] argon2idBouncyCastle() {
    return Argon2id.derive(PASSWORD, SALT, KdfParams.DEFAULT, 32);
  }

  /** The same derivation by Debian's reference implementation (argon2 CLI), process start included. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public int argon2idReferenceCli() throws Exception {
    return run("printf 'correct horse battery staple' | argon2 0123456789abcdef0123456789abcdef -id -t 3 -m 16 -p 1 -l 32 -r >/dev/null");
  }

  /** What starting that process costs by itself, to subtract from the reference. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public int processStartBaseline() throws Exception {
    return run("printf 'x' | cat >/dev/null");
  }

  /** A full unlock: read and parse the file, derive, unwrap, verify the MAC and every data key. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public boolean unlockDefault() throws IOException {
    Vault v = new Vault(dir.resolve("vault.gh"), new SecureRandom(), Clock.systemUTC());
    v.unseal(new Credential.Password("pw".toCharArray()));
    return v.sealed();
  }

  /** Reading one secret from an unsealed vault (the file is re-read and re-verified each time). */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int revealOneEntry() throws IOException {
    try (SecretValue s = unsealed.reveal("service7.apikey", SecretAccess.get()).orElseThrow()) {
      return s.length();
    }
  }

  /** The raw file read that {@link #revealOneEntry} includes, as its floor. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int readVaultFileBaseline() throws IOException {
    return Files.readAllBytes(dir.resolve("vault.gh")).length;
  }

  private static int run(String shell) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", shell).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }
}
