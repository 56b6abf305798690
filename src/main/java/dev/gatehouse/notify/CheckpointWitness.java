package dev.gatehouse.notify;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.ServiceUrl;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code audit.witness}: sends every signed checkpoint the audit log makes, as the signed
 * note itself, somewhere the home's owner cannot rewrite: appended to a file, on a command's
 * standard input, or POSTed to a webhook (docs/audit-format.md, Witness).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Never delays or breaks an append.</b> {@link #accept} (called by the log's writer)
 *       only queues the note. The queue holds {@value #QUEUE_BOUND}; when full the oldest note
 *       is dropped, which loses no evidence a later one does not carry (every checkpoint
 *       commits to all the entries before it) and is counted.
 *   <li><b>Retried a little.</b> Each note is tried up to {@link NotificationService#ATTEMPTS}
 *       times, waiting 1, 2, 4, 8 s, unless retrying cannot help.
 *   <li><b>Failures audited without feeding themselves.</b> The first note given up after a
 *       delivery (or at start) is one {@code audit.witness} entry, outcome {@code failing};
 *       later failures are only counted until a note is delivered again, which is one entry,
 *       outcome {@code recovered}, with how many were missed. A dead witness so adds one entry
 *       to the log per process (the daemon's run, or a command's), not one per checkpoint
 *       (each of which would be witnessed, fail and be recorded again).
 *   <li><b>{@link #close} is prompt:</b> waits between tries end, what is queued gets one try
 *       each within {@link NotificationService#CLOSE_BOUND}; the rest is logged as not
 *       delivered.
 * </ul>
 */
public final class CheckpointWitness implements Consumer<String>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.witness");
  static final int QUEUE_BOUND = 64;
  static final String TYPE = "audit.witness";

  /** Where a note goes; {@link #name()} is free of secrets (a webhook's path is never in it). */
  interface Target {
    String name();

    void send(byte[] note) throws DeliveryException, InterruptedException;
  }

  private final Target target;
  private final AuditLog audit;
  private final NotificationService.Sleeper sleeper;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final ArrayDeque<String> queue = new ArrayDeque<>(); // guarded by lock
  private long dropped; // guarded by lock: dropped for a full queue since the last entry about it
  private final CompletableFuture<Void> stopping = new CompletableFuture<>();
  private volatile boolean closed;
  private boolean failing; // worker only
  private long missed; // worker only: notes not delivered since the failing entry
  private final Thread worker;

  private CheckpointWitness(Target target, AuditLog audit, NotificationService.Sleeper sleeper) {
    this.target = target;
    this.audit = audit;
    this.sleeper = sleeper != null ? sleeper : this::waitUnlessStopping;
    this.worker = Thread.ofPlatform().daemon().name("gatehouse-witness").start(this::run);
  }

  /**
   * Checks {@code config} and starts the witness. Refused ({@link BadInputException} naming
   * {@code audit.witness}): a file inside {@code home} (its owner could rewrite it), a webhook
   * URL the egress guard would never accept.
   */
  public static CheckpointWitness start(Config.Witness config, Path home, WebhookClient webhooks,
      Map<String, String> env, AuditLog audit) {
    String where = "gatehouse.yaml audit.witness";
    Target t = switch (config) {
      case Config.FileWitness f -> {
        if (f.path().startsWith(home.toAbsolutePath().normalize())) {
          throw new BadInputException(where + ".file: " + f.path() + " is inside the home, which the witness is "
              + "there to be independent of; choose a file elsewhere (another disk, another user's folder)");
        }
        yield file(f.path());
      }
      case Config.CommandWitness c -> command(new CommandSender(c.argv(), CommandSender.TIMEOUT, env));
      case Config.WebhookWitness w -> webhook(where, w.url(), webhooks);
    };
    return new CheckpointWitness(t, audit, null);
  }

  /** For tests: any target, waits through {@code sleeper}. */
  static CheckpointWitness start(Target target, AuditLog audit, NotificationService.Sleeper sleeper) {
    return new CheckpointWitness(target, audit, sleeper);
  }

  static Target file(Path path) {
    return new Target() {
      @Override
      public String name() {
        return "file " + path;
      }

      @Override
      public void send(byte[] note) throws DeliveryException {
        // One write of the whole note with O_APPEND, then fsync: notes never interleave.
        try (FileChannel ch = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY))) {
          ByteBuffer b = ByteBuffer.wrap(note);
          while (b.hasRemaining()) {
            ch.write(b);
          }
          ch.force(false);
        } catch (IOException e) {
          throw new DeliveryException("cannot append to " + path + " (" + e.getClass().getSimpleName() + ")", true);
        }
      }
    };
  }

  static Target command(CommandSender sender) {
    return new Target() {
      @Override
      public String name() {
        return sender.name();
      }

      @Override
      public void send(byte[] note) throws DeliveryException, InterruptedException {
        sender.send(note);
      }
    };
  }

  /** A loopback URL is allowed its loopback address; any other must pass the egress guard as it stands. */
  static Target webhook(String where, URI url, WebhookClient client) {
    ServiceUrl checked;
    try {
      checked = EgressGuard.parseBaseUrl(url.toString());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ".webhook: " + e.getMessage().replace(url.toString(), "(the url)"));
    }
    List<Cidr> allow = loopback(checked) ? List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")) : List.of();
    String host = checked.host().indexOf(':') >= 0 ? "[" + checked.host() + "]" : checked.host();
    String name = "webhook " + checked.scheme() + "://" + host + ":" + checked.port();
    boolean literal = checked.hostIsLiteral();
    return new Target() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void send(byte[] note) throws DeliveryException {
        WebhookSender.post(client, url, allow, Map.of("Content-Type", "text/plain; charset=utf-8"), note, literal);
      }
    };
  }

  private static boolean loopback(ServiceUrl u) {
    if (u.host().equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!u.hostIsLiteral()) {
      return false;
    }
    try {
      return InetAddress.getByName(u.host()).isLoopbackAddress(); // a literal: parsed, never looked up
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** Queues {@code note}; never blocks on delivery, never throws. */
  @Override
  public void accept(String note) {
    if (closed || note == null) {
      return;
    }
    lock.lock();
    try {
      if (queue.size() >= QUEUE_BOUND) {
        queue.pollFirst();
        dropped++;
      }
      queue.addLast(note);
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    try {
      while (true) {
        String note;
        long drops;
        lock.lock();
        try {
          while (queue.isEmpty() && !closed) {
            work.await();
          }
          if (queue.isEmpty()) {
            return;
          }
          note = queue.pollFirst();
          drops = dropped;
          dropped = 0;
        } finally {
          lock.unlock();
        }
        missed += drops;
        deliver(note.getBytes(StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      // stopping: close() says what is left
    }
  }

  private void deliver(byte[] note) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      String reason;
      boolean retryable;
      try {
        target.send(note);
        if (failing) {
          record("recovered", Map.of("missed", Long.toString(missed)));
          LOG.info("witness {} delivers again ({} checkpoint(s) missed)", target.name(), missed);
        }
        failing = false;
        missed = 0;
        return;
      } catch (DeliveryException e) {
        reason = e.getMessage();
        retryable = e.retryable();
      } catch (RuntimeException e) {
        reason = "the witness failed (" + e.getClass().getSimpleName() + ")";
        retryable = false;
      }
      if (!retryable || attempt >= NotificationService.ATTEMPTS || closed) {
        givenUp(attempt, reason);
        return;
      }
      try {
        sleeper.sleep(NotificationService.backoff(attempt));
      } catch (InterruptedException e) {
        if (!closed) {
          throw e;
        }
        givenUp(attempt, reason); // stopping: this note is given up; the rest get one try each
        return;
      }
    }
  }

  private void givenUp(int attempts, String reason) {
    missed++;
    LOG.warn("checkpoint not delivered to witness {} after {} attempt(s): {}", target.name(), attempts, reason);
    if (!failing) {
      failing = true;
      Map<String, String> details = new LinkedHashMap<>();
      details.put("attempts", Integer.toString(attempts));
      details.put("reason", reason);
      record("failing", details);
    }
  }

  private void record(String outcome, Map<String, String> details) {
    try {
      audit.recordEventually(new AuditEvent(TYPE, NotificationService.ACTOR, target.name(), outcome, details));
    } catch (RuntimeException e) {
      LOG.error("cannot audit {} {} for {}: {}", TYPE, outcome, target.name(), e.getClass().getSimpleName());
    }
  }

  /** The real waits: {@code d}, or until {@link #close}, which ends them with InterruptedException. */
  private void waitUnlessStopping(Duration d) throws InterruptedException {
    NotificationService.waitUnless(stopping, d);
  }

  /** Delivers what is queued (one try each, within {@link NotificationService#CLOSE_BOUND}), then stops. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopping.complete(null);
    lock.lock();
    try {
      work.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      worker.join(NotificationService.CLOSE_BOUND);
      if (worker.isAlive()) {
        worker.interrupt();
        worker.join(Duration.ofSeconds(1));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      if (!queue.isEmpty()) {
        LOG.warn("{} checkpoint(s) not delivered to witness {}: stopping", queue.size(), target.name());
        queue.clear();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "CheckpointWitness[" + target.name() + "]";
  }
}
