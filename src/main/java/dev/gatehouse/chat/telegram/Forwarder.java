package dev.gatehouse.chat.telegram;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.guard.InjectionFlag;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
   * answer. Its environment is only {@link #PASSED_ENV} of the daemon's own; its working folder
   * is {@code $HOME} (else {@code /}); its standard error is discarded (never sent to the chat).
   * Past {@code timeout}, or when the bridge stops, it and its descendants are killed. (What it
   * leaves running after it exits is no longer its descendant and is not tracked: unlike
   * {@code gatehouse exec}, the agent does not get a cgroup of its own.)
   */
  record Command(List<String> argv, Duration timeout, Map<String, String> daemonEnv) implements Forwarder {
    static final List<String> PASSED_ENV = List.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ");

    public Command {
      argv = List.copyOf(argv);
      daemonEnv = Map.copyOf(daemonEnv);
    }

    @Override
    public Answer forward(String channel, String sender, String senderName, String text, List<InjectionFlag> flags)
        throws InterruptedException {
      ProcessBuilder pb = new ProcessBuilder(argv);
      pb.environment().clear();
      for (String name : PASSED_ENV) {
        String v = daemonEnv.get(name);
        if (v != null) {
          pb.environment().put(name, v);
        }
      }
      pb.environment().putIfAbsent("PATH", dev.gatehouse.exec.CommandRunner.PATH);
      String home = daemonEnv.get("HOME");
      pb.directory((home != null && Path.of(home).isAbsolute() ? Path.of(home) : Path.of("/")).toFile());
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        return Answer.failed("cannot start " + argv.get(0) + " (" + e.getClass().getSimpleName() + ")");
      }
      try {
        byte[] input = json(channel, sender, senderName, text, flags);
        Thread writer = Thread.ofVirtual().start(() -> {
          try (OutputStream in = p.getOutputStream()) {
            in.write(input);
          } catch (IOException ignored) {
            // the command did not read its input: its answer (or exit code) says the rest
          }
        });
        var out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
          try (InputStream o = p.getInputStream()) {
            byte[] buf = new byte[8192];
            for (int n; (n = o.read(buf)) >= 0; ) {
              synchronized (out) {
                if (out.size() <= MAX_ANSWER_BYTES) {
                  out.write(buf, 0, Math.min(n, MAX_ANSWER_BYTES + 1 - out.size()));
                }
              }
            }
          } catch (IOException ignored) {
            // the pipe broke: what was read is the answer so far
          }
        });
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          kill(p);
          return Answer.failed("no answer within " + timeout.toSeconds() + " s");
        }
        writer.join();
        reader.join(Duration.ofSeconds(5)); // a process it left holding stdout open does not hold the chat up
        if (p.exitValue() != 0) {
          return Answer.failed("exit code " + p.exitValue());
        }
        synchronized (out) {
          return answer(out.toByteArray());
        }
      } finally {
        if (p.isAlive()) {
          kill(p); // interrupted: the bridge is stopping
        }
      }
    }

    private static void kill(Process p) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
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
