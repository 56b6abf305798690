package dev.gatehouse.chat.telegram;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The few Bot API methods the bridge uses, over the JDK's HTTP client: {@code getMe},
 * {@code getUpdates}, {@code sendMessage}, {@code deleteMessage}.
 *
 * <p>The bot token is part of every URL ({@code /bot<TOKEN>/method}). Guarantee: no URL, and
 * no text that holds the token, leaves this class: failures are {@link BotApiException}s
 * whose messages are written here (an HTTP client's exception, which may quote the URL, is
 * reduced to its class name and never kept as a cause), and the API's own {@code description}
 * is passed on only with the token cut out.
 */
final class BotApi implements AutoCloseable {
  /** What @BotFather hands out: the bot's numeric id, a colon, a secret of URL-safe characters. */
  private static final Pattern TOKEN = Pattern.compile("([0-9]{1,20}):[A-Za-z0-9_-]{20,200}");
  static final ObjectMapper JSON = new ObjectMapper();
  /** getUpdates answers hold at most 100 updates of at most 4096 characters each. */
  private static final int MAX_RESPONSE_BYTES = 8 << 20;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final URI api;
  private final String token;
  /** For getUpdates alone, so that stopping can abort a long poll without cutting a reply short. */
  private final HttpClient poller;
  private final HttpClient sender;

  /**
   * @throws IllegalArgumentException if {@code token} is not shaped like a bot token; the
   *     message does not quote it
   */
  BotApi(URI api, String token, HttpClient poller, HttpClient sender) {
    this.token = Objects.requireNonNull(token, "token");
    if (!TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException("does not hold a Telegram bot token (expected the form 123456789:AAE..., as"
          + " @BotFather gives it)");
    }
    String base = api.toString();
    this.api = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
    this.poller = poller;
    this.sender = sender;
  }

  /** The bot's own user id: the part of the token before the colon, which is public. */
  long botId() {
    var m = TOKEN.matcher(token);
    m.matches();
    return Long.parseLong(m.group(1));
  }

  /** One incoming text message (other updates carry {@code message == null}). */
  record Update(long updateId, Message message) {}

  /**
   * The fields of a Bot API Message the bridge reads. {@code text} is null for a non-text
   * message; {@code privateChat} says whether it came in the sender's one-to-one chat with the bot.
   */
  record Message(long messageId, long chatId, boolean privateChat, long fromId, String firstName, String username,
      String text) {
    @Override
    public String toString() {
      return "Message[" + messageId + " in chat " + chatId + " from " + fromId + ", "
          + (text == null ? "no text" : text.length() + " chars") + "]";
    }
  }

  /** {@code getMe}: the bot's username (for {@code /start@name}), checking the token on the way. */
  String getMe() throws BotApiException {
    return call(poller, "getMe", JSON.createObjectNode(), CALL_TIMEOUT).path("username").asText("");
  }

  /**
   * {@code getUpdates} from {@code offset} (confirming every update below it), waiting up to
   * {@code timeout} for one to arrive. Only {@code message} updates are asked for.
   */
  List<Update> getUpdates(long offset, Duration timeout) throws BotApiException {
    ObjectNode body = JSON.createObjectNode();
    if (offset > 0) {
      body.put("offset", offset);
    }
    body.put("timeout", timeout.toSeconds());
    body.putArray("allowed_updates").add("message");
    return updates(call(poller, "getUpdates", body, timeout.plus(CALL_TIMEOUT)));
  }

  /** The updates of a getUpdates {@code result}. */
  static List<Update> updates(JsonNode result) throws BotApiException {
    if (!result.isArray()) {
      throw new BotApiException(BotApiException.Kind.NETWORK, "getUpdates answered without a list of updates", 0);
    }
    List<Update> updates = new ArrayList<>();
    for (JsonNode u : result) {
      if (!u.path("update_id").canConvertToLong()) {
        throw new BotApiException(BotApiException.Kind.NETWORK, "getUpdates answered an update without update_id", 0);
      }
      updates.add(new Update(u.get("update_id").asLong(), message(u.path("message"))));
    }
    return updates;
  }

  private static Message message(JsonNode m) {
    if (!m.isObject() || !m.path("chat").path("id").canConvertToLong() || !m.path("from").path("id").canConvertToLong()
        || !m.path("message_id").canConvertToLong()) {
      return null; // not a message a person sent in a chat (or not one this bridge understands)
    }
    JsonNode from = m.get("from");
    return new Message(m.get("message_id").asLong(), m.get("chat").get("id").asLong(),
        m.get("chat").path("type").asText("").equals("private"), from.get("id").asLong(),
        from.path("first_name").isTextual() ? from.get("first_name").asText() : null,
        from.path("username").isTextual() ? from.get("username").asText() : null,
        m.path("text").isTextual() ? m.get("text").asText() : null);
  }

  /**
   * {@code sendMessage} of plain {@code text} (no parse mode, so nothing in it is markup) with
   * link previews off: a preview would make Telegram's servers fetch any URL in an answer,
   * whether or not anyone opens it.
   */
  void sendMessage(long chatId, String text) throws BotApiException {
    ObjectNode body = JSON.createObjectNode();
    body.put("chat_id", chatId);
    body.put("text", text);
    body.putObject("link_preview_options").put("is_disabled", true);
    call(sender, "sendMessage", body, CALL_TIMEOUT);
  }

  void deleteMessage(long chatId, long messageId) throws BotApiException {
    ObjectNode body = JSON.createObjectNode();
    body.put("chat_id", chatId);
    body.put("message_id", messageId);
    call(sender, "deleteMessage", body, CALL_TIMEOUT);
  }

  /** Cuts the token out of {@code text}, for anything that came from outside this class. */
  String redact(String text) {
    if (text == null) {
      return null;
    }
    String secret = token.substring(token.indexOf(':') + 1);
    return text.replace(token, "<bot token>").replace(secret, "<bot token>");
  }

  /** Aborts a long poll in flight; no more polls are made. Sends still go through. */
  void stopPolling() {
    poller.shutdownNow();
  }

  /** Aborts every call in flight; no more calls are made. */
  @Override
  public void close() {
    poller.shutdownNow();
    sender.shutdownNow();
  }

  private JsonNode call(HttpClient http, String method, ObjectNode body, Duration timeout) throws BotApiException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/bot" + token + "/" + method))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .build();
    int status;
    byte[] bytes;
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      status = response.statusCode();
      try (InputStream in = response.body()) {
        bytes = in.readNBytes(MAX_RESPONSE_BYTES + 1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BotApiException(BotApiException.Kind.STOPPED, method + " was interrupted", 0);
    } catch (IOException | RuntimeException e) {
      // The client's messages may quote the request's URL, which holds the token: only the class is kept.
      throw new BotApiException(BotApiException.Kind.NETWORK,
          method + " failed: " + e.getClass().getSimpleName(), 0);
    }
    return result(method, status, bytes, this::redact);
  }

  /**
   * The {@code result} of a successful answer ({@code 200} and {@code "ok": true}), else the
   * failure as a {@link BotApiException}, its text passed through {@code redact}.
   */
  static JsonNode result(String method, int status, byte[] bytes, java.util.function.UnaryOperator<String> redact)
      throws BotApiException {
    if (bytes.length > MAX_RESPONSE_BYTES) {
      throw new BotApiException(BotApiException.Kind.NETWORK, method + " answered more than "
          + MAX_RESPONSE_BYTES + " bytes", 0);
    }
    JsonNode answer;
    try {
      answer = JSON.readTree(bytes);
    } catch (IOException e) {
      answer = null;
    }
    if (answer != null && !answer.isObject()) {
      answer = null;
    }
    if (answer != null && answer.path("ok").asBoolean(false) && status == 200) {
      return answer.path("result");
    }
    String description = answer == null ? "" : redact.apply(answer.path("description").asText(""));
    description = description.length() > 200 ? description.substring(0, 200) + "..." : description; // after: a cut token would pass
    int code = answer != null && answer.path("error_code").canConvertToInt() ? answer.get("error_code").asInt() : status;
    String what = method + " answered HTTP " + status + (description.isEmpty() ? "" : " (" + description + ")");
    if (code == 401 || code == 404 && status == 404) {
      throw new BotApiException(BotApiException.Kind.UNAUTHORIZED, what, 0);
    }
    if (code == 429) {
      long after = answer == null ? 0 : answer.path("parameters").path("retry_after").asLong(0);
      throw new BotApiException(BotApiException.Kind.RETRY_AFTER, what, Math.min(3600, Math.max(1, after)));
    }
    if (status >= 500 || answer == null || code == 409 || status == 200) {
      throw new BotApiException(BotApiException.Kind.NETWORK, what, 0); // the service, not the request: try again
    }
    throw new BotApiException(BotApiException.Kind.REFUSED, what, 0);
  }

  @Override
  public String toString() {
    return "BotApi[" + api + ", bot " + botId() + "]";
  }
}
