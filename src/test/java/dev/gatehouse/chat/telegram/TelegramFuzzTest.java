package dev.gatehouse.chat.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.testing.FuzzInput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for what the Telegram bridge reads: the Bot API's answers (a remote service
 * controls them) and its own state file.
 */
class TelegramFuzzTest {
  private static final String TOKEN = "7301234567:AAE-CANARY-c4n4ry-tg-t0ken-Zx9";
  private static final String SECRET = TOKEN.substring(TOKEN.indexOf(':') + 1);

  /**
   * Input: the HTTP status, a line feed, the body of a getUpdates answer. Contract: a list of
   * updates (a message, when present, with its ids) or a {@link BotApiException} whose message
   * holds no token (even when the answer echoes it) and whose retry wait is 1 s to 1 h.
   */
  @FuzzTest
  @Timeout(10)
  void answer_anyBody_isUpdatesOrBotApiException(byte[] data) {
    String[] parts = FuzzInput.twoParts(data);
    int status;
    try {
      status = Integer.parseInt(parts[0].strip());
    } catch (NumberFormatException e) {
      status = 200;
    }
    String body = parts[1].replace("TOKEN", TOKEN);
    try {
      List<BotApi.Update> updates = BotApi.updates(BotApi.result("getUpdates", status,
          body.getBytes(StandardCharsets.UTF_8), t -> t.replace(TOKEN, "<bot token>").replace(SECRET, "<bot token>")));
      for (BotApi.Update u : updates) {
        if (u.message() != null) {
          assertThat(u.message().toString()).doesNotContain(SECRET);
        }
      }
    } catch (BotApiException e) {
      assertThat(e.getMessage()).doesNotContain(SECRET);
      if (e.kind() == BotApiException.Kind.RETRY_AFTER) {
        assertThat(e.retryAfterSeconds()).isBetween(1L, 3600L);
      }
    }
  }

  /** Input: the state file's bytes. Contract: a state with a non-negative offset, or IOException naming the file. */
  @FuzzTest
  @Timeout(10)
  void load_anyFile_isStateOrIOException(byte[] data) {
    Path file = Path.of("/nonexistent", OffsetStore.FILE);
    try {
      OffsetStore.State s = new OffsetStore(file, 7301234567L).parse(data);
      assertThat(s.nextOffset()).isNotNegative();
    } catch (IOException e) {
      assertThat(e.getMessage()).contains(file.toString());
    }
  }
}
