package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Processes;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * README's "Gate your chat bot", run as written by a script from a fresh home, with the real
 * launcher, daemon and Telegram bridge, against a local server speaking the Bot API.
 */
class ReadmeChatIT {
  @Test
  void theReadmeBlock_takesANewUserFromStrangerToAnsweredMessage() throws Exception {
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-gate-your-chat-bot.sh").redirectErrorStream(true).start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(3), "readme-gate-your-chat-bot.sh");
    String output = r.out();
    assertThat(r.exit()).as(output).isZero();
    assertThat(output).contains("pair approve").contains("verified").contains("You said: hello bot").contains("intact");
  }
}
