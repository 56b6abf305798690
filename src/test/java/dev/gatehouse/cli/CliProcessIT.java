package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar run as real processes, with codes from an independent TOTP implementation
 * (Debian's oathtool, installed when missing: {@link DebianPackages}): interop, replay and lockout
 * across processes, parallel attempts.
 */
class CliProcessIT {
  @TempDir
  Path temp;

  private JarProcesses jar;
  private Path home;
  private String secret;

  @BeforeEach
  void enroll() throws Exception {
    DebianPackages.require("oathtool", "oathtool");
    jar = new JarProcesses(temp, "it-password");
    home = jar.home;
    JarProcesses.Result init = gatehouse("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1");
    assertThat(init.exit()).as(init.err()).isZero();
    JarProcesses.Result setup = gatehouse("totp", "setup", "--account", "it@test");
    assertThat(setup.exit()).as(setup.err()).isZero();
    assertThat(setup.out()).as("not a terminal: no prompt").contains("totp setup --confirm CODE");
    Matcher key = Pattern.compile("Key: +([A-Z2-7 ]+)\\n").matcher(setup.out());
    assertThat(key.find()).isTrue();
    secret = key.group(1).replace(" ", "");
    JarProcesses.Result confirm = gatehouse("totp", "setup", "--confirm", oathtool("now"));
    assertThat(confirm.exit()).as(confirm.err()).isZero();
    assertThat(confirm.out()).contains("Confirmed: TOTP is active.");
  }

  /** The code oathtool (an independent RFC 6238 implementation) computes at {@code when}. */
  private String oathtool(String when) throws Exception {
    Process p = new ProcessBuilder("oathtool", "--totp", "-b", "-N", when, secret).start();
    Processes.Output o = Processes.finish(p, java.time.Duration.ofSeconds(30), "oathtool");
    assertThat(o.exit()).as(o.err()).isZero();
    String code = o.out().strip();
    assertThat(code).matches("[0-9]{6}");
    return code;
  }

  private Process start(String... args) throws IOException {
    return jar.start(args);
  }

  private static JarProcesses.Result finish(Process p) throws Exception {
    return JarProcesses.finish(p);
  }

  /** Starts {@code n} processes with the same arguments at once; their exit codes. */
  private List<Integer> inParallel(int n, String... args) throws Exception {
    List<Process> ps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ps.add(start(args));
    }
    List<Integer> exits = new ArrayList<>();
    for (Process p : ps) {
      exits.add(finish(p).exit());
    }
    return exits;
  }

  private JarProcesses.Result gatehouse(String... args) throws Exception {
    return finish(start(args));
  }

  @Test
  void oathtoolCode_isAccepted_andAcrossARestartNotAgain() throws Exception {
    String next = oathtool("now + 30 seconds");
    assertThat(gatehouse("totp", "verify", next).exit()).isZero();
    JarProcesses.Result again = gatehouse("totp", "verify", next);
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("already used");
  }

  @Test
  void tenParallelProcesses_withOneValidCode_succeedExactlyOnce() throws Exception {
    List<Integer> exits = inParallel(10, "totp", "verify", oathtool("now + 30 seconds"));
    assertThat(exits).filteredOn(e -> e == 0).hasSize(1);
    // Every other attempt is a replay, which counts as a failure: after three, a lockout.
    assertThat(exits).filteredOn(e -> e == 1).hasSize(3);
    assertThat(exits).filteredOn(e -> e == 3).hasSize(6);
  }

  @Test
  void lockout_holdsAcrossProcesses_evenForAValidCode() throws Exception {
    String good = oathtool("now + 30 seconds");
    String bad = good.equals("123456") ? "654321" : "123456";
    List<Integer> exits = inParallel(5, "totp", "verify", bad);
    assertThat(exits).as("3 tries, then locked").filteredOn(e -> e == 1).hasSize(3);
    assertThat(exits).filteredOn(e -> e == 3).hasSize(2);
    JarProcesses.Result locked = gatehouse("totp", "verify", good);
    assertThat(locked.exit()).isEqualTo(3);
    assertThat(locked.err()).contains("locked out");
    JarProcesses.Result status = gatehouse("totp", "status");
    assertThat(status.out()).contains("Lockout: locked until");
  }
}
