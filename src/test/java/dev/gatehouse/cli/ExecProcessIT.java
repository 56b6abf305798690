package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.OtpAuthUri;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exec gate in real processes: the caller's environment never reaches the command; the lockout is shared. */
class ExecProcessIT {
  static final String CANARY = "gh-env-CANARY-5d1f0a";

  @TempDir
  Path temp;
  JarProcesses jar;
  OtpAuthUri uri;
  /** Every code is computed from one instant, so a step boundary during the test cannot shift them apart. */
  final Instant base = Instant.now();

  @BeforeEach
  void setUp() throws Exception {
    jar = new JarProcesses(temp, "exec-it-password");
    assertThat(jar.run("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1").exit()).isZero();
    JarProcesses.Result setup = jar.run("totp", "setup", "--account", "owner@it");
    Matcher m = Pattern.compile("otpauth URI: (\\S+)").matcher(setup.out());
    assertThat(m.find()).as(setup.out()).isTrue();
    uri = OtpAuthUri.parse(m.group(1));
    assertThat(jar.run("totp", "setup", "--confirm", code(Duration.ZERO)).exit()).isZero();
    Path policy = jar.home.resolve("exec.yaml");
    Files.writeString(policy, "allow:\n  - { program: /usr/bin/env, args: [] }\n  - { program: /bin/echo, args: [\"**\"] }\n");
    Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rw-------"));
  }

  String code(Duration offset) {
    return Hotp.totp(uri.secret(), base.plus(offset), uri.params());
  }

  @Test
  void theCallersEnvironment_neverReachesTheCommand() throws Exception {
    jar.env.put("GH_CANARY", CANARY);
    jar.env.put("LD_PRELOAD", "/tmp/evil.so");

    JarProcesses.Result r = jar.run("exec", "--code", code(Duration.ofSeconds(30)), "--", "/usr/bin/env");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
    assertThat(r.out() + r.err()).doesNotContain(CANARY);
  }

  @Test
  void theLockout_holdsAcrossProcesses() throws Exception {
    assertThat(jar.run("exec", "--code", "000000", "--", "/bin/echo", "x").exit()).isEqualTo(1);
    assertThat(jar.run("exec", "--code", "000001", "--", "/bin/echo", "x").exit()).isEqualTo(1);
    assertThat(jar.run("exec", "--code", "000002", "--", "/bin/echo", "x").exit()).isEqualTo(1);

    JarProcesses.Result locked = jar.run("exec", "--code", code(Duration.ofSeconds(30)), "--", "/bin/echo", "x");

    assertThat(locked.exit()).isEqualTo(3);
    assertThat(locked.out()).isEmpty();
    assertThat(jar.run("totp", "verify", code(Duration.ofSeconds(-30))).exit()).as("the same lockout").isEqualTo(3);
  }
}
