package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import dev.gatehouse.otp.Base32;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.testing.MutableClock;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as a user meets it: real homes, captured output, exit codes. */
class CliTest extends CliTestBase {
  @Test
  void everyCommand_hasHelp() {
    List<CommandLine> all = new ArrayList<>();
    collect(Cli.commandLine(CliEnvironment.system()), all);
    assertThat(all).hasSizeGreaterThanOrEqualTo(7);
    for (CommandLine c : all) {
      List<String> args = new ArrayList<>(List.of(c.getCommandSpec().qualifiedName().split(" ")));
      args.remove(0);
      args.add("--help");
      assertThat(run(args.toArray(String[]::new))).as(args.toString()).isZero();
      assertThat(out).as(args.toString()).contains("Usage: " + c.getCommandSpec().qualifiedName());
    }
  }

  @Test
  void subcommandTable_namesEachClassAsItsCommandAnnotationDoes() {
    for (Map.Entry<String, Class<?>> s : Cli.SUBCOMMANDS) {
      assertThat(s.getValue().getAnnotation(CommandLine.Command.class).name()).isEqualTo(s.getKey());
    }
    assertThat(Cli.SUBCOMMANDS.stream().map(Map.Entry::getKey).distinct()).hasSameSizeAs(Cli.SUBCOMMANDS);
  }

  @Test
  void commandLineForArgs_buildsOnlyTheNamedSubcommand_andAnswersAsTheWholeOneDoes() {
    for (Map.Entry<String, Class<?>> s : Cli.SUBCOMMANDS) {
      for (String[] args : List.of(new String[] {s.getKey(), "--help"},
          new String[] {"--home", "/nonexistent", s.getKey(), "--help"},
          new String[] {"--password-file=/nonexistent", s.getKey(), "--frobnicate"})) {
        CommandLine lazy = Cli.commandLine(CliEnvironment.system(), args);
        assertThat(lazy.getSubcommands().keySet()).as(List.of(args).toString()).containsExactly(s.getKey());
        assertThat(answer(lazy, args)).as(List.of(args).toString())
            .isEqualTo(answer(Cli.commandLine(CliEnvironment.system()), args));
      }
    }
  }

  @Test
  void commandLineForArgs_buildsEverySubcommand_whenTheAnswerMayListThem() {
    for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"-h", "--version"},
        new String[] {"valt", "status"}, new String[] {"--home", "/h"}, new String[] {"--frobnicate", "call"},
        new String[] {"--home"})) {
      CommandLine lazy = Cli.commandLine(CliEnvironment.system(), args);
      assertThat(lazy.getSubcommands()).as(List.of(args).toString()).hasSameSizeAs(Cli.SUBCOMMANDS);
      assertThat(answer(lazy, args)).as(List.of(args).toString())
          .isEqualTo(answer(Cli.commandLine(CliEnvironment.system()), args));
    }
  }

  @Test
  void commandLineForArgs_buildsNoSubcommand_forTheVersion() {
    for (String[] args : List.of(new String[] {"--version"}, new String[] {"-V"},
        new String[] {"--home", "/h", "--version"}, new String[] {"--home=/h", "-V"})) {
      CommandLine lazy = Cli.commandLine(CliEnvironment.system(), args);
      assertThat(lazy.getSubcommands()).as(List.of(args).toString()).isEmpty();
      assertThat(answer(lazy, args)).as(List.of(args).toString())
          .isEqualTo(answer(Cli.commandLine(CliEnvironment.system()), args)).startsWith("0\ngatehouse ");
    }
  }

  /** The exit code, standard output and standard error of {@code cl} on {@code args}. */
  private static String answer(CommandLine cl, String[] args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cl.setOut(new PrintWriter(o, true));
    cl.setErr(new PrintWriter(e, true));
    int code = cl.execute(args);
    return code + "\n" + o + "\n--- stderr\n" + e;
  }

  private static void collect(CommandLine c, List<CommandLine> into) {
    into.add(c);
    c.getSubcommands().values().forEach(s -> collect(s, into));
  }

  @Test
  void version_isPrinted() {
    assertThat(run("--version")).isZero();
    assertThat(out).startsWith("gatehouse ");
  }

  @Test
  void unknownOption_isBadUsage() {
    assertThat(run("totp", "status", "--frobnicate")).isEqualTo(2);
    assertThat(err).contains("Unknown option").contains("--help");
  }

  @Test
  void init_createsTheHome_andRefusesASecondTime() throws Exception {
    assertThat(run("init")).isZero();
    assertThat(out).contains(home.toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx------");
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).contains("# ");
    assertThat(run("init")).isEqualTo(2);
    assertThat(err).contains("already exists");
  }

  @Test
  void home_optionIsAccepted_afterTheSubcommandToo() {
    Path other = temp.resolve("other");
    assertThat(run("init", "--home", other.toString())).isZero();
    assertThat(run("totp", "status", "--home", other.toString())).isEqualTo(4);
    assertThat(out).contains("not configured");
    assertThat(run("totp", "status")).isEqualTo(4);
    assertThat(err).contains("no Gatehouse home at " + home);
  }

  @Test
  void looseHome_isRefused_withTheFix() throws Exception {
    run("init");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(run("totp", "status")).isEqualTo(2);
    assertThat(err.strip()).isEqualTo("gatehouse: " + home + " is accessible to group or others (rwxr-xr-x); fix it with `chmod 700 " + home + "`");
  }

  @Test
  void badConfig_isRefused_namingFileAndLine() throws Exception {
    run("init");
    Files.writeString(home.resolve("gatehouse.yaml"), "totp:\n  digits: 6\n  lockout:\n    tries: 3\n");
    assertThat(run("totp", "status")).isEqualTo(2);
    assertThat(err.strip()).isEqualTo("gatehouse: " + home.resolve("gatehouse.yaml") + ":4: unknown key 'totp.lockout.tries' (known here: max_failures, minutes)");
  }

  @Test
  void setup_confirm_verify_theWholeFlow_withExitCodes() {
    OtpAuthUri uri = enroll();
    assertThat(out).contains("Confirmed: TOTP is active.");
    assertThat(out.lines().filter(l -> l.matches("  [a-z2-7]{4}(-[a-z2-7]{4}){3}"))).hasSize(10);

    assertThat(run("totp", "status")).isZero();
    assertThat(out).contains("TOTP: active since").contains("Recovery codes left: 10").doesNotContain(Base32.encode(uri.secret()));

    String code = code(uri);
    assertThat(run("totp", "verify", code)).isZero();
    assertThat(run("totp", "verify", code)).isEqualTo(1);
    assertThat(err).contains("already used").contains("2 attempts left"); // a replay counts as a failure
    assertThat(err).as("a code typed in argv").contains("process list");
    assertThat(run("totp", "verify", "12345")).isEqualTo(2);
    assertThat(run("totp", "verify")).as("no terminal to ask on").isEqualTo(2);
    assertThat(err).contains("no terminal to ask");
    assertThat(run("totp", "verify", "١٢٣٤٥٦")).isEqualTo(2);
    assertThat(run("totp", "verify", "000000".equals(code) ? "111111" : "000000")).isEqualTo(1);
    assertThat(err).contains("wrong code; 1 attempt left");
    assertThat(run("totp", "status")).isZero();
    assertThat(out).contains("Lockout: not locked (2 of 3 failed attempts)");

    clock.advance(java.time.Duration.ofSeconds(30));
    stdin = (code(uri) + "\n").getBytes();
    assertThat(run("totp", "verify", "-")).as("piped").isZero();
    assertThat(err).doesNotContain("process list");
  }

  @Test
  void lockout_exitsThree_andStatusSaysUntilWhen() {
    OtpAuthUri uri = enroll();
    String good = code(uri);
    String bad = good.equals("999999") ? "999998" : "999999";
    run("totp", "verify", bad);
    run("totp", "verify", bad);
    assertThat(run("totp", "verify", bad)).isEqualTo(1);
    assertThat(err).contains("refused until 2026-11-22T10:15:35Z");
    assertThat(run("totp", "verify", good)).isEqualTo(3);
    assertThat(run("totp", "status")).isZero();
    assertThat(out).contains("Lockout: locked until 2026-11-22T10:15:35Z");
    assertThat(run("totp", "reset")).isEqualTo(2);
    assertThat(err).contains("--yes");
    assertThat(run("totp", "reset", "--yes")).isZero();
    assertThat(run("totp", "verify", good)).isEqualTo(4);
  }

  @Test
  void reset_interactive_needsTheWordReset() {
    enroll();
    assertThat(run(answering("yes"), "totp", "reset")).isEqualTo(1);
    assertThat(out).contains("Nothing changed.");
    assertThat(run("totp", "status")).isZero();
    assertThat(run(answering("reset"), "totp", "reset")).isZero();
    assertThat(run("totp", "status")).isEqualTo(4);
  }

  @Test
  void notConfigured_exitsFour() {
    run("init");
    assertThat(run("totp", "verify", "123456")).isEqualTo(4);
    assertThat(err).contains("totp setup");
    assertThat(run("totp", "setup", "--confirm", "123456")).isEqualTo(4);
  }

  @Test
  void setup_printsKeyGroupedInFours_andWhileActiveIsRefused() {
    run("init");
    assertThat(run("totp", "setup")).isZero();
    OtpAuthUri uri = printedUri();
    assertThat(uri.account()).isEqualTo(uri.account().startsWith("tester@") ? uri.account() : "tester@?");
    assertThat(out).contains("Key:      " + TotpSetupCommand.grouped(Base32.encode(uri.secret())));
    assertThat(uri.secret()).hasSize(20);
    assertThat(out).contains("totp setup --confirm CODE");
    assertThat(run("totp", "status")).isEqualTo(4);
    assertThat(out).contains("pending");
    assertThat(run("totp", "setup", "--confirm", code(uri))).isZero();
    assertThat(run("totp", "setup")).isEqualTo(2);
    assertThat(err).contains("totp reset");
  }

  @Test
  void setup_interactive_confirmsAtThePrompt_afterAWrongCode() {
    run("init");
    List<String> prompts = new ArrayList<>();
    // The person reads the key off the screen (the output so far) and types a code.
    Terminal person = new Terminal() {
      @Override
      public boolean interactive() {
        return true;
      }

      @Override
      public char[] readSecret(String prompt) {
        throw new AssertionError("asked for a secret: " + prompt);
      }

      @Override
      public String readLine(String prompt) {
        prompts.add(prompt);
        out = liveOut.toString();
        String right = code(printedUri());
        String wrong = right.equals("000000") ? "111111" : "000000";
        return prompts.size() == 1 ? wrong : right.substring(0, 3) + " " + right.substring(3);
      }
    };
    assertThat(run(person, "totp", "setup")).isZero();
    assertThat(err).contains("wrong code; 2 attempts left");
    assertThat(out).contains("Confirmed: TOTP is active.").contains(QrRender.ANSI_DARK_ON_LIGHT);
    assertThat(prompts).hasSize(2);
  }

  @Test
  void qrPng_decodesToThePrintedUri() throws Exception {
    run("init");
    Path png = temp.resolve("qr.png");
    assertThat(run("totp", "setup", "--qr-png", png.toString())).isZero();
    assertThat(decode(ImageIO.read(png.toFile()))).isEqualTo(printedUri().format());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(png))).isEqualTo("rw-------");
    assertThat(run("totp", "setup", "--qr-png", png.toString())).as("never overwrites").isEqualTo(2);
  }

  @Test
  void terminalQr_decodesToThePrintedUri() throws Exception {
    run("init");
    run("totp", "setup");
    List<String> rows = out.lines().filter(l -> !l.isEmpty() && l.chars().allMatch(c -> " ▀▄█".indexOf(c) >= 0))
        .toList();
    assertThat(rows).hasSizeGreaterThan(10);
    assertThat(decode(fromHalfBlocks(rows, true))).isEqualTo(printedUri().format());
  }

  @Test
  void ansiTerminalQr_decodesToTheSameText() throws Exception {
    String uri = "otpauth://totp/Gatehouse:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse";
    String text = QrRender.text(QrRender.encode(uri), true);
    assertThat(text).contains(QrRender.ANSI_DARK_ON_LIGHT);
    List<String> rows = text.replace(QrRender.ANSI_DARK_ON_LIGHT, "").replace(QrRender.ANSI_RESET, "").lines().toList();
    assertThat(decode(fromHalfBlocks(rows, false))).isEqualTo(uri);
  }

  /**
   * Renders half-block text the way a terminal shows it: with {@code blockIsLight}, as light
   * text on a dark background; without, as the black-on-white that the ANSI colors ask for.
   */
  private static BufferedImage fromHalfBlocks(List<String> rows, boolean blockIsLight) {
    int scale = 6;
    int w = rows.get(0).length();
    int margin = 4 * scale; // the dark terminal background around it is not a quiet zone: add a light one
    BufferedImage img = new BufferedImage(w * scale + 2 * margin, rows.size() * 2 * scale + 2 * margin,
        BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        img.setRGB(x, y, 0xFFFFFF);
      }
    }
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < w; c++) {
        char ch = rows.get(r).charAt(c);
        boolean topLight = (ch == '█' || ch == '▀') == blockIsLight;
        boolean bottomLight = (ch == '█' || ch == '▄') == blockIsLight;
        for (int dy = 0; dy < 2 * scale; dy++) {
          boolean light = dy < scale ? topLight : bottomLight;
          if (blockIsLight && r == rows.size() - 1 && dy >= scale) {
            light = true; // past the last module row
          }
          for (int dx = 0; dx < scale; dx++) {
            img.setRGB(margin + c * scale + dx, margin + (2 * r) * scale + dy, light ? 0xFFFFFF : 0x000000);
          }
        }
      }
    }
    return img;
  }

  private static String decode(BufferedImage img) throws Exception {
    return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(img))))
        .getText();
  }
}
