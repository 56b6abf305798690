package dev.gatehouse.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Looks at live processes through /proc, for tests. Zombies count as gone: they run nothing. */
final class Procs {
  private Procs() {}

  static boolean alive(long pid) {
    return state(pid).map(s -> s != 'Z' && s != 'X' && s != 'x').orElse(false);
  }

  /** The state letter of /proc/PID/stat (R, S, D, Z, ...); empty if the process is gone. */
  static Optional<Character> state(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return Optional.empty();
    }
    // "pid (comm) state ...": comm may hold spaces and ')', so the state follows the last ')'.
    int close = stat.lastIndexOf(')');
    return close < 0 || close + 2 >= stat.length() ? Optional.empty() : Optional.of(stat.charAt(close + 2));
  }

  /** Polls until {@code pid} is gone or {@code limit} passed; true if gone. */
  static boolean awaitGone(long pid, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (alive(pid)) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** Pids of live processes whose command line (arguments joined by spaces) contains {@code marker}. */
  static List<Long> withCommandLine(String marker) throws IOException {
    return matching(marker, false);
  }

  /** Pids of live processes whose command line (arguments joined by spaces) starts with {@code prefix}. */
  static List<Long> withCommandLineStarting(String prefix) throws IOException {
    return matching(prefix, true);
  }

  private static List<Long> matching(String marker, boolean atStart) throws IOException {
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path proc : procs) {
        String cmdline;
        try {
          cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.ISO_8859_1);
        } catch (IOException gone) {
          continue;
        }
        long pid = Long.parseLong(proc.getFileName().toString());
        String joined = cmdline.replace('\0', ' ');
        if ((atStart ? joined.startsWith(marker) : joined.contains(marker)) && alive(pid) && pid != ProcessHandle.current().pid()) {
          found.add(pid);
        }
      }
    }
    return found;
  }

  /** Polls until no live process has {@code marker} in its command line; true if none is left. */
  static boolean awaitNoneWith(String marker, Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!withCommandLine(marker).isEmpty()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** Polls until {@code file} holds a pid (a line ending in a newline), then returns it. */
  static long awaitPid(Path file, Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      if (Files.exists(file)) {
        String s = Files.readString(file);
        if (s.endsWith("\n")) {
          return Long.parseLong(s.strip());
        }
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("no pid written to " + file + " within " + limit);
      }
      Thread.sleep(20);
    }
  }
}
