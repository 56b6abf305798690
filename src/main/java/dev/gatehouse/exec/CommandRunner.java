package dev.gatehouse.exec;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command, as safely as the machine allows, and waits for it.
 *
 * <p>Guarantees of {@link #run}:
 *
 * <ul>
 *   <li><b>No shell.</b> {@code argv} is executed directly; every element reaches the program
 *       byte for byte as one argument ({@code ;}, {@code $(..)}, quotes and globs are plain
 *       characters).
 *   <li><b>Clean environment.</b> The command's environment is exactly {@code PATH=}{@link
 *       #PATH}; nothing of Gatehouse's own environment is passed on.
 *   <li><b>Fixed surroundings.</b> Working directory {@code /}; standard input is {@code
 *       /dev/null}; no file descriptor other than 0, 1 and 2 is inherited.
 *   <li><b>Its own session and process group.</b> The command leads a new session without a
 *       controlling terminal; everything it starts belongs to that process group unless it
 *       deliberately leaves it.
 *   <li><b>Bounded time.</b> When {@link RunSpec#timeout} is reached the whole process group
 *       receives SIGTERM, then SIGKILL after a grace period (5 s) if anything is left; the
 *       result says {@code timedOut}. When the command ends by itself, whatever it left running
 *       in its group is ended the same way, so nothing it started outlives the run. If the
 *       calling thread is interrupted, the group is killed at once.
 *   <li><b>Bounded output.</b> Standard output and standard error are read concurrently (a
 *       command writing much to either never blocks); the first {@link RunSpec#maxOutputBytes}
 *       of each are kept, the rest is read and discarded and the stream is marked truncated.
 *   <li><b>Sandbox, or nothing.</b> With {@link RunSpec#sandbox} the command runs under
 *       bubblewrap: the host file system is read-only, {@code /tmp} is an empty private tmpfs,
 *       it has fresh {@code /dev} and {@code /proc}, no network (only its own loopback), its
 *       own PID, IPC and UTS namespaces, and no capabilities, even as root. It ends with the
 *       run: stopping it kills everything inside the sandbox at once (SIGKILL, without the
 *       SIGTERM grace), including processes that left the group. If the sandbox cannot be
 *       provided, {@link SandboxUnavailableException} is thrown and the command is not run.
 * </ul>
 *
 * <p>Requires Linux with {@code /usr/bin/setsid} (util-linux) and {@code /bin/kill} (procps);
 * the sandbox requires {@code /usr/bin/bwrap} (bubblewrap) able to create namespaces.
 */
public final class CommandRunner {
  /** The whole environment of every command. */
  public static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  static final Path DEFAULT_BWRAP = Path.of("/usr/bin/bwrap");
  /** Starts the command as leader of a new session, hence of a new process group. */
  static final Path SETSID = Path.of("/usr/bin/setsid");
  /** Signals a whole process group (kill(2) with a negative pid). */
  static final Path KILL = Path.of("/bin/kill");
  /** Inside the sandbox: removes the PWD variable that bubblewrap always sets. */
  static final Path ENV = Path.of("/usr/bin/env");
  /** How long a process group has between SIGTERM and SIGKILL. */
  static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);
  /** How long the sandbox check may take before the sandbox counts as not working. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
  /** How long we wait for a group to disappear after SIGKILL. */
  private static final Duration AFTER_KILL = Duration.ofSeconds(5);
  private static final long POLL_MILLIS = 20;

  static final List<String> BWRAP_OPTIONS = List.of(
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--tmpfs", "/tmp",
      "--unshare-all", // user (if possible), ipc, pid, net, uts, cgroup (if possible)
      "--die-with-parent",
      "--new-session",
      "--cap-drop", "ALL",
      "--chdir", "/");

  private final Path bwrap;
  private final Duration grace;

  /** The production runner: bubblewrap at {@code /usr/bin/bwrap}, 5 s grace. */
  public CommandRunner() {
    this(DEFAULT_BWRAP, DEFAULT_GRACE);
  }

  CommandRunner(Path bwrap) {
    this(bwrap, DEFAULT_GRACE);
  }

  CommandRunner(Path bwrap, Duration grace) {
    this.bwrap = Objects.requireNonNull(bwrap, "bwrap");
    this.grace = Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative");
    }
  }

  /**
   * Runs {@code spec} and waits until it has ended and everything it left in its process group
   * is gone (see the class comment for the guarantees).
   *
   * @throws NoSuchFileException if {@code argv[0]} is not an existing regular file
   * @throws AccessDeniedException if {@code argv[0]} is not executable
   * @throws SandboxUnavailableException if the sandbox was asked for and cannot be provided;
   *     the command was not run
   * @throws InterruptedIOException if the calling thread was interrupted; the command was
   *     killed
   * @throws IOException if the command could not be started; a program that fails to execute
   *     after the checks (a bad interpreter line, say) is reported as a shell does, with exit
   *     code 126 or 127
   */
  public RunResult run(RunSpec spec) throws IOException {
    Objects.requireNonNull(spec, "spec");
    String program = spec.argv().get(0);
    if (!Files.isRegularFile(Path.of(program))) {
      throw new NoSuchFileException(program, null, "not an existing regular file");
    }
    if (!Files.isExecutable(Path.of(program))) {
      throw new AccessDeniedException(program, null, "not executable");
    }
    requireTool(SETSID, "util-linux");
    requireTool(KILL, "procps");
    List<String> command = new ArrayList<>();
    command.add(SETSID.toString());
    command.add("--");
    if (spec.sandbox()) {
      if (program.indexOf('=') >= 0) {
        // env(1) would take it for a variable assignment.
        throw new IOException("a sandboxed program path must not contain '=': " + program);
      }
      requireTool(ENV, "coreutils");
      Optional<String> problem = sandboxProblem();
      if (problem.isPresent()) {
        throw new SandboxUnavailableException("the sandbox is not available, so the command was not run: "
            + problem.get() + ". Install bubblewrap (apt-get install bubblewrap) on a kernel that"
            + " allows namespaces, or run the command without the sandbox.");
      }
      command.add(bwrap.toString());
      command.addAll(BWRAP_OPTIONS);
      command.add("--");
      command.add(ENV.toString());
      command.add("-u");
      command.add("PWD");
      command.add("--");
    }
    command.addAll(spec.argv());
    return execute(command, spec.timeout(), spec.maxOutputBytes());
  }

  /**
   * Whether the sandbox works here: bubblewrap is present and can start a trivial command with
   * the options {@link #run} uses.
   */
  public boolean sandboxAvailable() {
    return sandboxProblem().isEmpty();
  }

  private Optional<String> sandboxProblem() {
    if (!Files.isRegularFile(bwrap) || !Files.isExecutable(bwrap)) {
      return Optional.of(bwrap + " is missing or not executable");
    }
    if (!Files.isRegularFile(SETSID) || !Files.isRegularFile(Path.of("/bin/true"))) {
      return Optional.of(SETSID + " or /bin/true is missing");
    }
    List<String> command = new ArrayList<>(List.of(SETSID.toString(), "--", bwrap.toString()));
    command.addAll(BWRAP_OPTIONS);
    command.add("--");
    command.add("/bin/true");
    Process probe;
    try {
      probe = builder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      return Optional.of(bwrap + " cannot be started (" + e.getMessage() + ")");
    }
    try {
      if (!probe.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        signalGroup(probe.pid(), "KILL");
        probe.destroyForcibly();
        return Optional.of(bwrap + " did not start /bin/true within " + PROBE_TIMEOUT.toSeconds() + " s");
      }
      if (probe.exitValue() != 0) {
        // Small: bubblewrap's own error message; the pipe buffer holds it all.
        String why = new String(probe.getErrorStream().readNBytes(500), StandardCharsets.UTF_8).strip();
        return Optional.of(bwrap + " failed with exit code " + probe.exitValue()
            + (why.isEmpty() ? "" : " (" + why + ")"));
      }
      return Optional.empty();
    } catch (InterruptedException e) {
      probe.destroyForcibly();
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while checking " + bwrap);
    } catch (IOException e) {
      return Optional.of("cannot read the output of " + bwrap + " (" + e.getMessage() + ")");
    } finally {
      try {
        probe.getErrorStream().close();
      } catch (IOException ignored) {
        // nothing was leaked: the process has ended or been killed
      }
    }
  }

  private RunResult execute(List<String> command, Duration timeout, int maxOutput) throws IOException {
    long timeoutNanos = saturatedNanos(timeout);
    long started = System.nanoTime();
    Process process = builder(command).start();
    // setsid(1) execs the command in the same process (the child of a JVM is never a group
    // leader, so setsid does not fork): its pid is the id of the new session and group.
    long group = process.pid();
    boolean groupEnded = false;
    try {
      OutputCollector out = OutputCollector.start(process.getInputStream(), maxOutput, "exec-stdout-" + group);
      OutputCollector err = OutputCollector.start(process.getErrorStream(), maxOutput, "exec-stderr-" + group);
      long remaining = timeoutNanos - (System.nanoTime() - started);
      boolean timedOut = !process.waitFor(Math.max(0, remaining), TimeUnit.NANOSECONDS);
      endGroup(group);
      if (!process.waitFor(AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
      groupEnded = true;
      // Everything in the group is gone; only a process that left the group can still hold
      // the pipes open. Its output is not waited for beyond the grace period.
      long drainUntil = System.nanoTime() + grace.toNanos() + TimeUnit.MILLISECONDS.toNanos(200);
      OutputCollector.Snapshot stdout = out.await(drainUntil);
      OutputCollector.Snapshot stderr = err.await(drainUntil);
      Duration duration = Duration.ofNanos(System.nanoTime() - started);
      return new RunResult(process.exitValue(), stdout.bytes(), stderr.bytes(), stdout.truncated(),
          stderr.truncated(), timedOut, duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running " + command.get(command.size() - 1));
    } finally {
      if (!groupEnded) {
        signalGroup(group, "KILL");
        process.destroyForcibly();
      }
    }
  }

  /** SIGTERM to the group, up to {@link #grace} for it to go, then SIGKILL. No-op if it is gone. */
  private void endGroup(long group) throws InterruptedException {
    if (!groupAlive(group)) {
      return;
    }
    signalGroup(group, "TERM");
    if (awaitGroupGone(group, System.nanoTime() + grace.toNanos())) {
      return;
    }
    signalGroup(group, "KILL");
    awaitGroupGone(group, System.nanoTime() + AFTER_KILL.toNanos());
  }

  private static boolean awaitGroupGone(long group, long deadlineNanos) throws InterruptedException {
    while (groupAlive(group)) {
      if (System.nanoTime() - deadlineNanos >= 0) {
        return false;
      }
      Thread.sleep(POLL_MILLIS);
    }
    return true;
  }

  /**
   * Whether any live (non-zombie) process is in process group {@code group}. A group id stays
   * reserved while any member exists, so it cannot name an unrelated group meanwhile.
   */
  static boolean groupAlive(long group) {
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isDigits(p.getFileName().toString()))) {
      for (Path proc : procs) {
        ProcStat stat = ProcStat.read(proc);
        if (stat != null && stat.pgrp() == group && !stat.dead()) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return true; // cannot tell: assume the worst, so the caller signals and waits
    }
  }

  /** Sends {@code signal} (TERM or KILL) to every process of group {@code group}; best effort. */
  private static void signalGroup(long group, String signal) {
    if (group <= 1) {
      return; // kill -- -1 would mean "every process"; never a pgid we created
    }
    try {
      Process kill = builder(List.of(KILL.toString(), "-s", signal, "--", "-" + group))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      // The group will still be found alive and waited for; nothing better to do here.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ProcessBuilder builder(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().put("PATH", PATH);
    pb.directory(new File("/"));
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    return pb;
  }

  private static void requireTool(Path tool, String packageName) throws IOException {
    if (!Files.isRegularFile(tool) || !Files.isExecutable(tool)) {
      throw new IOException(tool + " is missing; it is needed to run commands safely (install " + packageName + ")");
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** The fields of /proc/PID/stat we need. */
  record ProcStat(char state, long pgrp) {
    boolean dead() {
      return state == 'Z' || state == 'X' || state == 'x';
    }

    /** Null if the process is gone or the file cannot be parsed. */
    static ProcStat read(Path procDir) {
      String stat;
      try {
        stat = Files.readString(procDir.resolve("stat"), StandardCharsets.ISO_8859_1);
      } catch (IOException e) {
        return null;
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')', so parse from the last ')'.
      int close = stat.lastIndexOf(')');
      if (close < 0) {
        return null;
      }
      String[] fields = stat.substring(close + 1).trim().split(" ");
      if (fields.length < 3 || fields[0].isEmpty()) {
        return null;
      }
      try {
        return new ProcStat(fields[0].charAt(0), Long.parseLong(fields[2]));
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }

  /** Reads one stream to its end on its own thread, keeping the first {@code limit} bytes. */
  private static final class OutputCollector implements Runnable {
    record Snapshot(byte[] bytes, boolean truncated) {}

    private final InputStream in;
    private final int limit;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread thread;
    private boolean overflowed;
    private boolean finished;

    private OutputCollector(InputStream in, int limit, String name) {
      this.in = in;
      this.limit = limit;
      // Daemon: if something that left the group keeps the pipe open, this thread is abandoned
      // (it keeps draining) rather than holding up the run or the JVM's exit.
      this.thread = new Thread(this, name);
      this.thread.setDaemon(true);
    }

    static OutputCollector start(InputStream in, int limit, String name) {
      OutputCollector c = new OutputCollector(in, limit, name);
      c.thread.start();
      return c;
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          synchronized (this) {
            int keep = Math.min(n, limit - kept.size());
            if (keep > 0) {
              kept.write(buf, 0, keep);
            }
            if (keep < n) {
              overflowed = true;
            }
          }
        }
      } catch (IOException e) {
        // The pipe broke: what was read so far is what we have.
      } finally {
        synchronized (this) {
          finished = true;
        }
      }
    }

    /** Waits until the stream ended or {@code deadlineNanos}; an unfinished stream counts as truncated. */
    Snapshot await(long deadlineNanos) throws InterruptedException {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        thread.join(Duration.ofNanos(left));
      }
      synchronized (this) {
        return new Snapshot(kept.toByteArray(), overflowed || !finished);
      }
    }
  }
}
