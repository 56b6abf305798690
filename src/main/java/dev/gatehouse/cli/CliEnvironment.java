package dev.gatehouse.cli;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;

/**
 * What the command line takes from the world, so that tests can supply their own: time,
 * randomness, environment variables, the user's home and name, and the terminal.
 */
public record CliEnvironment(
    Clock clock, SecureRandom random, Map<String, String> env, String userHome, String userName, Terminal terminal) {

  public static CliEnvironment system() {
    return new CliEnvironment(Clock.systemUTC(), new SecureRandom(), System.getenv(),
        System.getProperty("user.home"), System.getProperty("user.name"), new SystemTerminal());
  }

  /** How the person running this command appears in events. */
  public String actor() {
    return "cli:" + userName;
  }
}
