package dev.gatehouse.notify;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.ServiceUrl;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers owner notifications (DESIGN §10) to the sinks of {@code notify:}.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li><b>{@link #notify} never blocks, never throws and never changes a decision.</b> It
 *       puts the notification on each sink's queue (a short lock, no I/O) and returns.
 *   <li><b>Bounded.</b> Each sink has its own queue of at most {@link #QUEUE_BOUND}
 *       notifications and its own worker thread, so a slow or dead sink never delays another.
 *       When a queue is full the <em>oldest</em> notification is dropped (the newest says
 *       most about now: a pending approval that has not expired yet); drops are counted and
 *       audited by the worker ({@code notify.dropped}, outcome {@code queue-full}), never by
 *       the caller of {@link #notify}.
 *   <li><b>Retried with bounded backoff.</b> A delivery is tried up to {@link #ATTEMPTS} times,
 *       waiting 1 s, 2 s, 4 s, 8 s between tries, unless the sink says retrying cannot help.
 *   <li><b>Every failure audited.</b> Each failed try is a {@code notify.failed} entry
 *       (outcome {@code retrying} or {@code given-up}; target the sink's safe name; details the
 *       event, the attempt and the reason); a success after a failure is {@code notify.delivered}.
 *       No entry holds a secret, a bot token, a webhook's path or the notification's fields.
 *   <li><b>{@link #close} is prompt.</b> Waits between tries end at once; what is queued gets
 *       one try each, within {@link #CLOSE_BOUND} in all; then workers are interrupted (a
 *       command is killed) and what is left, or was given up in a wait, is audited as dropped
 *       ({@code stopping}). Later notifications are ignored.
 * </ul>
 */
public final class NotificationService implements Notifier, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.notify");
  public static final int QUEUE_BOUND = 1000;
  public static final int ATTEMPTS = 5;
  static final Duration CLOSE_BOUND = Duration.ofSeconds(5);
  static final String ACTOR = "gatehouse";

  /** Waits between tries; throws InterruptedException when the service is stopping. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /**
   * What the sinks need from the rest of Gatehouse. {@code telegram} is null when
   * {@code chat.telegram} is not configured; {@code env} is the daemon's environment, of which
   * a command sees only {@link dev.gatehouse.exec.PipedCommand#PASSED_ENV}.
   */
  public record Resources(WebhookClient webhooks, SecretLookup secrets, ChatSender.Factory telegram,
      Map<String, String> env) {
    public Resources {
      Objects.requireNonNull(webhooks, "webhooks");
      Objects.requireNonNull(secrets, "secrets");
      env = Map.copyOf(env);
    }
  }

  private final List<Lane> lanes = new ArrayList<>();
  private final List<AutoCloseable> owned;
  private final AuditLog audit;
  private final int bound;
  private final CompletableFuture<Void> stopping = new CompletableFuture<>();
  private final Sleeper sleeper;
  private volatile boolean closed;

  private NotificationService(List<Sink> sinks, List<AutoCloseable> owned, AuditLog audit, Sleeper sleeper,
      int bound) {
    this.owned = List.copyOf(owned);
    this.audit = Objects.requireNonNull(audit, "audit");
    this.bound = bound;
    this.sleeper = sleeper != null ? sleeper : this::waitUnlessStopping;
    for (Sink s : sinks) {
      lanes.add(new Lane(s));
    }
    for (Lane l : lanes) {
      l.worker = Thread.ofVirtual().name("notify " + l.sink.name()).start(l::run);
    }
  }

  /**
   * Checks the sinks of {@code notify:} and starts delivering to them. Every problem is found
   * here, at daemon start, not at the first notification.
   *
   * @throws BadInputException naming the item ({@code notify[N]}) if a webhook URL or range is
   *     not acceptable as an upstream's
   * @throws NotConfiguredException if a webhook's vault entry does not exist, or a telegram
   *     sink is configured without {@code chat.telegram} (whose bot it uses)
   */
  public static NotificationService start(List<Config.NotifySink> config, Resources r, AuditLog audit)
      throws IOException {
    List<Sink> sinks = new ArrayList<>();
    List<AutoCloseable> owned = new ArrayList<>();
    ChatSender chat = null;
    try {
      for (int i = 0; i < config.size(); i++) {
        String where = "gatehouse.yaml notify[" + (i + 1) + "]";
        switch (config.get(i)) {
          case Config.WebhookSink w -> sinks.add(webhook(where, w, r));
          case Config.CommandSink c -> sinks.add(new CommandSender(c.argv(), CommandSender.TIMEOUT, r.env()));
          case Config.TelegramSink t -> {
            if (r.telegram() == null) {
              throw new NotConfiguredException(where + ": a telegram sink sends through the Telegram bridge's bot, but"
                  + " chat.telegram is not configured; configure the bridge (docs/chat.md) or remove the sink");
            }
            if (chat == null) {
              chat = r.telegram().open();
              owned.add(chat);
            }
            sinks.add(new TelegramSender(t.chatId(), chat));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      owned.forEach(NotificationService::closeQuietly);
      throw e;
    }
    return new NotificationService(sinks, owned, audit, null, QUEUE_BOUND);
  }

  /** For tests: the given sinks, waits through {@code sleeper}, queues of {@code bound}. */
  static NotificationService start(List<Sink> sinks, AuditLog audit, Sleeper sleeper, int bound) {
    return new NotificationService(sinks, List.of(), audit, sleeper, bound);
  }

  private static Sink webhook(String where, Config.WebhookSink w, Resources r) throws IOException {
    String url = w.url().toString();
    ServiceUrl checked;
    try {
      checked = EgressGuard.parseBaseUrl(url);
    } catch (IllegalArgumentException e) {
      // The path may be the webhook's credential: the message names the item, not the URL.
      throw new BadInputException(where + ".url: " + e.getMessage().replace(url, "(the url)"));
    }
    List<Cidr> allowPrivate = new ArrayList<>();
    for (String c : w.allowPrivate()) {
      try {
        allowPrivate.add(Cidr.parse(c));
      } catch (IllegalArgumentException e) {
        throw new BadInputException(where + ".allow_private: " + e.getMessage());
      }
    }
    byte[] key = r.secrets().bytes(w.secret()).orElseThrow(() -> new NotConfiguredException(where + ".secret names"
        + " the vault entry '" + w.secret() + "', which does not exist; store the HMAC key with `gatehouse vault add "
        + w.secret() + "`"));
    boolean empty = key.length == 0;
    Arrays.fill(key, (byte) 0);
    if (empty) {
      throw new NotConfiguredException(where + ".secret: the vault entry '" + w.secret() + "' is empty");
    }
    return new WebhookSender(w.url(), checked, w.secret(), allowPrivate, r.secrets(), r.webhooks());
  }

  /** The real waits: {@code d}, or until {@link #close}, which ends them with InterruptedException. */
  void waitUnlessStopping(Duration d) throws InterruptedException {
    waitUnless(stopping, d);
  }

  /** Waits {@code d}, or until {@code stop} completes, which ends the wait with InterruptedException. */
  static void waitUnless(CompletableFuture<Void> stop, Duration d) throws InterruptedException {
    try {
      stop.get(d.toMillis(), TimeUnit.MILLISECONDS);
      throw new InterruptedException("stopping");
    } catch (java.util.concurrent.TimeoutException waited) {
      // the time is up
    } catch (java.util.concurrent.ExecutionException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  @Override
  public void notify(Notification n) {
    if (n == null || closed) {
      return;
    }
    for (Lane l : lanes) {
      l.offer(n);
    }
  }

  /** 1 s, 2 s, 4 s, 8 s: the wait after failed attempt {@code attempt}. */
  static Duration backoff(int attempt) {
    return Duration.ofSeconds(1L << Math.min(attempt - 1, 10));
  }

  /** One sink, its queue and its worker. */
  private final class Lane {
    final Sink sink;
    final ReentrantLock lock = new ReentrantLock();
    final Condition work = lock.newCondition();
    final ArrayDeque<Notification> queue = new ArrayDeque<>();
    long dropped; // guarded by lock: dropped for a full queue, not yet audited
    long abandoned; // guarded by lock: given up because the service is stopping
    Thread worker;

    Lane(Sink sink) {
      this.sink = sink;
    }

    void offer(Notification n) {
      lock.lock();
      try {
        if (queue.size() >= bound) {
          queue.pollFirst();
          dropped++;
        }
        queue.addLast(n);
        work.signal();
      } finally {
        lock.unlock();
      }
    }

    void run() {
      try {
        while (true) {
          Notification n;
          long drops;
          lock.lock();
          try {
            while (queue.isEmpty() && dropped == 0 && !closed) {
              work.await();
            }
            if (queue.isEmpty() && dropped == 0) {
              return; // closed, and nothing left
            }
            n = queue.pollFirst();
            drops = dropped;
            dropped = 0;
          } finally {
            lock.unlock();
          }
          if (drops > 0) {
            record(new AuditEvent("notify.dropped", ACTOR, sink.name(), "queue-full", Map.of("count",
                Long.toString(drops), "bound", Integer.toString(bound))));
          }
          if (n != null) {
            try {
              deliver(n);
            } catch (RuntimeException e) { // a bug, not a sink's failure: this notification is lost, not the worker
              failed(n, 1, "it could not be delivered (" + e.getClass().getSimpleName() + ")", false);
            }
          }
        }
      } catch (InterruptedException e) {
        // stopping: close() audits what is left
      }
    }

    private void deliver(Notification n) throws InterruptedException {
      byte[] json = n.json();
      for (int attempt = 1; ; attempt++) {
        String reason;
        boolean retryable;
        try {
          sink.deliver(n, json);
          if (attempt > 1) {
            record(new AuditEvent("notify.delivered", ACTOR, sink.name(), "delivered", Map.of("event", n.event(),
                "attempt", Integer.toString(attempt))));
          }
          return;
        } catch (DeliveryException e) {
          reason = e.getMessage();
          retryable = e.retryable();
        } catch (InterruptedException e) {
          abandon(); // stopped while delivering
          throw e;
        } catch (RuntimeException e) {
          reason = "the sink failed (" + e.getClass().getSimpleName() + ")"; // a bug: the message could hold anything
          retryable = false;
        }
        boolean again = retryable && attempt < ATTEMPTS && !closed;
        failed(n, attempt, reason, again);
        if (!again) {
          return;
        }
        try {
          sleeper.sleep(backoff(attempt));
        } catch (InterruptedException e) {
          abandon(); // stopping: counted with what is left, the queue is tried once more each
          if (!closed) {
            throw e;
          }
          return;
        }
      }
    }

    private void failed(Notification n, int attempt, String reason, boolean again) {
      Map<String, String> details = new LinkedHashMap<>();
      details.put("event", n.event());
      details.put("attempt", attempt + " of " + ATTEMPTS);
      details.put("reason", reason);
      if (again) {
        details.put("retry_in", backoff(attempt).toSeconds() + " s");
      } else {
        LOG.warn("notification {} to {} not delivered after {} attempt(s): {}", n.event(), sink.name(), attempt,
            reason);
      }
      record(new AuditEvent("notify.failed", ACTOR, sink.name(), again ? "retrying" : "given-up", details));
    }

    void abandon() {
      lock.lock();
      try {
        abandoned++;
      } finally {
        lock.unlock();
      }
    }

    /** What is still queued, or was given up for stopping, when the worker is gone; the queue is emptied. */
    long leftOver() {
      lock.lock();
      try {
        long left = queue.size() + dropped + abandoned;
        queue.clear();
        dropped = 0;
        abandoned = 0;
        return left;
      } finally {
        lock.unlock();
      }
    }
  }

  /** An outcome for the audit; a failure to record it must not stop the delivery of the rest. */
  private void record(AuditEvent e) {
    try {
      audit.recordEventually(e);
    } catch (RuntimeException failure) {
      LOG.error("cannot audit {} for {}: {}", e.type(), e.target(), failure.getClass().getSimpleName());
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopping.complete(null);
    for (Lane l : lanes) {
      l.lock.lock();
      try {
        l.work.signalAll();
      } finally {
        l.lock.unlock();
      }
    }
    long deadline = System.nanoTime() + CLOSE_BOUND.toNanos();
    for (Lane l : lanes) {
      join(l.worker, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }
    for (Lane l : lanes) {
      if (l.worker.isAlive()) {
        l.worker.interrupt(); // a command is killed; a webhook call ends within its timeout
        join(l.worker, Duration.ofSeconds(1));
      }
      long left = l.leftOver();
      if (left > 0) {
        LOG.warn("{} notification(s) to {} not delivered: stopping", left, l.sink.name());
        record(new AuditEvent("notify.dropped", ACTOR, l.sink.name(), "stopping", Map.of("count",
            Long.toString(left))));
      }
    }
    for (Lane l : lanes) {
      closeQuietly(l.sink);
    }
    owned.forEach(NotificationService::closeQuietly);
  }

  private static void join(Thread t, Duration d) {
    try {
      t.join(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing {}: {}", c, e.getClass().getSimpleName());
    }
  }

  @Override
  public String toString() {
    return "NotificationService[" + lanes.size() + " sinks]";
  }
}
