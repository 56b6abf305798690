package dev.gatehouse.exec;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 *       controlling terminal.
 *   <li><b>Its own cgroup: every descendant ends with the command.</b> Before the program
 *       starts, its process is moved into a new cgroup v2 leaf ({@code gatehouse-exec-*} under
 *       Gatehouse's own cgroup). Everything it starts stays in that cgroup, also after {@code
 *       setsid}, a double fork or a change of parent. When {@link #run} returns, by exit,
 *       timeout, interrupt or failure, no process of the cgroup is alive (unless it is stuck in
 *       the kernel, where the pending SIGKILL ends it on its way out) and the leaf is removed. If
 *       the cgroup cannot be made, {@link CgroupUnavailableException} is thrown and the command
 *       is not run: there is no fallback.
 *   <li><b>Bounded time.</b> When {@link RunSpec#timeout} is reached every process in the
 *       cgroup receives SIGTERM, and after a grace period (5 s) the whole cgroup SIGKILL if
 *       anything is left; the result says {@code timedOut}. When the command ends by itself,
 *       whatever it left running is ended the same way. If the calling thread is interrupted,
 *       the cgroup is killed at once. If the JVM shuts down (SIGTERM, SIGINT, SIGHUP), every
 *       running command's cgroup is killed before it exits.
 *   <li><b>Bounded output.</b> Standard output and standard error are read concurrently (a
 *       command writing much to either never blocks); the first {@link RunSpec#maxOutputBytes}
 *       of each are kept, the rest is read and discarded and the stream is marked truncated.
 *   <li><b>Sandbox, or nothing.</b> With {@link RunSpec#sandbox} the command runs under
 *       bubblewrap: the host file system is read-only, {@code /tmp} is an empty private tmpfs,
 *       it has fresh {@code /dev} and {@code /proc}, no network (only its own loopback), its
 *       own PID, IPC, UTS and cgroup namespaces, and no capabilities, even as root, so it
 *       cannot leave its cgroup either. If the sandbox cannot be provided, {@link
 *       SandboxUnavailableException} is thrown and the command is not run.
 * </ul>
 *
 * <p>Requires Linux 5.14 or later with a writable cgroup v2 hierarchy (pure, or the {@code
 * unified} mount of a hybrid host) and root (or a delegated cgroup), {@code /bin/sh}, {@code
 * /usr/bin/env} (coreutils) and {@code /usr/bin/setsid} (util-linux); the sandbox requires
 * {@code /usr/bin/bwrap} (bubblewrap) able to create namespaces.
 */
public final class CommandRunner {
  /** The whole environment of every command. */
  public static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  static final Path DEFAULT_BWRAP = Path.of("/usr/bin/bwrap");
  /** Starts the command as leader of a new session, hence of a new process group. */
  static final Path SETSID = Path.of("/usr/bin/setsid");
  /** Holds the command back until it is in its cgroup (see {@link #GATE}). */
  static final Path SH = Path.of("/bin/sh");
  /**
   * Waits for "go" on standard input, which Gatehouse sends once the process is in its cgroup,
   * then replaces itself (same pid) with the rest of its arguments, standard input /dev/null.
   * Without "go" (Gatehouse failed or died) nothing runs. The arguments are never parsed.
   */
  static final String GATE = "IFS= read -r go && [ \"$go\" = go ] && exec \"$@\" </dev/null; exit 125";
  /** Sets the command's environment; inside the sandbox, removes the PWD that bubblewrap sets. */
  static final Path ENV = Path.of("/usr/bin/env");
  /** How long the processes of a cgroup have between SIGTERM and SIGKILL. */
  static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);
  /** How long the sandbox check may take before the sandbox counts as not working. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
  /** How long we wait for a cgroup to empty after SIGKILL. */
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

  /** Where the leaves are made: the folder of a cgroup v2 hierarchy. */
  interface CgroupParent {
    Path find() throws CgroupUnavailableException;
  }

  private final Path bwrap;
  private final Duration grace;
  private final CgroupParent cgroupParent;

  /** The production runner: bubblewrap at {@code /usr/bin/bwrap}, 5 s grace, Gatehouse's own cgroup. */
  public CommandRunner() {
    this(DEFAULT_BWRAP, DEFAULT_GRACE);
  }

  CommandRunner(Path bwrap) {
    this(bwrap, DEFAULT_GRACE);
  }

  CommandRunner(Path bwrap, Duration grace) {
    this(bwrap, grace, Cgroup::ownFolder);
  }

  CommandRunner(Path bwrap, Duration grace, CgroupParent cgroupParent) {
    this.bwrap = Objects.requireNonNull(bwrap, "bwrap");
    this.grace = Objects.requireNonNull(grace, "grace");
    this.cgroupParent = Objects.requireNonNull(cgroupParent, "cgroupParent");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative");
    }
  }

  /**
   * Runs {@code spec} and waits until it has ended and nothing is left in its cgroup (see the
   * class comment for the guarantees).
   *
   * @throws NoSuchFileException if {@code argv[0]} is not an existing regular file
   * @throws AccessDeniedException if {@code argv[0]} is not executable
   * @throws SandboxUnavailableException if the sandbox was asked for and cannot be provided;
   *     the command was not run
   * @throws CgroupUnavailableException if the command cannot have a cgroup of its own; it was
   *     not run
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
    requireTool(SH, "dash");
    requireTool(ENV, "coreutils");
    requireTool(SETSID, "util-linux");
    // env -i: whatever the shell behind /bin/sh adds to the environment (PWD, SHLVL) is dropped.
    List<String> command = new ArrayList<>(List.of(SH.toString(), "-c", GATE, "gatehouse-exec",
        ENV.toString(), "-i", "PATH=" + PATH));
    command.add(SETSID.toString());
    command.add("--");
    if (spec.sandbox()) {
      if (program.indexOf('=') >= 0) {
        // env(1) would take it for a variable assignment.
        throw new IOException("a sandboxed program path must not contain '=': " + program);
      }
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
   * Why no command can run here, if so: a trivial command ({@code /bin/true}) is run the way
   * {@link #run} runs every command, in a cgroup of its own. Empty when that worked.
   */
  public Optional<String> cgroupProblem() {
    try {
      run(new RunSpec(List.of("/bin/true"), PROBE_TIMEOUT, 1, false));
      return Optional.empty();
    } catch (CgroupUnavailableException e) {
      return Optional.of(e.getMessage());
    } catch (IOException e) {
      return Optional.of("cannot run /bin/true (" + e.getMessage() + ")");
    }
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
        probe.destroyForcibly(); // --die-with-parent: the sandbox goes with it
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
    Cgroup cgroup = Cgroup.create(cgroupParent.find());
    Process process = null;
    boolean ended = false;
    try {
      Running.add(cgroup);
      long timeoutNanos = saturatedNanos(timeout);
      long started = System.nanoTime();
      process = builder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
      long pid = process.pid();
      OutputCollector out = OutputCollector.start(process.getInputStream(), maxOutput, "exec-stdout-" + pid);
      OutputCollector err = OutputCollector.start(process.getErrorStream(), maxOutput, "exec-stderr-" + pid);
      // Until "go", the process is the gate shell waiting on its standard input: nothing of
      // the command runs outside the cgroup.
      cgroup.adopt(pid);
      Running.release(cgroup, process);
      long remaining = timeoutNanos - (System.nanoTime() - started);
      boolean timedOut = !process.waitFor(Math.max(0, remaining), TimeUnit.NANOSECONDS);
      end(cgroup);
      if (!process.waitFor(AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
      ended = true;
      // Every writer in the cgroup is gone; only a process that deliberately left the cgroup
      // (or was handed the pipe) can hold it open. Its output is not waited for beyond the grace.
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
      if (!ended) {
        if (process != null) {
          process.destroyForcibly(); // the gate shell, if it never got "go" and so is outside the cgroup
        }
        killAndAwait(cgroup);
      }
      Running.remove(cgroup);
      cgroup.remove();
    }
  }

  /**
   * The cgroups of the commands running in this JVM. When the JVM shuts down (SIGTERM, SIGINT
   * or SIGHUP, which sudo passes on from the user who ran it, or a normal exit) every one of
   * them is killed before it exits, so no command outlives Gatehouse either; a command is let
   * go only while the JVM is not shutting down.
   */
  private static final class Running {
    private static final Set<Cgroup> CGROUPS = new HashSet<>();
    private static boolean hooked;
    private static boolean shuttingDown;

    private Running() {}

    static synchronized void add(Cgroup cgroup) throws IOException {
      if (!hooked) {
        try {
          Runtime.getRuntime().addShutdownHook(new Thread(Running::killAll, "exec-kill-on-exit"));
        } catch (IllegalStateException e) {
          shuttingDown = true;
        }
        hooked = true;
      }
      if (shuttingDown) {
        throw new IOException("Gatehouse is shutting down; the command was not run");
      }
      CGROUPS.add(cgroup);
    }

    /**
     * Lets the gate shell (already in {@code cgroup}) run the command. Under the same lock as
     * {@link #killAll}: either the command is let go before the kill, which then reaches it,
     * or it is never let go.
     */
    static synchronized void release(Cgroup cgroup, Process process) throws IOException {
      if (shuttingDown) {
        throw new IOException("Gatehouse is shutting down; the command was not run");
      }
      try (OutputStream go = process.getOutputStream()) {
        go.write("go\n".getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        throw new IOException("the command could not be started (its gate shell is gone: " + e.getMessage() + ")", e);
      }
    }

    static synchronized void remove(Cgroup cgroup) {
      CGROUPS.remove(cgroup);
    }

    private static synchronized void killAll() {
      shuttingDown = true;
      for (Cgroup cgroup : CGROUPS) {
        killAndAwait(cgroup);
        cgroup.remove();
      }
    }
  }

  /** SIGTERM to every process in the cgroup, up to {@link #grace} for them to go, then SIGKILL to all. */
  private void end(Cgroup cgroup) throws InterruptedException {
    if (!cgroup.populated()) {
      return;
    }
    for (long pid : cgroup.pids()) {
      // ProcessHandle checks the start time, so a pid reused meanwhile is not signalled.
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
    if (awaitEmpty(cgroup, System.nanoTime() + grace.toNanos())) {
      return;
    }
    cgroup.kill();
    awaitEmpty(cgroup, System.nanoTime() + AFTER_KILL.toNanos());
  }

  /** SIGKILL to the cgroup and a wait for it to empty, even when the thread is interrupted. */
  private static void killAndAwait(Cgroup cgroup) {
    boolean interrupted = Thread.interrupted();
    try {
      cgroup.kill();
      while (true) {
        try {
          awaitEmpty(cgroup, System.nanoTime() + AFTER_KILL.toNanos());
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static boolean awaitEmpty(Cgroup cgroup, long deadlineNanos) throws InterruptedException {
    while (cgroup.populated()) {
      if (System.nanoTime() - deadlineNanos >= 0) {
        return false;
      }
      Thread.sleep(POLL_MILLIS);
    }
    return true;
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
