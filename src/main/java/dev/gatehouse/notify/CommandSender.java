package dev.gatehouse.notify;

import dev.gatehouse.exec.PipedCommand;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code command} sink: runs {@code argv} as {@link PipedCommand} does (no shell, a minimal
 * environment, killed with its descendants after {@code timeout}) with the notification's JSON
 * on standard input. Exit code 0 is delivered. Its output is discarded, never read or logged.
 */
final class CommandSender implements Sink {
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final PipedCommand command;

  CommandSender(List<String> argv, Duration timeout, Map<String, String> daemonEnv) {
    this.command = new PipedCommand(argv, timeout, daemonEnv);
  }

  @Override
  public String name() {
    return "command " + command.argv().get(0);
  }

  @Override
  public void deliver(Notification n, byte[] json) throws DeliveryException, InterruptedException {
    byte[] input = new byte[json.length + 1];
    System.arraycopy(json, 0, input, 0, json.length);
    input[json.length] = '\n';
    send(input);
  }

  /** Runs the command once with {@code input} on standard input; exit code 0 is delivered. */
  void send(byte[] input) throws DeliveryException, InterruptedException {
    PipedCommand.Result r = command.run(input, 0);
    if (r.startFailure() != null) {
      throw new DeliveryException(r.startFailure(), false);
    }
    if (r.timedOut()) {
      throw new DeliveryException("killed after " + command.timeout().toSeconds() + " s without finishing", true);
    }
    if (r.exitCode() != 0) {
      throw new DeliveryException("exit code " + r.exitCode(), true);
    }
  }

  @Override
  public String toString() {
    return "CommandSender[" + name() + "]";
  }
}
