package dev.gatehouse.chat.telegram;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.exec.PipedCommand;
import dev.gatehouse.guard.InjectionFlag;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Hands a forwarded message to the owner's agent and returns its answer (DESIGN §9). The
 * message goes as JSON {@code {"channel","sender","sender_name","text","flags"}}; nothing else
 * of Gatehouse (no token, no key) goes with it.
 */
interface Forwarder extends AutoCloseable {
  /** At most this much of an answer is kept (the rest is cut, and the sender told). */
  int MAX_ANSWER_BYTES = 64 * 1024;
  /** How long an agent may take to answer. */
  Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

  /** The agent's answer: {@code text} (possibly empty: nothing to send), or why there is none. */
  record Answer(String text, boolean truncated, String failure) {
    static Answer failed(String why) {
      return new Answer(null, false, why);
    }
  }

  /** @throws InterruptedException if the bridge is stopping (a command is killed first) */
  Answer forward(String channel, String sender, String senderName, String text, List<InjectionFlag> flags)
      throws InterruptedException;

  /** Releases what the forwarder holds (a running command is ended by interrupting its caller). */
  @Override
  default void close() {}

  static byte[] json(String channel, String sender, String senderName, String text, List<InjectionFlag> flags) {
    ObjectNode n = BotApi.JSON.createObjectNode();
    n.put("channel", channel);
    n.put("sender", sender);
    n.put("sender_name", senderName);
    n.put("text", text);
    var array = n.putArray("flags");
    flags.forEach(f -> array.addObject().put("kind", f.kind()).put("detail", f.detail()));
    return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static Answer answer(byte[] bytes) {
    boolean truncated = bytes.length > MAX_ANSWER_BYTES;
    int n = Math.min(bytes.length, MAX_ANSWER_BYTES);
    // A cut in the middle of a UTF-8 sequence becomes one U+FFFD at the end; nothing else changes.
    return new Answer(new String(bytes, 0, n, StandardCharsets.UTF_8).strip(), truncated, null);
  }

  /**
   * Runs {@code argv} (no shell) with the message on standard input; its standard output is the
   * answer, run as {@link PipedCommand} runs a program: only {@link PipedCommand#PASSED_ENV} of
   * the daemon's environment; working folder {@code $HOME} (else {@code /}); standard error
   * discarded (never sent to the chat). Past {@code timeout}, or when the bridge stops, it and
   * its descendants are killed. (What it leaves running after it exits is no longer its
   * descendant and is not tracked: unlike {@code gatehouse exec}, the agent does not get a
   * cgroup of its own.)
   */
  record Command(List<String> argv, Duration timeout, Map<String, String> daemonEnv) implements Forwarder {
    public Command {
      argv = List.copyOf(argv);
      daemonEnv = Map.copyOf(daemonEnv);
    }

    @Override
    public Answer forward(String channel, String sender, String senderName, String text, List<InjectionFlag> flags)
        throws InterruptedException {
      PipedCommand.Result r = new PipedCommand(argv, timeout, daemonEnv)
          .run(json(channel, sender, senderName, text, flags), MAX_ANSWER_BYTES);
      if (r.startFailure() != null) {
        return Answer.failed(r.startFailure());
      }
      if (r.timedOut()) {
        return Answer.failed("no answer within " + timeout.toSeconds() + " s");
      }
      if (r.exitCode() != 0) {
        return Answer.failed("exit code " + r.exitCode());
      }
      return answer(r.output());
    }

    @Override
    public String toString() {
      return "Command[" + argv.get(0) + "]";
    }
  }

  /** POSTs the message to a loopback {@code url}; a 2xx answer's body is the answer. Redirects are not followed. */
  record Url(URI url, Duration timeout, HttpClient http) implements Forwarder {
    @Override
    public Answer forward(String channel, String sender, String senderName, String text, List<InjectionFlag> flags)
        throws InterruptedException {
      HttpRequest request = HttpRequest.newBuilder(url)
          .timeout(timeout)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(json(channel, sender, senderName, text, flags)))
          .build();
      try {
        HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = r.body()) {
          body = in.readNBytes(MAX_ANSWER_BYTES + 1);
        }
        if (r.statusCode() / 100 != 2) {
          return Answer.failed("HTTP " + r.statusCode());
        }
        return answer(body);
      } catch (IOException e) {
        return Answer.failed(e.getClass().getSimpleName());
      }
    }

    @Override
    public void close() {
      http.shutdownNow();
    }

    @Override
    public String toString() {
      return "Url[" + url + "]";
    }
  }
}
