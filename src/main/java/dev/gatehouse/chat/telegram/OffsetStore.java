package dev.gatehouse.chat.telegram;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where the bridge stands in the bot's update stream, in one file of the home
 * ({@code telegram-offset.json}, written by {@link AtomicFiles#write}):
 * {@code {"bot_id": N, "next_offset": N, "in_progress": {"update_id": N, "chat_id": N} | null}}.
 *
 * <p>An update is marked {@code in_progress} (durably) before anything is done about it and
 * moved past (durably) once it is done. So after a crash or a kill at any instant, every update
 * below {@code next_offset} was handled exactly once, and at most one update, the one
 * {@code in_progress}, was started and not finished: it is never started again (a forward is
 * not repeated), and its sender is told instead (see {@link TelegramBridge}).
 *
 * <p>Update ids count per bot, so a state kept for another bot (the token changed) is not used.
 * The file holds ids only: no token, no text.
 */
final class OffsetStore {
  static final String FILE = "telegram-offset.json";

  /** An update that was started and not finished. */
  record InProgress(long updateId, long chatId) {}

  record State(long nextOffset, InProgress inProgress) {}

  private final Path file;
  private final long botId;

  OffsetStore(Path file, long botId) {
    this.file = file;
    this.botId = botId;
  }

  /**
   * The state kept for this bot; a fresh one (offset 0: whatever Telegram holds) if there is none.
   *
   * @throws IOException if the file cannot be read or is not this store's format (it is not
   *     overwritten then: an owner should look at it)
   */
  State load() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new State(0, null);
    }
    return parse(bytes);
  }

  /** {@link #load} of the file's {@code bytes}. */
  State parse(byte[] bytes) throws IOException {
    JsonNode n;
    try {
      n = BotApi.JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(file + " is not valid JSON; move it aside to start from what Telegram holds");
    }
    if (n == null || !n.path("bot_id").canConvertToLong() || !n.path("next_offset").canConvertToLong()
        || n.get("next_offset").asLong() < 0) {
      throw new IOException(file + " lacks bot_id or next_offset; move it aside to start from what Telegram holds");
    }
    if (n.get("bot_id").asLong() != botId) {
      return new State(0, null); // another bot's ids say nothing about this one's
    }
    JsonNode p = n.path("in_progress");
    InProgress inProgress = p.path("update_id").canConvertToLong() && p.path("chat_id").canConvertToLong()
        ? new InProgress(p.get("update_id").asLong(), p.get("chat_id").asLong()) : null;
    return new State(n.get("next_offset").asLong(), inProgress);
  }

  void save(State state) throws IOException {
    ObjectNode n = BotApi.JSON.createObjectNode();
    n.put("bot_id", botId);
    n.put("next_offset", state.nextOffset());
    if (state.inProgress() == null) {
      n.putNull("in_progress");
    } else {
      n.putObject("in_progress").put("update_id", state.inProgress().updateId())
          .put("chat_id", state.inProgress().chatId());
    }
    AtomicFiles.write(file, (n.toString() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
