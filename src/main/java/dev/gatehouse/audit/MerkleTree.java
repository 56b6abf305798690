package dev.gatehouse.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An append-only RFC 6962 tree that keeps every complete-subtree hash (level 0: leaf hashes;
 * level k node i: leaves [i·2^k, (i+1)·2^k)), 32 bytes each in one growable array per level,
 * about 64 bytes per leaf in all. Roots and proofs for any size up to {@link #size()} read
 * O(log n) stored hashes; nothing is recomputed from the leaves. Mutable, not thread-safe.
 */
public final class MerkleTree {
  private final List<byte[]> levels = new ArrayList<>();
  private final List<Long> counts = new ArrayList<>();

  public long size() {
    return counts.isEmpty() ? 0 : counts.get(0);
  }

  public void append(byte[] leafHash) {
    byte[] h = leafHash.clone();
    int level = 0;
    while (true) {
      long index = put(level, h);
      if ((index & 1) == 0) {
        return;
      }
      h = Rfc6962.nodeHash(node(level, index - 1), h);
      level++;
    }
  }

  public byte[] leafHash(long index) {
    if (index < 0 || index >= size()) {
      throw new IllegalArgumentException("no leaf " + index);
    }
    return node(0, index);
  }

  public byte[] root() {
    return root(size());
  }

  public byte[] root(long size) {
    checkSize(size);
    return size == 0 ? Rfc6962.emptyRoot() : subtree(0, size);
  }

  /** PATH(m, D[n]) of RFC 9162 §2.1.3.1. */
  public List<byte[]> inclusionProof(long index, long treeSize) {
    checkSize(treeSize);
    if (index < 0 || index >= treeSize) {
      throw new IllegalArgumentException("leaf " + index + " is not in a tree of size " + treeSize);
    }
    List<byte[]> proof = new ArrayList<>();
    path(index, 0, treeSize, proof);
    return proof;
  }

  /** PROOF(m, D[n]) of RFC 9162 §2.1.4.1, for 0 < m ≤ n. */
  public List<byte[]> consistencyProof(long size1, long size2) {
    checkSize(size2);
    if (size1 <= 0 || size1 > size2) {
      throw new IllegalArgumentException("a consistency proof needs 0 < m <= n (m=" + size1 + ", n=" + size2 + ")");
    }
    List<byte[]> proof = new ArrayList<>();
    subproof(size1, 0, size2, true, proof);
    return proof;
  }

  private void path(long m, long start, long n, List<byte[]> proof) {
    if (n == 1) {
      return;
    }
    long k = Long.highestOneBit(n - 1);
    if (m < k) {
      path(m, start, k, proof);
      proof.add(subtree(start + k, n - k));
    } else {
      path(m - k, start + k, n - k, proof);
      proof.add(subtree(start, k));
    }
  }

  private void subproof(long m, long start, long n, boolean complete, List<byte[]> proof) {
    if (m == n) {
      if (!complete) {
        proof.add(subtree(start, n));
      }
      return;
    }
    long k = Long.highestOneBit(n - 1);
    if (m <= k) {
      subproof(m, start, k, complete, proof);
      proof.add(subtree(start + k, n - k));
    } else {
      subproof(m - k, start + k, n - k, false, proof);
      proof.add(subtree(start, k));
    }
  }

  /** MTH of leaves [start, start+n): stored when perfect and aligned, else split at the largest power of two. */
  private byte[] subtree(long start, long n) {
    if (Long.bitCount(n) == 1 && start % n == 0) {
      return node(Long.numberOfTrailingZeros(n), start / n);
    }
    long k = Long.highestOneBit(n - 1);
    return Rfc6962.nodeHash(subtree(start, k), subtree(start + k, n - k));
  }

  private long put(int level, byte[] h) {
    if (levels.size() == level) {
      levels.add(new byte[Rfc6962.HASH_BYTES * 16]);
      counts.add(0L);
    }
    long index = counts.get(level);
    byte[] arr = levels.get(level);
    long needed = (index + 1) * Rfc6962.HASH_BYTES;
    if (needed > arr.length) {
      if (needed > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("MerkleTree holds at most about 67 million leaves");
      }
      arr = Arrays.copyOf(arr, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, (long) arr.length * 2)));
      levels.set(level, arr);
    }
    System.arraycopy(h, 0, arr, (int) (index * Rfc6962.HASH_BYTES), Rfc6962.HASH_BYTES);
    counts.set(level, index + 1);
    return index;
  }

  private byte[] node(int level, long index) {
    int off = (int) (index * Rfc6962.HASH_BYTES);
    return Arrays.copyOfRange(levels.get(level), off, off + Rfc6962.HASH_BYTES);
  }

  private void checkSize(long size) {
    if (size < 0 || size > size()) {
      throw new IllegalArgumentException("the tree has " + size() + " leaves, not " + size);
    }
  }
}
