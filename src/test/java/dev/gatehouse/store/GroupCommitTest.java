package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** {@link GroupCommit#takeQueued}: what a writer may add to its batch while it runs. */
class GroupCommitTest {

  @Test
  void takeQueued_duringABatch_takesWhatArrivedMeanwhile_upToMax_andNeverPastADrainBarrier() throws Exception {
    CountDownLatch inFirstBatch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<GroupCommit<String>> ref = new AtomicReference<>();
    List<List<String>> batches = new CopyOnWriteArrayList<>();
    GroupCommit<String> commits = new GroupCommit<>("test-writer", 100, batch -> {
      List<GroupCommit.Ticket<String>> all = new java.util.ArrayList<>(batch);
      if (batches.isEmpty()) {
        inFirstBatch.countDown();
        await(release);
        all.addAll(ref.get().takeQueued(2));
        all.addAll(ref.get().takeQueued(10));
      }
      batches.add(all.stream().map(GroupCommit.Ticket::item).toList());
      all.forEach(t -> t.finish(0, null));
    });
    ref.set(commits);
    GroupCommit.Ticket<String> first = commits.submit("first", false);
    await(inFirstBatch);
    List<GroupCommit.Ticket<String>> queued = List.of(commits.submit("a", false), commits.submit("b", false),
        commits.submit("c", false));
    Thread drainer = Thread.ofPlatform().start(commits::drain);
    while (drainer.getState() != Thread.State.WAITING) { // its barrier is queued once it parks
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    GroupCommit.Ticket<String> after = commits.submit("after the barrier", true);
    release.countDown();
    assertThat(after.await()).isZero();
    drainer.join();
    assertThat(batches).containsExactly(List.of("first", "a", "b", "c"), List.of("after the barrier"));
    assertThat(first.done()).isTrue();
    assertThat(queued).allMatch(GroupCommit.Ticket::done);
    commits.stop();
  }

  @Test
  void takeQueued_fromAnotherThreadThanTheWriter_isRefused() {
    GroupCommit<String> commits = new GroupCommit<>("test-writer", 10, batch -> batch.forEach(t -> t.finish(0, null)));
    assertThatThrownBy(() -> commits.takeQueued(1)).isInstanceOf(IllegalStateException.class);
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(1, TimeUnit.MINUTES)).isTrue();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
