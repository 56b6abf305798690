package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start cache of .mvn/jvm-start.sh, through the installed launcher run as real processes
 * on a copy of the packaged jar laid out as install.sh lays it out.
 */
class StartCacheIT {
  private static final Path ROOT = Path.of(System.getProperty("user.dir"));
  private static final Path JAR = Path.of(System.getProperty("gatehouse.jar"));
  private static final Duration BUILD = Duration.ofMinutes(5);

  @TempDir
  Path temp;

  private Path opt;
  private Path jar;

  @BeforeEach
  void install() throws Exception {
    opt = temp.resolve("opt/gatehouse");
    Files.createDirectories(opt.resolve("bin"));
    Files.createDirectories(opt.resolve("share"));
    Files.copy(ROOT.resolve("packaging/gatehouse-launcher.sh"), opt.resolve("bin/gatehouse"));
    Files.setPosixFilePermissions(opt.resolve("bin/gatehouse"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.copy(ROOT.resolve(".mvn/find-jdk.sh"), opt.resolve("share/find-jdk.sh"));
    Files.copy(ROOT.resolve(".mvn/jvm-start.sh"), opt.resolve("share/jvm-start.sh"));
    jar = opt.resolve("gatehouse.jar");
    Files.copy(JAR, jar);
    Files.createSymbolicLink(opt.resolve("lib"), JAR.resolveSibling("lib"));
  }

  private static Processes.Output run(Duration limit, String... command) throws Exception {
    return runIn(ROOT, limit, command);
  }

  private static Processes.Output runIn(Path dir, Duration limit, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    return Processes.finish(p, limit, String.join(" ", command));
  }

  /** Runs {@code script} in bash with the installed share/ scripts sourced, $jar and $jdk set. */
  private Processes.Output shell(Duration limit, String script) throws Exception {
    return shell(opt, limit, script);
  }

  private static Processes.Output shell(Path opt, Duration limit, String script) throws Exception {
    return runIn(opt, limit, "bash", "-c", "set -euo pipefail; . share/find-jdk.sh; . share/jvm-start.sh; "
        + "jar=\"$PWD/gatehouse.jar\"; jdk=\"$(gatehouse_find_jdk)\"; cd /; " + script);
  }

  private Path cache() throws Exception {
    Processes.Output o = shell(Duration.ofSeconds(60), "gatehouse_start_cache \"$jdk\" \"$jar\"");
    assertThat(o.exit()).as(o.err()).isZero();
    assertThat(o.out().strip()).as("JDK 21 or newer has a start cache").isNotEmpty();
    return Path.of(o.out().strip());
  }

  /** Builds the cache as install.sh does: in the foreground. */
  private void build(Path cache) throws Exception {
    Processes.Output o = shell(BUILD, "gatehouse_build_cache \"$jdk\" \"$jar\" \"" + cache + "\" >/dev/null 2>&1");
    assertThat(o.exit()).as(o.out() + o.err()).isZero();
    assertThat(cache).isRegularFile();
  }

  /** The installed command's answer: exit code, standard output and standard error. */
  private Processes.Output gatehouse(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("env", "-u", "JAVA_HOME", "-u", "GATEHOUSE_HOME", opt.resolve("bin/gatehouse").toString()));
    cmd.addAll(List.of(args));
    return run(Duration.ofSeconds(120), cmd.toArray(String[]::new));
  }

  /** The JVM options the launcher chooses for {@code args}, one a line. */
  private String options(String args) throws Exception {
    Processes.Output o = shell(Duration.ofSeconds(60), "gatehouse_jvm_options \"$jdk\" \"$jar\" " + args
        + "; printf '%s\\n' \"${GATEHOUSE_JVM_OPTS[@]}\"");
    assertThat(o.exit()).as(o.err()).isZero();
    return o.out();
  }

  /** True when the JVM itself accepts {@code cache} for the jar (it refuses to start otherwise). */
  private boolean jvmAccepts(Path cache) throws Exception {
    String use = cache.toString().endsWith(".aot") ? "-XX:AOTMode=on -XX:AOTCache=" + cache
        : "-Xshare:on -XX:SharedArchiveFile=" + cache;
    Processes.Output o = shell(Duration.ofSeconds(120), "gatehouse_short_run_options \"$jdk\"; \"$jdk/bin/java\" "
        + "\"${GATEHOUSE_JVM_OPTS[@]}\" " + use + " -jar \"$jar\" call --help");
    return o.exit() == 0;
  }

  private static final List<List<String>> COMMANDS = List.of(List.of("--version"), List.of("call", "--help"),
      List.of("nosuchcommand"));

  @Test
  void aCorruptOrTruncatedCache_givesTheAnswerOfNoCache_withNothingAdded() throws Exception {
    Path cache = cache();
    // No cache, and none made meanwhile: the stamp a failed build leaves.
    Files.writeString(Path.of(cache + ".failed"), "");
    List<Processes.Output> plain = new ArrayList<>();
    for (List<String> c : COMMANDS) {
      plain.add(gatehouse(c.toArray(String[]::new)));
    }
    assertThat(plain.get(0).exit()).isZero();
    assertThat(plain.get(1).out()).contains("Usage: gatehouse call");
    assertThat(plain.get(2).exit()).isEqualTo(2);

    build(cache);
    assertThat(options("call --help")).contains(cache.toString());
    assertThat(jvmAccepts(cache)).as("the cache built is one the JVM takes").isTrue();
    byte[] good = Files.readAllBytes(cache);
    byte[] noise = new byte[good.length];
    new SecureRandom().nextBytes(noise);

    for (String kind : List.of("good", "truncated", "noise")) {
      switch (kind) {
        case "truncated" -> Files.write(cache, java.util.Arrays.copyOf(good, good.length / 3));
        case "noise" -> Files.write(cache, noise);
        default -> { }
      }
      assertThat(options("call --help")).as(kind).contains(cache.toString());
      for (int i = 0; i < COMMANDS.size(); i++) {
        Processes.Output o = gatehouse(COMMANDS.get(i).toArray(String[]::new));
        assertThat(o).as(kind + " " + COMMANDS.get(i)).isEqualTo(plain.get(i));
      }
    }
  }

  @Test
  void aNewerJar_getsItsOwnCacheBuilt_whileTheCommandRunsWithoutOne() throws Exception {
    Path old = cache();
    build(old);
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
    Path cache = cache();
    assertThat(cache).isNotEqualTo(old);
    // Why the launcher names the cache after the jar: the JVM does not refuse the old one.
    assertThat(jvmAccepts(old)).as("the JVM alone takes the old cache for the touched jar").isTrue();
    Path failed = Path.of(cache + ".failed"); // no build while options() are looked at
    Files.writeString(failed, "");
    assertThat(options("call --help")).as("the launcher does not")
        .doesNotContain(old.toString()).doesNotContain(cache.toString()).contains("-XX:TieredStopAtLevel=1");
    Files.delete(failed);

    Processes.Output o = gatehouse("--version");
    assertThat(o.exit()).as(o.err()).isZero();
    assertThat(o.out()).startsWith("gatehouse ");
    assertThat(o.err()).isEmpty();
    // The command started the build and did not wait for it (Processes.finish reads both
    // streams to their end: the builder holds neither). The builder holds the lock until done.
    Instant deadline = Instant.now().plus(BUILD);
    while (!Files.exists(cache) && Instant.now().isBefore(deadline)) {
      run(BUILD, "flock", cache + ".lock", "true");
    }
    run(BUILD, "flock", cache + ".lock", "true");
    assertThat(cache).as("built").isRegularFile();
    assertThat(jvmAccepts(cache)).as("the new cache fits the new jar").isTrue();
    assertThat(options("--version")).contains(cache.toString());
    try (var left = Files.list(opt)) {
      assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("gatehouse-")))
          .as("the old jar's cache removed, no temporary left")
          .allMatch(n -> n.startsWith(cache.getFileName().toString()) && !n.contains(".tmp"));
    }
  }

  @Test
  void aCacheOthersMayWrite_isNotUsed_andServeNeverUsesOne() throws Exception {
    Path cache = cache();
    build(cache);
    assertThat(cache.getFileName().toString()).as("named after the JDK, the jar and lib/")
        .matches("gatehouse-[A-Za-z0-9._-]+-\\d+\\.\\d{9}-\\d+-\\d+-\\d+\\.\\d{9}-\\d+-\\d+\\.(aot|jsa)");
    assertThat(options("call --help")).contains(cache.toString());
    for (String mode : List.of("rw-rw-r--", "rw-r--rw-")) {
      Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString(mode));
      assertThat(options("call --help")).as(mode).doesNotContain(cache.toString()).contains("-XX:TieredStopAtLevel=1");
    }
    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-r--r--"));
    if ("root".equals(System.getProperty("user.name"))) {
      run(Duration.ofSeconds(10), "chown", "nobody", cache.toString());
      assertThat(options("call --help")).as("another owner's").doesNotContain(cache.toString());
      run(Duration.ofSeconds(10), "chown", "root", cache.toString());
    }
    assertThat(options("--home /h --password-file /p serve --port 1")).isBlank();
    assertThat(options("--home /h call -a x.y")).contains(cache.toString());
  }
}
