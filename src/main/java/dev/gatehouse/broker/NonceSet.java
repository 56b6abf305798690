package dev.gatehouse.broker;

import dev.gatehouse.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The nonces seen within the keep time, in memory, without an object per nonce: a nonce is a
 * 64-bit digest in a primitive open-addressing table beside the time it was seen. A map of
 * objects held a hundred thousand long-lived entries at a thousand calls a second, and every
 * young garbage collection copied them (pauses of 20-30 ms, measured with JFR).
 *
 * <p>Two generations, each spanning the keep time: when the current one is older than that it
 * becomes the previous one and the previous one is dropped whole, so every nonce is kept at
 * least the keep time (and at most twice it), and nothing is ever deleted one by one. Whether
 * a nonce is still within the keep time is decided by the time stored with it.
 *
 * <p>The digest is SHA-256 of key id and nonce, truncated: a caller cannot pick nonces that
 * pile up in one part of the table, and two distinct nonces share a digest with probability
 * about n / 2^64 — then the later one is refused as a replay (fail closed).
 */
final class NonceSet {
  private final long keepMillis;
  private final ReentrantLock lock = new ReentrantLock();
  private Table current = new Table(1024); // guarded by lock
  private Table previous = new Table(16); // guarded by lock
  private long currentSince = Long.MIN_VALUE; // guarded by lock

  NonceSet(long keepMillis) {
    this.keepMillis = keepMillis;
  }

  /**
   * Notes that {@code keyId}/{@code nonce} was used at {@code now}; true if it was not used
   * within the keep time before (a first use), false for a replay.
   */
  boolean firstUse(String keyId, String nonce, long now) {
    return firstUse(digest(keyId, nonce), now);
  }

  /** {@link #firstUse(String, String, long)} for a use known by its {@link #digest}. */
  boolean firstUse(long digest, long now) {
    lock.lock();
    try {
      rotate(now);
      long seenAt = current.get(digest);
      if (seenAt == Table.ABSENT) {
        seenAt = previous.get(digest);
      }
      if (seenAt != Table.ABSENT && seenAt >= now - keepMillis) {
        return false;
      }
      current.put(digest, now);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Remembers a use read back from storage (the later time wins). */
  void remember(String keyId, String nonce, long seenAt) {
    remember(digest(keyId, nonce), seenAt);
  }

  /** {@link #remember(String, String, long)} for a use known by its {@link #digest}. */
  void remember(long digest, long seenAt) {
    lock.lock();
    try {
      if (currentSince == Long.MIN_VALUE) {
        currentSince = seenAt;
      }
      long before = current.get(digest);
      if (before == Table.ABSENT || before < seenAt) {
        current.put(digest, seenAt);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Nonces held now (both generations; some may be past the keep time). */
  int size() {
    lock.lock();
    try {
      return current.size + previous.size;
    } finally {
      lock.unlock();
    }
  }

  private void rotate(long now) {
    if (currentSince == Long.MIN_VALUE) {
      currentSince = now;
    } else if (now - currentSince >= keepMillis) {
      previous = current;
      current = new Table(Math.max(1024, Integer.highestOneBit(Math.max(1, previous.size)) * 2));
      currentSince = now;
    }
  }

  /** SHA-256 of key id, a zero byte and nonce: the whole of what names one use. */
  static byte[] sha256(String keyId, String nonce) {
    return Sha256.of(keyId.getBytes(StandardCharsets.UTF_8), new byte[] {0}, nonce.getBytes(StandardCharsets.UTF_8));
  }

  static long digest(String keyId, String nonce) {
    return digest(sha256(keyId, nonce));
  }

  /** The table's key for a use: the first 8 bytes of its {@link #sha256} (of at least 8 bytes given). */
  static long digest(byte[] sha256) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (sha256[i] & 0xff);
    }
    return v == Table.EMPTY ? 1 : v;
  }

  /** Linear probing over two parallel arrays; grows at half full; never deletes. */
  private static final class Table {
    static final long EMPTY = 0;
    static final long ABSENT = Long.MIN_VALUE;
    long[] keys;
    long[] times;
    int size;

    Table(int capacity) {
      keys = new long[capacity];
      times = new long[capacity];
    }

    long get(long key) {
      int mask = keys.length - 1;
      for (int i = (int) key & mask; ; i = (i + 1) & mask) {
        if (keys[i] == key) {
          return times[i];
        }
        if (keys[i] == EMPTY) {
          return ABSENT;
        }
      }
    }

    void put(long key, long time) {
      if ((size + 1) * 2 > keys.length) {
        grow();
      }
      int mask = keys.length - 1;
      for (int i = (int) key & mask; ; i = (i + 1) & mask) {
        if (keys[i] == key) {
          times[i] = time;
          return;
        }
        if (keys[i] == EMPTY) {
          keys[i] = key;
          times[i] = time;
          size++;
          return;
        }
      }
    }

    private void grow() {
      long[] oldKeys = keys;
      long[] oldTimes = times;
      keys = new long[oldKeys.length * 2];
      times = new long[oldKeys.length * 2];
      size = 0;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldKeys[i] != EMPTY) {
          put(oldKeys[i], oldTimes[i]);
        }
      }
    }
  }
}
