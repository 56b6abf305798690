package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The ./gatehouse launcher and ./mvnw, run as a new user would on this machine kind. */
class LauncherIT {
  private static final Path ROOT = Path.of(System.getProperty("user.dir"));

  private static String[] run(String script) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", script).directory(ROOT.toFile()).redirectErrorStream(true).start();
    Processes.Output o = Processes.finish(p, Duration.ofSeconds(120), "bash -c '" + script + "'");
    return new String[] {Integer.toString(o.exit()), o.out()};
  }

  @Test
  void launcher_findsAJdk21OrNewer_byItself_evenWhenJavaHomeAndPathPointAtAnOlderOne() throws Exception {
    Path old = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    String javaHome = Files.isDirectory(old) ? old.toString() : "";
    String[] r = run("env -u GATEHOUSE_HOME JAVA_HOME=" + javaHome + " PATH=/usr/bin:/bin ./gatehouse --version");
    assertThat(r[0]).as(r[1]).isEqualTo("0");
    assertThat(r[1]).startsWith("gatehouse ");
  }

  @Test
  void withoutAnyJdk21_launcherAndBuild_failAtOnce_withOneLine() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      DebianPackages.require("unshare", "util-linux");
    }
    boolean canHide = root && run("unshare -m true")[0].equals("0");
    if (!canHide) {
      System.err.println("*** LauncherIT: cannot hide the installed JDKs here (needs root and unshare); skipped ***");
    }
    Assumptions.assumeTrue(canHide, "needs root and unshare to hide /usr/lib/jvm");
    // A private mount namespace where /usr/lib/jvm is empty: no JDK anywhere.
    String hide = "unshare -m bash -c 'mount -t tmpfs none /usr/lib/jvm && env -u JAVA_HOME PATH=/usr/bin:/bin ";
    String[] launcher = run(hide + "./gatehouse --version'");
    assertThat(launcher[0]).isEqualTo("4");
    assertThat(launcher[1].strip()).doesNotContain("\n")
        .startsWith("gatehouse: needs a JDK 21 or newer").contains("apt-get install openjdk-21-jdk-headless");
    String[] build = run(hide + "./mvnw -q verify'");
    assertThat(build[0]).isEqualTo("1");
    assertThat(build[1].strip()).doesNotContain("\n").startsWith("mvnw: Gatehouse needs a JDK 21 or newer");
  }
}
