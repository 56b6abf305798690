package dev.gatehouse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.cli.Cli;
import dev.gatehouse.cli.CliEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  @Test
  void version_answeredWithoutTheCommandLine_isExactlyWhatTheCommandLinePrints() {
    for (String flag : List.of("--version", "-V")) {
      ByteArrayOutputStream fast = new ByteArrayOutputStream();
      assertThat(Main.answeredWithoutCommandLine(new String[] {flag}, new PrintStream(fast, true, StandardCharsets.UTF_8)))
          .isTrue();
      StringWriter full = new StringWriter();
      CommandLine cl = Cli.commandLine(CliEnvironment.system());
      cl.setOut(new PrintWriter(full, true));
      assertThat(cl.execute(flag)).isZero();
      assertThat(fast.toString(StandardCharsets.UTF_8)).isEqualTo(full.toString()).startsWith("gatehouse ");
    }
  }

  @Test
  void anyOtherArguments_goToTheCommandLine_printingNothing() {
    for (String[] args : List.of(new String[0], new String[] {"--version", "--help"}, new String[] {"call", "--version"},
        new String[] {"--home", "/h", "--version"}, new String[] {"--versions"})) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThat(Main.answeredWithoutCommandLine(args, new PrintStream(out, true, StandardCharsets.UTF_8)))
          .as(List.of(args).toString()).isFalse();
      assertThat(out.size()).isZero();
    }
  }
}
