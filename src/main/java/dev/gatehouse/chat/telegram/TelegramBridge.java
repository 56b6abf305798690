package dev.gatehouse.chat.telegram;

import dev.gatehouse.chat.Decision;
import dev.gatehouse.chat.Gate;
import dev.gatehouse.chat.GateAnswer;
import dev.gatehouse.chat.GateMessage;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.notify.ChatSender;
import dev.gatehouse.notify.DeliveryException;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in Telegram bridge (DESIGN §9): long-polls the Bot API, asks the {@link Gate}
 * about every text message, sends the gate's reply, deletes code messages, and hands
 * forwarded messages to the owner's agent ({@link Forwarder}), sending its answer back in
 * pieces of at most 4096 characters.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Messages are handled one at a time, in the order Telegram numbers them. Only text
 *       messages in private chats are handled: in a group, the agent's answers (and a code,
 *       which a bot may not be allowed to delete there) would be shown to every member.
 *   <li><b>At most once, and never silently lost.</b> An update is marked in progress
 *       durably before the gate sees it, and done durably after ({@link OffsetStore}). A
 *       restart (or crash) resumes after the last update done. An update that was in
 *       progress is not handled again: its sender is told it may not have been answered.
 *       For a security gate a duplicate is the worse failure: it would run the agent twice on
 *       one instruction, or present a code a second time (a replayed code, which counts
 *       as a wrong one toward the lockout); a message that is visibly not answered costs the
 *       owner one resend.
 *   <li>A code message ({@code delete_message}) is deleted before anything else is done
 *       about it (a code-shaped message is deleted too when the gate cannot decide), and
 *       whatever fails for one message (the agent, a send) does not stop the next one from
 *       being handled.
 *   <li>{@code /start} and {@code /help} (also as {@code /help@botname}) are the bridge's own
 *       commands: they go to the gate with {@code invokes_agent: false} (so pairing applies,
 *       not the TOTP session) and are answered by the bridge, never forwarded. Every other
 *       text, commands included, is for the agent.
 *   <li>The bot token is never logged, never in an exception message, never in the state
 *       file, and never given to the agent (its argv, environment and input are built
 *       without it).
 *   <li>A 401 from the Bot API stops the bridge with one log line; a 429 waits its
 *       {@code retry_after}; a network failure backs off exponentially (1 s doubling to
 *       {@link #MAX_BACKOFF}); {@link #close} ends the loop without waiting for a long
 *       poll or an agent.
 * </ul>
 */
public final class TelegramBridge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.telegram");
  static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
  /** How often a reply or a deletion is tried when Telegram is unreachable or busy. */
  static final int SEND_ATTEMPTS = 5;
  private static final Pattern BRIDGE_COMMAND = Pattern.compile("/(start|help)(@[A-Za-z0-9_]{1,64})?(\\s.*)?",
      Pattern.DOTALL);

  /** DESIGN §9's code shape: 6 to 8 digits, spaces and dashes allowed. */
  private static final Pattern CODE_SHAPED = Pattern.compile("[\\s-]*(?:[0-9][\\s-]*){6,8}");

  static final String START_TEXT = "Gatehouse guards this bot, and you are paired with it. Send a message; when your "
      + "session has lapsed you will be asked for a code from the owner's authenticator app first. /help says more.";
  static final String HELP_TEXT = "Messages to this bot reach an assistant through Gatehouse. A new sender gets a "
      + "pairing code that the owner approves on the host. After that, a message is answered only within a session: "
      + "when asked, send the 6-digit code from the authenticator app (the code message is deleted, never passed on). "
      + "/start and /help are answered here and never reach the assistant.";
  static final String INTERRUPTED_TEXT = "Gatehouse restarted while it was handling your last message, so it may not "
      + "have been answered. It is not handled again by itself: send it once more if it still needs an answer.";
  static final String UNAVAILABLE_TEXT = "Gatehouse cannot handle messages right now; nothing was passed on. "
      + "Try again later.";
  static final String NO_ANSWER_TEXT = "The assistant did not answer (the Gatehouse log says why).";
  static final String CUT_TEXT = "[Gatehouse: the answer was longer than 64 KiB; the rest was cut.]";

  /** Waits, unless the bridge is stopping: then it throws InterruptedException. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final String channel;
  private final String tokenSecret;
  private final Gate gate;
  private final BotApi api;
  private final Forwarder forwarder;
  private final OffsetStore store;
  private final Duration poll;
  private final java.util.concurrent.CompletableFuture<Void> stopping = new java.util.concurrent.CompletableFuture<>();
  private final Sleeper sleeper;
  private volatile boolean running = true;
  private volatile Thread thread;
  // Touched by the polling thread only:
  private boolean resumed;
  private long nextOffset;
  private long savedOffset = -1;
  private int failures;

  TelegramBridge(Config.Telegram cfg, Gate gate, BotApi api, Forwarder forwarder, Path stateFile, Sleeper sleeper) {
    this.channel = cfg.channel();
    this.tokenSecret = cfg.tokenSecret();
    this.gate = gate;
    this.api = api;
    this.forwarder = forwarder;
    this.store = new OffsetStore(stateFile, api.botId());
    this.poll = Duration.ofSeconds(cfg.pollSeconds());
    this.sleeper = sleeper != null ? sleeper : d -> {
      try {
        stopping.get(d.toMillis(), TimeUnit.MILLISECONDS);
        throw new InterruptedException("stopping");
      } catch (java.util.concurrent.TimeoutException waited) {
        // the time is up
      } catch (java.util.concurrent.ExecutionException impossible) {
        throw new IllegalStateException(impossible);
      }
    };
  }

  /**
   * Starts the bridge of {@code cfg} on a thread of its own, with the bot token from the vault
   * entry {@code cfg.tokenSecret()} and its position in {@code home}. It runs until
   * {@link #close} (to be called before {@code gate}'s own resources are closed).
   *
   * @throws NotConfiguredException if the vault has no such entry
   * @throws BadInputException if the entry does not hold a bot token (the message does not quote it)
   */
  public static TelegramBridge start(Config.Telegram cfg, Gate gate, Vault vault, Path home) throws IOException {
    return start(cfg, gate, token(cfg, vault), home.resolve(OffsetStore.FILE), System.getenv(), null);
  }

  /**
   * What {@link #start} would refuse, found now without polling: the token's vault entry, its
   * form, the API URL. For a replica that starts the bridge later, when it is elected.
   */
  public static void check(Config.Telegram cfg, Vault vault) throws IOException {
    botApi(cfg, token(cfg, vault)).close();
  }

  private static String token(Config.Telegram cfg, Vault vault) throws IOException {
    try (SecretValue v = vault.reveal(cfg.tokenSecret(), SecretAccess.get()).orElseThrow(() ->
        new NotConfiguredException("chat.telegram.token_secret names the vault entry '" + cfg.tokenSecret()
            + "', which does not exist; store the bot token with `gatehouse vault add " + cfg.tokenSecret() + "`"))) {
      byte[] bytes = v.bytes(SecretAccess.get());
      String token = new String(bytes, StandardCharsets.UTF_8).strip();
      Arrays.fill(bytes, (byte) 0);
      return token;
    }
  }

  /**
   * Owner notifications through the bot of {@code cfg} (the {@code notify:} telegram sink): the
   * token from the same vault entry, a connection of its own (the bridge's polling and
   * stopping do not touch it), plain text with link previews off. A refused token or chat is
   * not retryable; the network, a 5xx or a 429 is.
   *
   * @throws NotConfiguredException if the vault has no such entry
   * @throws BadInputException if the entry does not hold a bot token (the message does not quote it)
   */
  public static ChatSender notificationSender(Config.Telegram cfg, Vault vault) throws IOException {
    return notificationSender(cfg, token(cfg, vault));
  }

  static ChatSender notificationSender(Config.Telegram cfg, String token) {
    BotApi api = botApi(cfg, token);
    return new ChatSender() {
      @Override
      public void send(long chatId, String text) throws DeliveryException, InterruptedException {
        try {
          api.sendMessage(chatId, text);
        } catch (BotApiException e) {
          switch (e.kind()) {
            case STOPPED -> throw new InterruptedException("stopping");
            case UNAUTHORIZED, REFUSED -> throw new DeliveryException("telegram: " + e.getMessage(), false);
            default -> throw new DeliveryException("telegram: " + e.getMessage(), true);
          }
        }
      }

      @Override
      public void close() {
        api.close();
      }

      @Override
      public String toString() {
        return "ChatSender[" + api + "]";
      }
    };
  }

  static TelegramBridge start(Config.Telegram cfg, Gate gate, String token, Path stateFile, Map<String, String> env,
      Sleeper sleeper) {
    TelegramBridge bridge = create(cfg, gate, token, stateFile, env, sleeper, Forwarder.DEFAULT_TIMEOUT);
    bridge.thread = new Thread(bridge::run, "telegram-bridge");
    bridge.thread.setDaemon(true);
    bridge.thread.start();
    return bridge;
  }

  /** A bridge that polls only when {@link #cycle} is called (for tests and for {@link #start}). */
  static TelegramBridge create(Config.Telegram cfg, Gate gate, String token, Path stateFile, Map<String, String> env,
      Sleeper sleeper, Duration forwardTimeout) {
    BotApi api = botApi(cfg, token);
    Forwarder forwarder = cfg.forwardUrl() != null ? new Forwarder.Url(cfg.forwardUrl(), forwardTimeout, httpClient())
        : new Forwarder.Command(cfg.command(), forwardTimeout, env);
    return new TelegramBridge(cfg, gate, api, forwarder, stateFile, sleeper);
  }

  private static BotApi botApi(Config.Telegram cfg, String token) {
    if (!cfg.apiUrl().getScheme().equals("https") && !loopback(cfg.apiUrl().getHost())) {
      throw new BadInputException("chat.telegram.api_url " + cfg.apiUrl() + ": plain http is accepted on a loopback"
          + " address only, since the bot token travels in every URL; use https");
    }
    try {
      return new BotApi(cfg.apiUrl(), token, httpClient(), httpClient());
    } catch (IllegalArgumentException e) {
      throw new BadInputException("the vault entry '" + cfg.tokenSecret() + "' (chat.telegram.token_secret) "
          + e.getMessage());
    }
  }

  private static boolean loopback(String host) {
    return host != null && (host.equals("localhost") || host.equals("[::1]") || host.startsWith("127."));
  }

  /** HTTP/1.1 (what the Bot API speaks; no h2c upgrade round trip), redirects never followed. */
  private static HttpClient httpClient() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** Whether the bridge still polls: false after {@link #close} or after the token was refused. */
  public boolean running() {
    return running;
  }

  /** Whether the polling thread has ended (or never started). */
  private boolean stopped() {
    Thread t = thread;
    return t == null || !t.isAlive();
  }

  private void run() {
    try {
      while (running && cycle()) {
        // one long poll per turn
      }
    } catch (InterruptedException e) {
      // stopping
    } catch (RuntimeException e) {
      LOG.error("telegram bridge stopped by an unexpected error: {}", api.redact(String.valueOf(e)));
    } finally {
      running = false;
    }
  }

  /**
   * One turn: resumes if needed, long-polls once, handles what came. Returns false when the
   * bridge must stop for good (the token was refused, or its position cannot be kept).
   *
   * @throws InterruptedException if the bridge is stopping
   */
  boolean cycle() throws InterruptedException {
    try {
      if (!resumed) {
        resume();
      }
      List<BotApi.Update> updates = api.getUpdates(nextOffset, poll);
      failures = 0;
      for (BotApi.Update u : updates) {
        if (!running) {
          break;
        }
        handle(u);
      }
      if (nextOffset != savedOffset) {
        save(null); // skipped updates: confirmed now, so they are not fetched again
      }
      return true;
    } catch (BotApiException e) {
      return afterFailure(e);
    } catch (IOException e) {
      // Without its position the bridge could only repeat or lose messages: it stops instead.
      LOG.error("telegram bridge stopped: cannot keep its position in the update stream ({}); fix that and restart"
          + " the daemon", api.redact(e.getMessage()));
      running = false;
      return false;
    }
  }

  private boolean afterFailure(BotApiException e) throws InterruptedException {
    if (!running) {
      throw new InterruptedException("stopping"); // the long poll was aborted on purpose
    }
    switch (e.kind()) {
      case UNAUTHORIZED -> {
        LOG.error("telegram bridge stopped: the Bot API refused the bot token in vault entry '{}' ({}); store the right"
            + " one with `gatehouse vault add {} --replace` and restart the daemon", tokenSecret, e.getMessage(),
            tokenSecret);
        running = false;
        return false;
      }
      case STOPPED -> {
        throw new InterruptedException("stopping");
      }
      case RETRY_AFTER -> {
        LOG.warn("telegram: {}; waiting {} s as asked", e.getMessage(), e.retryAfterSeconds());
        sleeper.sleep(Duration.ofSeconds(e.retryAfterSeconds()));
        return true;
      }
      default -> {
        Duration wait = backoff(++failures);
        LOG.warn("telegram: {}; trying again in {} s", e.getMessage(), wait.toSeconds());
        sleeper.sleep(wait);
        return true;
      }
    }
  }

  /** 1 s, 2 s, 4 s, ... up to {@link #MAX_BACKOFF}. */
  static Duration backoff(int failures) {
    return failures >= 7 ? MAX_BACKOFF : Duration.ofSeconds(Math.min(MAX_BACKOFF.toSeconds(), 1L << (failures - 1)));
  }

  private void resume() throws BotApiException, IOException, InterruptedException {
    String username = api.getMe();
    OffsetStore.State state = store.load();
    nextOffset = state.nextOffset();
    savedOffset = nextOffset;
    OffsetStore.InProgress interrupted = state.inProgress();
    if (interrupted != null) {
      nextOffset = Math.max(nextOffset, interrupted.updateId() + 1);
      save(null); // first: the notice below may be lost, the update must not be handled again
      LOG.warn("telegram: update {} was being handled when the bridge stopped; it is not handled again, and its"
          + " sender is told", interrupted.updateId());
      deliver(() -> api.sendMessage(interrupted.chatId(), INTERRUPTED_TEXT), "the restart notice");
    }
    resumed = true;
    LOG.info("telegram bridge polling as @{} (channel {})", username, channel);
  }

  private void handle(BotApi.Update u) throws IOException, BotApiException, InterruptedException {
    if (u.updateId() < nextOffset) {
      return; // handled before (an update delivered again)
    }
    BotApi.Message m = u.message();
    if (m == null || m.text() == null || !m.privateChat()) {
      if (m != null && !m.privateChat()) {
        LOG.debug("telegram: a message in group chat {} is not handled (private chats only)", m.chatId());
      }
      nextOffset = u.updateId() + 1; // nothing to do but confirm it
      return;
    }
    nextOffset = u.updateId() + 1;
    save(new OffsetStore.InProgress(u.updateId(), m.chatId()));
    try {
      process(m);
    } catch (BotApiException e) {
      save(null); // the token was refused meanwhile: what could be done was done
      throw e;
    }
    // Not reached when stopping mid-way (InterruptedException): the update stays in progress.
    save(null);
  }

  private void save(OffsetStore.InProgress inProgress) throws IOException {
    store.save(new OffsetStore.State(inProgress == null ? nextOffset : inProgress.updateId(), inProgress));
    savedOffset = inProgress == null ? nextOffset : -1;
  }

  private void process(BotApi.Message m) throws BotApiException, InterruptedException {
    String sender = Long.toString(m.fromId());
    String name = m.firstName() != null ? m.firstName() + (m.username() != null ? " (@" + m.username() + ")" : "")
        : m.username() != null ? "@" + m.username() : null;
    boolean bridgeCommand = BRIDGE_COMMAND.matcher(m.text()).matches();
    GateAnswer a;
    try {
      a = gate.decide(channel, new GateMessage(sender, m.text(), name, !bridgeCommand));
    } catch (RuntimeException e) {
      LOG.warn("telegram: the gate could not decide about a message from sender {} ({}); nothing was passed on",
          sender, api.redact(e.getMessage()));
      if (CODE_SHAPED.matcher(m.text()).matches()) { // it may be a code: it goes, decided or not
        deliver(() -> api.deleteMessage(m.chatId(), m.messageId()), "the deletion of a code message");
      }
      deliver(() -> api.sendMessage(m.chatId(), UNAVAILABLE_TEXT), "a reply");
      return;
    }
    if (a.deleteMessage()) {
      deliver(() -> api.deleteMessage(m.chatId(), m.messageId()), "the deletion of a code message");
    }
    if (a.reply() != null && !a.reply().isBlank()) {
      send(m.chatId(), a.reply());
    }
    if (a.decision() != Decision.FORWARD) {
      return;
    }
    if (bridgeCommand) {
      send(m.chatId(), m.text().startsWith("/help") ? HELP_TEXT : START_TEXT);
      return;
    }
    if (a.text() == null) {
      LOG.warn("telegram: the gate forwarded a message from sender {} without its text; nothing was passed on", sender);
      return;
    }
    Forwarder.Answer answer = forward(sender, name, a);
    if (answer.failure() != null) {
      LOG.warn("telegram: the agent ({}) gave no answer to a message from sender {}: {}", forwarder,
          sender, api.redact(answer.failure()));
      send(m.chatId(), NO_ANSWER_TEXT);
      return;
    }
    send(m.chatId(), answer.text());
    if (answer.truncated()) {
      send(m.chatId(), CUT_TEXT);
    }
  }

  /**
   * The agent's answer, on a thread of its own: stopping interrupts that thread (which kills a
   * command) and never the polling thread, which may be inside the gate's audit write.
   */
  private Forwarder.Answer forward(String sender, String name, GateAnswer a) throws InterruptedException {
    var result = new java.util.concurrent.CompletableFuture<Forwarder.Answer>();
    Thread worker = Thread.ofVirtual().name("telegram-forward").start(() -> {
      try {
        result.complete(forwarder.forward(channel, sender, name, a.text(), a.flags()));
      } catch (InterruptedException e) {
        result.cancel(false);
      } catch (RuntimeException e) {
        result.complete(Forwarder.Answer.failed(e.getClass().getSimpleName()));
      }
    });
    java.util.concurrent.CompletableFuture.anyOf(result, stopping).join();
    if (!result.isDone() || result.isCancelled()) {
      worker.interrupt();
      worker.join(Duration.ofSeconds(10));
      throw new InterruptedException("stopping");
    }
    return result.join();
  }

  private void send(long chatId, String text) throws BotApiException, InterruptedException {
    for (String piece : Pieces.split(text, Pieces.LIMIT)) {
      if (!piece.isBlank()) { // Telegram refuses an empty text
        deliver(() -> api.sendMessage(chatId, piece), "a reply");
      }
    }
  }

  @FunctionalInterface
  private interface Call {
    void run() throws BotApiException;
  }

  /**
   * Makes {@code call}, trying again after a 429 or a network failure, up to {@link #SEND_ATTEMPTS}.
   * Returns whether it went through; a refused token and stopping are passed up.
   */
  private boolean deliver(Call call, String what) throws BotApiException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        call.run();
        return true;
      } catch (BotApiException e) {
        switch (e.kind()) {
          case UNAUTHORIZED -> throw e;
          case STOPPED -> throw new InterruptedException("stopping");
          case REFUSED -> {
            LOG.warn("telegram: {} was refused: {}", what, e.getMessage());
            return false;
          }
          default -> {
            if (attempt >= SEND_ATTEMPTS) {
              LOG.warn("telegram: gave up on {} after {} attempts: {}", what, attempt, e.getMessage());
              return false;
            }
            sleeper.sleep(e.kind() == BotApiException.Kind.RETRY_AFTER ? Duration.ofSeconds(e.retryAfterSeconds())
                : backoff(attempt));
          }
        }
      }
    }
  }

  /**
   * Stops polling and waits (up to 10 s) for the polling thread to end: a long poll and an
   * agent call in flight are aborted (an agent command is killed; its message counts as in
   * progress, see the class comment), and a gate decision in flight is let finish with its
   * reply. Call it before closing what the gate uses.
   */
  @Override
  public void close() {
    if (!stop(Duration.ofSeconds(10))) {
      LOG.warn("telegram bridge: the polling thread did not end within 10 s");
    }
    api.close();
    forwarder.close();
  }

  /** {@link #close}'s first part: whether the polling thread ended within {@code wait}. */
  boolean stop(Duration wait) {
    running = false;
    stopping.complete(null);
    api.stopPolling();
    Thread t = thread;
    if (t != null) {
      try {
        t.join(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return stopped();
  }

  @Override
  public String toString() {
    return "TelegramBridge[" + channel + ", " + api + "]";
  }
}
