package dev.gatehouse.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a log ends: its size, the hash of its last entry, the compact range of its tree and
 * the vault state its entries state. Every writer (the files, PostgreSQL) builds lines only by
 * {@link #append}ing to it, so a line is the same bytes whoever writes it, and the new head
 * is exactly what those lines give: seqs consecutive from {@link #size}, each {@code prev} the
 * hash before it, each line a leaf of the tree.
 */
final class LogHead {
  static final LogHead EMPTY = new LogHead(new CompactRange(), AuditRecord.GENESIS, VaultWrites.NONE);

  private final CompactRange range;
  private final String lastHash;
  private final VaultWrites vault;

  /** The lines made for a batch (without their newlines, seq {@code from} first) and the head after them. */
  record Appended(long from, List<byte[]> lines, LogHead head) {}

  LogHead(CompactRange range, String lastHash, VaultWrites vault) {
    this.range = new CompactRange(range.size(), range.peaks());
    this.lastHash = lastHash;
    this.vault = vault;
  }

  long size() {
    return range.size();
  }

  String lastHash() {
    return lastHash;
  }

  VaultWrites vault() {
    return vault;
  }

  byte[] root() {
    return range.root();
  }

  /** A copy of the compact range. */
  CompactRange range() {
    return new CompactRange(range.size(), range.peaks());
  }

  /** The lines of {@code events} (already redacted), all stamped {@code now}, after this head. */
  Appended append(List<AuditEvent> events, Instant now) {
    CompactRange next = range();
    VaultWrites v = vault;
    String prev = lastHash;
    long seq = range.size();
    List<byte[]> lines = new ArrayList<>(events.size());
    for (AuditEvent e : events) {
      v = v.apply(e.type(), e.outcome(), e.details());
      byte[] line = AuditRecord.createLine(seq++, now, e, prev);
      lines.add(line);
      next.append(Rfc6962.leafHash(line));
      prev = AuditRecord.hashOf(line);
    }
    return new Appended(range.size(), lines, new LogHead(next, prev, v));
  }
}
