package dev.gatehouse.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Group commit on a thread of its own: callers {@link #submit} items and may wait for them;
 * one platform thread takes everything queued (up to a batch size), hands it to the writer in
 * one call, and wakes each waiting caller directly. Used where every caller must wait for a
 * durable write (the audit log's fsync, state.db's commit): the waiting costs a request thread
 * nothing but a park, the write blocks no carrier of the virtual-thread scheduler, and no
 * caller queues on a lock to be woken.
 *
 * <p>The writer must {@link Ticket#finish} every ticket of its batch; any it leaves
 * unfinished, or all of them if it throws, are finished with a failure.
 *
 * <p>An optional idle task runs on the writer thread once the queue has stayed empty for a
 * while after a batch (the audit log forces there what it wrote without forcing).
 */
public final class GroupCommit<T> {
  private final String threadName;
  private final int maxBatch;
  private final Consumer<List<Ticket<T>>> writer;
  private final ConcurrentLinkedQueue<Ticket<T>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Thread> thread = new AtomicReference<>(); // started with the first item
  private final long idleNanos;
  private final Runnable onIdle; // null: none

  /** One submitted item and its outcome. */
  public static final class Ticket<T> {
    private final T item; // null for a barrier
    private final Thread waiter; // unparked when done; null if nobody waits
    private long result = -1;
    private RuntimeException failure;
    private volatile boolean done; // written last: result and failure are visible once it is true

    Ticket(T item, Thread waiter) {
      this.item = item;
      this.waiter = waiter;
    }

    public T item() {
      return item;
    }

    public boolean done() {
      return done;
    }

    /** Settles the ticket (once) and wakes its waiter. */
    public void finish(long result, RuntimeException failure) {
      if (done) {
        return;
      }
      this.result = result;
      this.failure = failure;
      done = true;
      if (waiter != null) {
        LockSupport.unpark(waiter);
      }
    }

    /** Whether a thread waits for this ticket (it was submitted with {@code willWait}). */
    public boolean awaited() {
      return waiter != null;
    }

    /** Waits until done; returns the result or throws the failure. Only on the submitting thread. */
    public long await() {
      while (!done) {
        LockSupport.park(this);
      }
      if (failure != null) {
        throw failure;
      }
      return result;
    }
  }

  public GroupCommit(String threadName, int maxBatch, Consumer<List<Ticket<T>>> writer) {
    this(threadName, maxBatch, writer, Duration.ZERO, null);
  }

  /**
   * {@code onIdle} runs on the writer thread when no item has arrived for {@code idleAfter}
   * since the last batch (once per quiet spell, and before the thread ends on {@link #stop}).
   */
  public GroupCommit(String threadName, int maxBatch, Consumer<List<Ticket<T>>> writer, Duration idleAfter,
      Runnable onIdle) {
    this.threadName = threadName;
    this.maxBatch = maxBatch;
    this.writer = writer;
    this.idleNanos = idleAfter.toNanos();
    this.onIdle = onIdle;
  }

  /** Queues {@code item}; {@code willWait}: the calling thread will {@link Ticket#await} it. */
  public Ticket<T> submit(T item, boolean willWait) {
    Ticket<T> t = new Ticket<>(item, willWait ? Thread.currentThread() : null);
    enqueue(t);
    return t;
  }

  /**
   * For the writer, during its batch: takes up to {@code max} more queued items, stopping at a
   * {@link #drain} barrier (which stays queued for the next batch). The writer must finish
   * every ticket it takes this way, as those of its batch, failure or not.
   */
  public List<Ticket<T>> takeQueued(int max) {
    if (thread.get() != Thread.currentThread()) {
      throw new IllegalStateException("only the " + threadName + " thread takes queued items");
    }
    List<Ticket<T>> more = new ArrayList<>();
    for (Ticket<T> t; more.size() < max && (t = queue.peek()) != null && t.item != null; ) {
      more.add(queue.poll()); // the writer is the only consumer: the peeked ticket is the one polled
    }
    return more;
  }

  /** Returns once everything submitted before it has been written (or has failed). */
  public void drain() {
    Ticket<T> barrier = new Ticket<>(null, Thread.currentThread());
    enqueue(barrier);
    barrier.await();
  }

  /** Lets the writer thread end once the queue is empty; a later submit starts a new one. */
  public void stop() {
    Thread w = thread.getAndSet(null);
    if (w != null) {
      LockSupport.unpark(w);
    }
  }

  private void enqueue(Ticket<T> t) {
    queue.add(t);
    Thread w = thread.get();
    if (w == null) {
      Thread started = Thread.ofPlatform().daemon().name(threadName).unstarted(this::loop);
      if (thread.compareAndSet(null, started)) {
        started.start();
        return;
      }
      w = thread.get();
    }
    LockSupport.unpark(w); // a permit if it is not parked yet: no wake-up is lost
  }

  private void loop() {
    List<Ticket<T>> batch = new ArrayList<>();
    List<Ticket<T>> items = new ArrayList<>();
    boolean idlePending = false; // a batch was written since onIdle last ran
    while (true) {
      for (Ticket<T> t; batch.size() < maxBatch && (t = queue.poll()) != null; ) {
        batch.add(t);
      }
      if (batch.isEmpty()) {
        if (idlePending) {
          if (quietFor(idleNanos)) { // at once when stopped: the idle task still runs before the end
            idlePending = false;
            idle();
          }
        } else if (thread.get() != Thread.currentThread()) {
          return; // stopped
        } else {
          LockSupport.park(this);
        }
        continue;
      }
      for (Ticket<T> t : batch) {
        if (t.item != null) {
          items.add(t);
        }
      }
      RuntimeException failure = null;
      try {
        if (!items.isEmpty()) {
          writer.accept(items);
        }
      } catch (RuntimeException e) {
        failure = e;
      } catch (Error e) {
        failure = new IllegalStateException("the " + threadName + " writer failed", e);
        settle(batch, failure);
        throw e;
      }
      settle(batch, failure); // an item the writer did not finish gets a failure made then
      batch.clear();
      items.clear();
      idlePending = onIdle != null;
    }
  }

  /** Waits while nothing is queued, up to {@code nanos} or until {@link #stop}; whether the queue stayed empty. */
  private boolean quietFor(long nanos) {
    // Every submit leaves an unpark permit, so one park may return at once: park to the deadline.
    long deadline = System.nanoTime() + nanos;
    for (long left = nanos; left > 0 && queue.isEmpty() && thread.get() == Thread.currentThread();
        left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(this, left);
    }
    return queue.isEmpty();
  }

  private void idle() {
    try {
      onIdle.run();
    } catch (RuntimeException e) {
      // the idle task's own business: the next batch meets the same trouble and reports it
    }
  }

  /**
   * Finishes what the writer left: items with {@code failure} (or, when the writer returned
   * without finishing one, "not written"), barriers (everything before them is done).
   */
  private void settle(List<Ticket<T>> batch, RuntimeException failure) {
    for (Ticket<T> t : batch) {
      if (t.item == null) {
        t.finish(-1, null);
      } else if (!t.done()) {
        t.finish(-1, failure != null ? failure : new IllegalStateException("not written by " + threadName));
      }
    }
  }
}
