package dev.gatehouse.notify;

import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.otp.TotpStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the owner of a TOTP lockout wherever it started: in chat, at {@code gatehouse exec},
 * {@code totp verify} or {@code approvals approve --code}, each in its own process. The lockout
 * state is the TOTP core's file, shared by all of them, so the running daemon looks at it
 * every {@code period} and sends {@code totp.locked} once per lockout (a lockout is named by
 * its end). Looking never changes the state.
 */
public final class LockoutWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.notify");

  private final Supplier<TotpStatus> status;
  private final Notifier notifier;
  private final Clock clock;
  private final Metrics metrics;
  private Instant told; // the end of the last lockout told of; guarded by this
  private Thread thread;

  public LockoutWatcher(Supplier<TotpStatus> status, Notifier notifier, Clock clock) {
    this(status, notifier, clock, Metrics.NONE);
  }

  /** A watcher that also counts each lockout it tells of in {@code metrics}. */
  public LockoutWatcher(Supplier<TotpStatus> status, Notifier notifier, Clock clock, Metrics metrics) {
    this.metrics = metrics;
    this.status = status;
    this.notifier = notifier;
    this.clock = clock;
  }

  /** Starts looking every {@code period} on a virtual thread; the lockout in force now, if any, is told too. */
  public LockoutWatcher start(Duration period) {
    thread = Thread.ofVirtual().name("gatehouse-lockout-watch").start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        check();
        try {
          Thread.sleep(period);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    return this;
  }

  /** One look: a lockout not yet told of is sent. Never throws. */
  public synchronized void check() {
    try {
      Instant until = status.get().lockedUntil();
      if (until != null && until.isAfter(clock.instant()) && !until.equals(told)) {
        told = until;
        metrics.lockout();
        notifier.notify(new Notification("totp.locked", clock.instant(), "too many wrong authenticator codes: every"
            + " code is refused until " + until + " (chat, exec, totp verify and approvals alike)",
            Map.of("until", until.toString())));
      }
    } catch (RuntimeException e) {
      LOG.debug("the TOTP state could not be read for the lockout watch: {}", e.getClass().getSimpleName());
    }
  }

  @Override
  public void close() {
    if (thread != null) {
      thread.interrupt();
    }
  }
}
