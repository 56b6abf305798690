package dev.gatehouse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/** The packaged jar (-Dgatehouse.jar) run as real processes on one home with a password file. */
final class JarProcesses {
  record Result(int exit, String out, String err) {}

  final Path home;
  final Path passwordFile;
  /** Added to the environment of every process started. */
  final java.util.Map<String, String> env = new java.util.HashMap<>();

  JarProcesses(Path temp, String password) throws IOException {
    home = temp.resolve("gh");
    passwordFile = temp.resolve("pw");
    Files.writeString(passwordFile, password + "\n");
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
  }

  Process start(String... args) throws IOException {
    return start(null, args);
  }

  /** @param input standard input, or null for none */
  Process start(byte[] input, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "-jar", System.getProperty("gatehouse.jar"), "--home", home.toString(),
        "--password-file", passwordFile.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    if (input == null) {
      return pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }
    Process p = pb.start();
    try (var in = p.getOutputStream()) {
      in.write(input);
    }
    return p;
  }

  static Result finish(Process p) throws Exception {
    dev.gatehouse.testing.Processes.Output r = dev.gatehouse.testing.Processes.finish(p, java.time.Duration.ofSeconds(60),
        String.join(" ", p.info().arguments().map(java.util.List::of).orElse(java.util.List.of("gatehouse"))));
    return new Result(r.exit(), r.out(), r.err());
  }

  Result run(String... args) throws Exception {
    return finish(start(args));
  }
}
