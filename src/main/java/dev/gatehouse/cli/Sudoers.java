package dev.gatehouse.cli;

import dev.gatehouse.error.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one sudoers rule the exec gate needs, and nothing broader. */
final class Sudoers {
  private Sudoers() {}

  static String instructions(String agentUser, Path home, CliEnvironment env) {
    if (!agentUser.matches("[a-z_][a-z0-9_-]{0,31}")) {
      throw new BadInputException("'" + agentUser + "' is not a user name");
    }
    String line = agentUser + " ALL=(root) NOPASSWD: " + command(env) + " --home " + home.toAbsolutePath() + " exec *";
    return "# Lets " + agentUser + " run `gatehouse exec` as root, and nothing else. Every command still needs\n"
        + "# an allow rule in " + home.resolve("exec.yaml") + " and a fresh code from your authenticator app.\n"
        + "# Install it (visudo checks the syntax before anything changes):\n"
        + "#   sudo visudo -f /etc/sudoers.d/gatehouse\n"
        + "# and paste this one line:\n"
        + line + "\n"
        + "# The agent then runs: sudo " + command(env) + " --home " + home.toAbsolutePath()
        + " exec --code CODE -- COMMAND ARG...\n";
  }

  /** How this Gatehouse is started: the launcher if it started us, else java -jar with real paths. */
  static String command(CliEnvironment env) {
    String launcher = env.env().get("GATEHOUSE_LAUNCHER");
    if (launcher != null && launcher.startsWith("/") && Files.isRegularFile(Path.of(launcher))) {
      return launcher;
    }
    try {
      Path jar = Path.of(Sudoers.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toRealPath();
      String java = ProcessHandle.current().info().command().orElse("/usr/bin/java");
      return java + " -jar " + jar;
    } catch (Exception e) {
      return "/usr/local/bin/gatehouse";
    }
  }
}
