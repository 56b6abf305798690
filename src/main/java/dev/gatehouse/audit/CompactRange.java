package dev.gatehouse.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * The O(log n) state that appends leaves and gives the root: the hashes of the perfect
 * subtrees that make up the tree, largest (leftmost) first, one per set bit of the size.
 * Mutable and not thread-safe.
 */
public final class CompactRange {
  private long size;
  private final List<byte[]> peaks = new ArrayList<>();

  public CompactRange() {}

  public CompactRange(long size, List<byte[]> peaks) {
    if (size < 0 || peaks.size() != Long.bitCount(size)) {
      throw new IllegalArgumentException("a compact range of size " + size + " has " + Long.bitCount(size) + " peaks");
    }
    for (byte[] p : peaks) {
      if (p.length != Rfc6962.HASH_BYTES) {
        throw new IllegalArgumentException("a peak is 32 bytes");
      }
      this.peaks.add(p.clone());
    }
    this.size = size;
  }

  public void append(byte[] leafHash) {
    byte[] h = leafHash.clone();
    // Merge while the new subtree is as large as the last peak (trailing one-bits of size).
    for (long s = size; (s & 1) == 1; s >>= 1) {
      h = Rfc6962.nodeHash(peaks.remove(peaks.size() - 1), h);
    }
    peaks.add(h);
    size++;
  }

  public long size() {
    return size;
  }

  public byte[] root() {
    if (peaks.isEmpty()) {
      return Rfc6962.emptyRoot();
    }
    byte[] h = peaks.get(peaks.size() - 1);
    for (int i = peaks.size() - 2; i >= 0; i--) {
      h = Rfc6962.nodeHash(peaks.get(i), h);
    }
    return h.clone();
  }

  public List<byte[]> peaks() {
    List<byte[]> out = new ArrayList<>(peaks.size());
    peaks.forEach(p -> out.add(p.clone()));
    return out;
  }
}
