package dev.gatehouse.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * packaging/install.sh run into a temporary root (--prefix), the installed launcher run, and
 * the unit file checked by systemd-analyze. Never run without --prefix: as root that would
 * install on this machine.
 */
class ServiceInstallIT {
  private static final Path ROOT = Path.of(System.getProperty("user.dir"));
  private static final Path JAR = Path.of(System.getProperty("gatehouse.jar", "target/gatehouse.jar")).toAbsolutePath();
  private static final Path INSTALL = ROOT.resolve("packaging/install.sh");
  private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for gatehouse\\.service: (\\d+\\.\\d+) (\\S+)");

  @TempDir
  Path prefix;

  private static Processes.Output run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    return Processes.finish(p, Duration.ofSeconds(120), String.join(" ", command));
  }

  private Processes.Output install(String... more) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", INSTALL.toString(), "--prefix", prefix.toString(), "--jar", JAR.toString()));
    cmd.addAll(List.of(more));
    Processes.Output o = run(cmd.toArray(String[]::new));
    assertThat(o.exit()).as(o.out() + o.err()).isZero();
    return o;
  }

  private Processes.Output uninstall(String... more) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", INSTALL.toString(), "--prefix", prefix.toString(), "--uninstall"));
    cmd.addAll(List.of(more));
    Processes.Output o = run(cmd.toArray(String[]::new));
    assertThat(o.exit()).as(o.out() + o.err()).isZero();
    return o;
  }

  /** Every entry under {@code dir}: type, mode, owner, size, modification time, content hash or link target. */
  private static Map<String, String> tree(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String what = a.isSymbolicLink() ? "link " + Files.readSymbolicLink(p)
            : a.isDirectory() ? "dir"
            : "file " + a.size() + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        out.put(dir.relativize(p).toString(), what + " " + PosixFilePermissions.toString(a.permissions()) + " "
            + a.owner().getName() + " " + (a.isDirectory() ? "" : a.lastModifiedTime().toMillis()));
      }
    }
    return out;
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void install_twice_secondRunChangesNothing_andTheInstalledLauncherRuns() throws Exception {
    Processes.Output first = install();
    assertThat(first.out()).contains("installed " + prefix + "/opt/gatehouse/gatehouse.jar")
        .contains("made the home " + prefix + "/var/lib/gatehouse (mode 0700)");
    Path opt = prefix.resolve("opt/gatehouse");
    assertThat(mode(opt.resolve("bin/gatehouse"))).isEqualTo("rwxr-xr-x");
    assertThat(mode(opt.resolve("gatehouse.jar"))).isEqualTo("rw-r--r--");
    assertThat(Files.mismatch(opt.resolve("gatehouse.jar"), JAR)).isEqualTo(-1);
    try (Stream<Path> libs = Files.list(JAR.resolveSibling("lib"))) {
      for (Path lib : libs.toList()) {
        assertThat(Files.mismatch(opt.resolve("lib").resolve(lib.getFileName()), lib)).as(lib.toString()).isEqualTo(-1);
      }
    }
    Path unit = prefix.resolve("etc/systemd/system/gatehouse.service");
    assertThat(Files.mismatch(unit, ROOT.resolve("packaging/gatehouse.service"))).isEqualTo(-1);
    assertThat(mode(unit)).isEqualTo("rw-r--r--");
    assertThat(Files.readSymbolicLink(prefix.resolve("usr/local/bin/gatehouse"))).isEqualTo(Path.of("/opt/gatehouse/bin/gatehouse"));
    Path home = prefix.resolve("var/lib/gatehouse");
    assertThat(Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(mode(home)).isEqualTo("rwx------");
    try (Stream<Path> inHome = Files.list(home)) {
      assertThat(inHome).isEmpty(); // `gatehouse init` takes an empty home over
    }

    Map<String, String> before = tree(prefix);
    Processes.Output second = install();
    assertThat(second.out()).contains("nothing to change").doesNotContain("installed ").doesNotContain("made the home");
    assertThat(tree(prefix)).isEqualTo(before);

    // The installed launcher finds a JDK >= 21 on its own and runs the installed jar with its libraries.
    Processes.Output version = run("env", "-u", "GATEHOUSE_HOME", "-u", "JAVA_HOME", "PATH=/usr/bin:/bin",
        opt.resolve("bin/gatehouse").toString(), "--version");
    assertThat(version.exit()).as(version.err()).isZero();
    assertThat(version.out()).startsWith("gatehouse ");
  }

  @Test
  void anExistingHome_isNeverChanged_uninstallKeepsIt_andOnlyPurgeRemovesIt() throws Exception {
    install();
    Path home = prefix.resolve("var/lib/gatehouse");
    Path launcher = prefix.resolve("opt/gatehouse/bin/gatehouse");
    // A real home in it, made as the service's would be: sealed mode, by the installed launcher.
    Processes.Output init = run("env", "-u", "GATEHOUSE_HOME", launcher.toString(), "--home", home.toString(), "init", "--sealed");
    Assumptions.assumeTrue(init.exit() == 0 || !init.err().contains("machine id"), "no /etc/machine-id here: " + init.err());
    assertThat(init.exit()).as(init.err()).isZero();
    Files.writeString(home.resolve("gatehouse.yaml"), "\n# the owner's own line\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    Map<String, String> homeBefore = tree(home);

    // An upgrade over a changed install: files put right, a library no longer shipped dropped, the home untouched.
    Path unit = prefix.resolve("etc/systemd/system/gatehouse.service");
    Files.writeString(unit, "[Service]\nExecStart=/bin/false\n");
    Path stale = prefix.resolve("opt/gatehouse/lib/gone-1.0.jar");
    Files.writeString(stale, "old");
    Processes.Output upgrade = install();
    assertThat(upgrade.out()).contains("installed " + unit).contains("removed " + stale);
    assertThat(Files.mismatch(unit, ROOT.resolve("packaging/gatehouse.service"))).isEqualTo(-1);
    assertThat(stale).doesNotExist();
    assertThat(tree(home)).isEqualTo(homeBefore);

    Processes.Output removed = uninstall();
    assertThat(removed.out()).contains("kept " + home).contains("--purge");
    assertThat(prefix.resolve("opt/gatehouse")).doesNotExist();
    assertThat(unit).doesNotExist();
    assertThat(prefix.resolve("usr/local/bin/gatehouse")).doesNotExist();
    assertThat(tree(home)).isEqualTo(homeBefore);

    install(); // a reinstall finds the home and leaves it be
    assertThat(tree(home)).isEqualTo(homeBefore);
    Processes.Output status = run("env", "-u", "GATEHOUSE_HOME", launcher.toString(), "--home", home.toString(), "vault", "status");
    assertThat(status.exit()).as(status.out() + status.err()).isZero();

    Processes.Output purged = uninstall("--purge");
    assertThat(purged.out()).contains("purged " + home);
    assertThat(home).doesNotExist();
  }

  /**
   * The install as root on a system, in a private mount namespace: a copy of /etc and empty
   * /opt, /usr/local/bin and /var/lib, so the user it makes and the files it writes vanish
   * with the namespace. The script checks it is in that copy before install.sh runs.
   */
  private static final String SYSTEM_INSTALL = """
      set -euo pipefail
      PATH="$PATH:/usr/sbin:/sbin"
      scratch="$1"; repo="$2"; jar="$3"
      cp -a /etc "$scratch/etc"
      touch "$scratch/etc/.gatehouse-test-copy"
      mount --bind "$scratch/etc" /etc
      for d in /opt /usr/local/bin /var/lib; do mount -t tmpfs -o mode=0755 none "$d"; done
      if [ ! -e /etc/.gatehouse-test-copy ] || [ -n "$(ls -A /opt)" ] || [ -n "$(ls -A /var/lib)" ]; then
        echo "NOT ISOLATED"; exit 97
      fi
      cd /
      state() { find /opt/gatehouse /etc/systemd/system/gatehouse.service /usr/local/bin/gatehouse /var/lib/gatehouse \
          -printf '%p %u %g %m %s %T@ %l\n' | sort; }
      bash "$repo/packaging/install.sh" --jar "$jar"
      echo "USER $(getent passwd gatehouse)"
      stat -c 'OWNER %n %U:%G %a' /var/lib/gatehouse /opt/gatehouse/bin/gatehouse /opt/gatehouse/gatehouse.jar \
          /etc/systemd/system/gatehouse.service
      runuser -u gatehouse -- /opt/gatehouse/bin/gatehouse --home /var/lib/gatehouse init --sealed >/dev/null
      before="$(state | sha256sum)"
      bash "$repo/packaging/install.sh" --jar "$jar"
      [ "$before" = "$(state | sha256sum)" ] && echo "SECOND RUN SAME"
      bash "$repo/packaging/install.sh" --uninstall
      id -u gatehouse >/dev/null && echo "USER KEPT"
      runuser -u gatehouse -- test -O /var/lib/gatehouse/vault.gh && echo "VAULT KEPT"
      bash "$repo/packaging/install.sh" --uninstall --purge
      id -u gatehouse >/dev/null 2>&1 || echo "USER GONE"
      [ -e /var/lib/gatehouse ] || echo "HOME GONE"
      """;

  @Test
  void asRoot_onASystem_makesTheUser_rootOwnsTheProgram_theUserOwnsTheHome() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      DebianPackages.require("unshare", "util-linux");
    }
    boolean isolated = root && run("unshare", "-m", "true").exit() == 0;
    if (!isolated) {
      System.err.println("*** ServiceInstallIT: cannot install as root in a private mount namespace here (needs root and unshare); skipped ***");
    }
    Assumptions.assumeTrue(isolated, "needs root and unshare -m");
    Path script = prefix.resolve("system-install.sh");
    Files.writeString(script, SYSTEM_INSTALL);
    Path scratch = Files.createDirectories(prefix.resolve("scratch"));
    Processes.Output o = run("unshare", "-m", "bash", script.toString(), scratch.toString(), ROOT.toString(), JAR.toString());
    assertThat(o.exit()).as(o.out() + o.err()).isZero();
    assertThat(o.out()).contains("install.sh: created the system user gatehouse")
        .containsPattern("USER gatehouse:x:\\d+:\\d+:Gatehouse service:/var/lib/gatehouse:/usr/sbin/nologin")
        .contains("OWNER /var/lib/gatehouse gatehouse:gatehouse 700", "OWNER /opt/gatehouse/bin/gatehouse root:root 755",
            "OWNER /opt/gatehouse/gatehouse.jar root:root 644", "OWNER /etc/systemd/system/gatehouse.service root:root 644")
        .contains("nothing to change: the install at / is up to date", "SECOND RUN SAME")
        .contains("kept the user gatehouse", "USER KEPT", "VAULT KEPT")
        .contains("removed the user gatehouse", "USER GONE", "HOME GONE");
  }

  @Test
  void purgeWithoutUninstall_andAMissingJar_areRefused_changingNothing() throws Exception {
    Processes.Output purge = run("bash", INSTALL.toString(), "--prefix", prefix.toString(), "--purge");
    assertThat(purge.exit()).isEqualTo(2);
    assertThat(purge.err()).contains("--purge goes with --uninstall");
    Processes.Output noJar = run("bash", INSTALL.toString(), "--prefix", prefix.toString(), "--jar", prefix.resolve("none.jar").toString());
    assertThat(noJar.exit()).isEqualTo(2);
    assertThat(noJar.err()).contains("no jar at " + prefix.resolve("none.jar"));
    try (Stream<Path> left = Files.list(prefix)) {
      assertThat(left).isEmpty();
    }
  }

  private static void requireOfflineAnalyzer() throws Exception {
    DebianPackages.require("systemd-analyze", "systemd");
    Processes.Output help = run("systemd-analyze", "security", "--help");
    if (!help.out().contains("--offline")) {
      System.err.println("*** ServiceInstallIT: this systemd-analyze has no `security --offline` (systemd < 250); skipped ***");
    }
    Assumptions.assumeTrue(help.out().contains("--offline"), "systemd-analyze security --offline needs systemd 250+");
  }

  private static double exposure(Path unit) throws Exception {
    Processes.Output o = run("systemd-analyze", "security", "--offline=true", "--no-pager", unit.toString());
    Matcher m = EXPOSURE.matcher(o.out());
    assertThat(m.find()).as("no overall exposure in: " + o.out() + o.err()).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void unit_exposureScore_isOk_atMost2_5_andIsTheOneTheDocsState() throws Exception {
    requireOfflineAnalyzer();
    install();
    double score = exposure(prefix.resolve("etc/systemd/system/gatehouse.service"));
    assertThat(score).isLessThanOrEqualTo(2.5);
    assertThat(Files.readString(ROOT.resolve("docs/service.md"))).contains("exposure level " + score + " OK");

    // The same reading of an unhardened unit: the analyzer and the parsing above can tell the difference.
    Path bare = Files.createDirectories(prefix.resolve("bare")).resolve("gatehouse.service");
    Files.writeString(bare, "[Service]\nUser=gatehouse\nExecStart=/opt/gatehouse/bin/gatehouse serve\n");
    assertThat(exposure(bare)).isGreaterThan(2.5);
  }

  @Test
  void unit_andPasswordDropIn_verifyCleanly() throws Exception {
    requireOfflineAnalyzer();
    install();
    // verify wants the programs to exist: a copy whose paths point into the temporary root.
    Path dir = Files.createDirectories(prefix.resolve("verify"));
    String unit = Files.readString(prefix.resolve("etc/systemd/system/gatehouse.service"))
        .replace("/opt/gatehouse/", prefix + "/opt/gatehouse/").replace("/var/lib/gatehouse", prefix + "/var/lib/gatehouse");
    Files.writeString(dir.resolve("gatehouse.service"), unit);
    String dropIn = Files.readString(prefix.resolve("opt/gatehouse/share/password.conf"))
        .replace("/opt/gatehouse/", prefix + "/opt/gatehouse/");
    Files.writeString(Files.createDirectories(dir.resolve("gatehouse.service.d")).resolve("password.conf"), dropIn);
    Processes.Output ok = run("systemd-analyze", "verify", dir.resolve("gatehouse.service").toString());
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out() + ok.err()).as("verify warns (it exits 0 on a bad value)").isEmpty();

    Files.writeString(dir.resolve("gatehouse.service"), unit.replace("ProtectSystem=strict", "ProtectSystem=stricter"));
    Processes.Output bad = run("systemd-analyze", "verify", dir.resolve("gatehouse.service").toString());
    assertThat(bad.err()).contains("gatehouse.service:", "stricter").doesNotContain("password.conf");
  }

  @Test
  void unit_holdsNoPassword_andWritesOnlyTheHome() throws Exception {
    List<String> lines = Files.readAllLines(ROOT.resolve("packaging/gatehouse.service"));
    List<String> dropIn = Files.readAllLines(ROOT.resolve("packaging/password.conf"));
    for (String line : Stream.concat(lines.stream(), dropIn.stream()).toList()) {
      if (line.startsWith("Environment")) {
        assertThat(line).doesNotContainIgnoringCase("PASSWORD").doesNotContainIgnoringCase("PIN");
      }
    }
    assertThat(lines).filteredOn(l -> l.startsWith("ReadWritePaths=")).containsExactly("ReadWritePaths=/var/lib/gatehouse");
    assertThat(lines).contains("ProtectSystem=strict", "CapabilityBoundingSet=", "NoNewPrivileges=yes", "UMask=0077");
    assertThat(dropIn).contains("LoadCredential=password:/etc/gatehouse/password");
  }

  @Test
  void scripts_parse_andPassShellcheck() throws Exception {
    List<String> scripts = List.of("packaging/install.sh", "packaging/gatehouse-launcher.sh", "packaging/sandbox-check/run.sh");
    for (String s : scripts) {
      Processes.Output n = run("bash", "-n", s);
      assertThat(n.exit()).as(s + ": " + n.err()).isZero();
    }
    DebianPackages.require("shellcheck", "shellcheck");
    List<String> cmd = new ArrayList<>(List.of("shellcheck"));
    cmd.addAll(scripts);
    Processes.Output sc = run(cmd.toArray(String[]::new));
    assertThat(sc.exit()).as(sc.out() + sc.err()).isZero();
  }
}
