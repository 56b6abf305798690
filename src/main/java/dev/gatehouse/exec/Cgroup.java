package dev.gatehouse.exec;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One command's own cgroup v2: a leaf that this JVM creates, fills with exactly one process
 * (before that process runs anything), kills as a whole, and removes.
 *
 * <p>Invariants: a process in the leaf, and everything it forks, stays in it whatever it does
 * to its session, process group or parent (only a write to another cgroup's {@code
 * cgroup.procs}, which needs root's access to the cgroup file system, moves it out);
 * {@link #kill} signals every process in it at once, so nothing forked meanwhile is missed.
 *
 * <p>All file access goes through {@code java.io} streams, which an interrupt of the calling
 * thread does not abort: the cleanup after an interrupt must still reach the kernel.
 */
final class Cgroup {
  static final String PREFIX = "gatehouse-exec-";
  private static final Path PROC_CGROUP = Path.of("/proc/self/cgroup");
  private static final Path PROC_MOUNTINFO = Path.of("/proc/self/mountinfo");

  private final Path dir;

  private Cgroup(Path dir) {
    this.dir = dir;
  }

  /** The folder of the cgroup v2 hierarchy this JVM belongs to, where its runs' leaves are made. */
  static Path ownFolder() throws CgroupUnavailableException {
    return folderOf(readLines(PROC_CGROUP), readLines(PROC_MOUNTINFO));
  }

  /** {@link #ownFolder} from the lines of /proc/self/cgroup and /proc/self/mountinfo. */
  static Path folderOf(List<String> procCgroup, List<String> mountinfo) throws CgroupUnavailableException {
    String own = null;
    for (String line : procCgroup) {
      if (line.startsWith("0::")) {
        own = line.substring(3);
      }
    }
    if (own == null || !own.startsWith("/")) {
      throw new CgroupUnavailableException("this process is in no cgroup v2 hierarchy (" + PROC_CGROUP
          + " has no \"0::\" line: the host uses cgroup v1 only)");
    }
    if (own.equals("/..") || own.contains("/../") || own.endsWith("/..")) {
      throw new CgroupUnavailableException("this process's cgroup " + own + " lies outside its cgroup namespace");
    }
    List<String> mounts = new ArrayList<>();
    for (String line : mountinfo) {
      // "id parent major:minor root mount-point options [optional...] - fstype source super-options"
      String[] f = line.split(" ");
      int dash = List.of(f).indexOf("-");
      if (dash < 5 || dash + 1 >= f.length || !f[dash + 1].equals("cgroup2")) {
        continue;
      }
      String root = unescape(f[3]);
      Path mountPoint = Path.of(unescape(f[4]));
      mounts.add(mountPoint.toString());
      String rel;
      if (root.equals("/")) {
        rel = own.substring(1);
      } else if (own.equals(root) || own.startsWith(root + "/")) {
        rel = own.substring(root.length()).replaceFirst("^/", "");
      } else {
        continue;
      }
      Path folder = rel.isEmpty() ? mountPoint : mountPoint.resolve(rel);
      if (Files.isDirectory(folder)) {
        return folder;
      }
    }
    throw new CgroupUnavailableException(mounts.isEmpty()
        ? "no cgroup2 file system is mounted (normally at /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host)"
        : "this process's cgroup " + own + " is not visible under the cgroup2 mount(s) " + String.join(", ", mounts));
  }

  /**
   * Creates a new, empty leaf under {@code parent}.
   *
   * @throws CgroupUnavailableException if it cannot be created, or the kernel cannot kill a
   *     cgroup as a whole ({@code cgroup.kill}, Linux 5.14)
   */
  static Cgroup create(Path parent) throws CgroupUnavailableException {
    Path dir;
    while (true) {
      dir = parent.resolve(PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
      try {
        Files.createDirectory(dir);
        break;
      } catch (FileAlreadyExistsException e) {
        // another run's name: draw again
      } catch (IOException e) {
        throw new CgroupUnavailableException("cannot create a cgroup in " + parent + " (" + reason(e) + ")");
      }
    }
    Cgroup cgroup = new Cgroup(dir);
    if (!Files.isRegularFile(dir.resolve("cgroup.kill")) || !Files.isRegularFile(dir.resolve("cgroup.events"))) {
      cgroup.remove();
      throw new CgroupUnavailableException(parent + " is not a cgroup v2 folder with cgroup.kill (Linux 5.14 or later)");
    }
    return cgroup;
  }

  Path dir() {
    return dir;
  }

  /**
   * Moves process {@code pid} into this cgroup and checks that it arrived.
   *
   * @throws CgroupUnavailableException if the kernel refused, or the process is elsewhere
   */
  void adopt(long pid) throws CgroupUnavailableException {
    try {
      write("cgroup.procs", Long.toString(pid));
    } catch (IOException e) {
      throw new CgroupUnavailableException("cannot move a process into " + dir + " (" + reason(e) + ")");
    }
    if (!pids().contains(pid)) {
      throw new CgroupUnavailableException("process " + pid + " did not arrive in " + dir);
    }
  }

  /** Whether any process that has not exited is in the cgroup (zombies do not count); true if unreadable. */
  boolean populated() {
    try {
      for (String line : readLines(dir.resolve("cgroup.events"))) {
        if (line.startsWith("populated ")) {
          return !line.equals("populated 0");
        }
      }
    } catch (CgroupUnavailableException e) {
      // cannot tell: assume the worst, so the caller kills and waits
    }
    return true;
  }

  /** The processes in the cgroup now, as this JVM's PID namespace numbers them; empty if unreadable. */
  List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try {
      for (String line : readLines(dir.resolve("cgroup.procs"))) {
        if (!line.isBlank()) {
          pids.add(Long.parseLong(line.strip()));
        }
      }
    } catch (CgroupUnavailableException | NumberFormatException e) {
      // nothing to signal individually; kill() still reaches every process
    }
    return pids;
  }

  /** SIGKILL to every process in the cgroup, in one step; best effort (the caller waits and checks). */
  void kill() {
    try {
      write("cgroup.kill", "1");
    } catch (IOException e) {
      // The leaf was made with cgroup.kill present and belongs to root: only a vanished folder
      // fails here, and then nothing is left in it.
    }
  }

  /** Removes the (empty) cgroup; false if the kernel still holds it (a process is still in it). */
  boolean remove() {
    try {
      Files.deleteIfExists(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void write(String file, String value) throws IOException {
    try (OutputStream out = new FileOutputStream(dir.resolve(file).toFile())) {
      out.write(value.getBytes(StandardCharsets.US_ASCII));
    }
  }

  private static List<String> readLines(Path file) throws CgroupUnavailableException {
    try (InputStream in = new FileInputStream(file.toFile())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new CgroupUnavailableException("cannot read " + file + " (" + reason(e) + ")");
    }
  }

  /** mountinfo writes space, tab, newline and backslash as three octal digits after a backslash. */
  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String reason(IOException e) {
    String m = e.getMessage();
    if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
      m = fse.getReason();
    }
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
