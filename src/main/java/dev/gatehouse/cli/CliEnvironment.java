package dev.gatehouse.cli;

import dev.gatehouse.vault.MachineIdentity;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;

/**
 * What the command line takes from the world, so that tests can supply their own: time,
 * randomness, environment variables, the user's home and name, the terminal, standard input,
 * and the machine's identity (for sealed mode).
 */
public record CliEnvironment(
    Clock clock, SecureRandom random, Map<String, String> env, String userHome, String userName, Terminal terminal,
    InputStream stdin, MachineIdentity machine) {

  public static CliEnvironment system() {
    Map<String, String> env = System.getenv();
    // ~ means $HOME, as in the shell; the JVM's user.home (from the password database) is the fallback.
    String home = env.get("HOME");
    String userHome = home != null && home.startsWith("/") ? home : System.getProperty("user.home");
    return new CliEnvironment(Clock.systemUTC(), new SecureRandom(), env, userHome,
        System.getProperty("user.name"), new SystemTerminal(), System.in, MachineIdentity.host());
  }

  /** How the person running this command appears in events. */
  public String actor() {
    return "cli:" + userName;
  }
}
