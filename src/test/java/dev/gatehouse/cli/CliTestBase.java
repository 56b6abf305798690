package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.MutableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs the command line as a user meets it: a real home in a temporary folder, a password
 * file, captured output, and a check that no stack trace ever reaches stderr.
 */
abstract class CliTestBase {
  @TempDir
  Path temp;

  protected Path home;
  protected final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:05Z"));
  protected final ScriptedTerminal terminal = new ScriptedTerminal();
  protected StringWriter liveOut;
  protected String out;
  protected String err;

  /** A script run without a terminal: no prompts. */
  static final class ScriptedTerminal implements Terminal {
    @Override
    public boolean interactive() {
      return false;
    }

    @Override
    public String readLine(String prompt) {
      throw new AssertionError("prompted without a terminal: " + prompt);
    }

    @Override
    public char[] readSecret(String prompt) {
      throw new AssertionError("prompted without a terminal: " + prompt);
    }
  }

  /** A person at a terminal who types {@code secrets} in order at the no-echo prompts (then nothing). */
  protected static Terminal typing(String... secrets) {
    java.util.Deque<String> left = new java.util.ArrayDeque<>(List.of(secrets));
    return new Terminal() {
      @Override
      public boolean interactive() {
        return true;
      }

      @Override
      public String readLine(String prompt) {
        throw new AssertionError("asked for a line: " + prompt);
      }

      @Override
      public char[] readSecret(String prompt) {
        String next = left.poll();
        return next == null ? null : next.toCharArray();
      }
    };
  }

  /** A person at a terminal who answers {@code answer} to every (echoed) question, and is never asked a secret. */
  protected static Terminal answering(String answer) {
    return new Terminal() {
      @Override
      public boolean interactive() {
        return true;
      }

      @Override
      public String readLine(String prompt) {
        return answer;
      }

      @Override
      public char[] readSecret(String prompt) {
        throw new AssertionError("asked for a secret: " + prompt);
      }
    };
  }

  protected Path passwordFile;
  protected byte[] stdin = new byte[0];
  static final byte[] MACHINE = "machine-id=0123\nhostname=test".getBytes();
  protected byte[] machine = MACHINE;
  /** More environment variables for the commands run (GATEHOUSE_HOME is always set). */
  protected final Map<String, String> extraEnv = new java.util.HashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    home = temp.resolve("gh");
    passwordFile = temp.resolve("pw");
    Files.writeString(passwordFile, "test-password\n");
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
  }

  protected int run(String... args) {
    return run(terminal, args);
  }

  protected int run(Terminal term, String... args) {
    return runRaw(term, withPassword(args));
  }

  /** Every command gets the password file, and init the fast key-derivation settings. */
  protected String[] withPassword(String... args) {
    List<String> all = new ArrayList<>(List.of("--password-file", passwordFile.toString()));
    all.addAll(List.of(args));
    if (args.length > 0 && args[0].equals("init") && !all.contains("--help")) {
      all.addAll(List.of("--kdf-memory-mib", "8", "--kdf-iterations", "1"));
    }
    return all.toArray(String[]::new);
  }

  protected int runRaw(Terminal term, String... args) {
    Map<String, String> vars = new java.util.HashMap<>(extraEnv);
    vars.put("GATEHOUSE_HOME", home.toString());
    CliEnvironment env = new CliEnvironment(clock, new SecureRandom(), Map.copyOf(vars),
        temp.toString(), "tester", term, new java.io.ByteArrayInputStream(stdin), () -> machine.clone());
    CommandLine cl = Cli.commandLine(env, args); // as Main builds it
    liveOut = new StringWriter();
    StringWriter e = new StringWriter();
    cl.setOut(new PrintWriter(liveOut, true));
    cl.setErr(new PrintWriter(e, true));
    int code = cl.execute(args);
    out = liveOut.toString();
    err = e.toString();
    assertThat(err).as("never a stack trace").doesNotContain("\tat ").doesNotContain("Exception:");
    return code;
  }

  protected dev.gatehouse.otp.OtpAuthUri printedUri() {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("otpauth URI: (\\S+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return dev.gatehouse.otp.OtpAuthUri.parse(m.group(1));
  }

  protected String code(dev.gatehouse.otp.OtpAuthUri uri) {
    return dev.gatehouse.otp.Hotp.totp(uri.secret(), clock.instant(), uri.params());
  }

  /** init, non-interactive setup, confirmation: returns the active key's URI. */
  protected dev.gatehouse.otp.OtpAuthUri enroll() {
    assertThat(run("init")).isZero();
    assertThat(run("totp", "setup", "--account", "owner@test")).isZero();
    dev.gatehouse.otp.OtpAuthUri uri = printedUri();
    assertThat(run("totp", "setup", "--confirm", code(uri))).as(err).isZero();
    clock.advance(java.time.Duration.ofSeconds(30));
    return uri;
  }
}
