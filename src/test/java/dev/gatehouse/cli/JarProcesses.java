package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  Result run(String... args) throws Exception {
    return finish(start(args));
  }
}
