package dev.gatehouse.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.stream.IntStream;

/**
 * Proves a log intact, or names the first thing wrong: every line canonical and its hash
 * right, seqs consecutive from 0, each {@code prev} the hash before it, the Merkle root at
 * the latest signed checkpoint's size equal to the checkpoint's, and (given an older
 * checkpoint kept elsewhere) a consistency proof from it to today's tree. Reads each segment
 * once, in order.
 */
public final class AuditVerifier {
  private AuditVerifier() {}

  /** @param problem null when intact; else what is wrong, starting with the first bad seq */
  public record Result(long entries, byte[] root, Checkpoint latest, Checkpoint older, String problem) {
    public boolean intact() {
      return problem == null;
    }
  }

  /** Everything a reader needs, built in one pass; {@code tree} only if asked for. */
  public record Scan(long entries, byte[] root, MerkleTree tree, List<byte[]> lines, byte[] rootAtCapture,
      VaultWrites vaultAtCapture, String problem) {}

  public static Result verify(Path dir, Checkpoint.Verifier key, String olderNote) throws IOException {
    return verifyAll(dir, key, olderNote == null ? List.of() : List.of(olderNote));
  }

  /**
   * {@link #verify(Path, Checkpoint.Verifier, String)} against every one of {@code olderNotes}
   * (what a witness received): each must verify under {@code key} and be a prefix of today's
   * log. {@link Result#older()} is the last of them.
   */
  public static Result verifyAll(Path dir, Checkpoint.Verifier key, List<String> olderNotes) throws IOException {
    String latestNote;
    try {
      latestNote = Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      latestNote = null;
    }
    return verifyAll(latestNote, key, olderNotes, (keepTree, captureSize) -> scan(segmentLines(dir), keepTree, null,
        captureSize, Long.MAX_VALUE));
  }

  /** Scans a log's lines (keeping the tree if asked, capturing the root and vault state at a size). */
  @FunctionalInterface
  public interface Scanner {
    Scan scan(boolean keepTree, long captureSize) throws IOException;
  }

  /**
   * The checks of {@link #verifyAll(Path, Checkpoint.Verifier, List)} on any store of the
   * log: {@code latestNote} is its latest signed checkpoint (null when none), {@code lines}
   * reads its lines in order. The same checks whatever holds the lines.
   */
  public static Result verifyAll(String latestNote, Checkpoint.Verifier key, List<String> olderNotes, Scanner lines)
      throws IOException {
    Checkpoint latest = null;
    Checkpoint older = null;
    List<Checkpoint> olders = new java.util.ArrayList<>();
    try {
      latest = latestNote == null ? null : Checkpoint.verify(latestNote, key);
    } catch (IllegalArgumentException e) {
      return new Result(0, Rfc6962.emptyRoot(), null, null, "checkpoint: " + e.getMessage());
    }
    for (int i = 0; i < olderNotes.size(); i++) {
      try {
        older = Checkpoint.verify(olderNotes.get(i), key);
        olders.add(older);
      } catch (IllegalArgumentException e) {
        return new Result(0, Rfc6962.emptyRoot(), latest, null, "checkpoint"
            + (olderNotes.size() > 1 ? " " + (i + 1) + " of " + olderNotes.size() : "") + ": " + e.getMessage());
      }
    }
    Scan scan = lines.scan(!olders.isEmpty(), latest == null ? -1 : latest.size());
    if (scan.problem() != null) {
      return new Result(scan.entries(), scan.root(), latest, older, scan.problem());
    }
    List<Checkpoint> all = new java.util.ArrayList<>(olders);
    if (latest != null) {
      all.add(0, latest);
    }
    for (Checkpoint cp : all) {
      if (cp.size() > scan.entries()) {
        return new Result(scan.entries(), scan.root(), latest, older, "the log has " + scan.entries()
            + " entries but a checkpoint signed " + cp.size() + ": entries from seq " + scan.entries()
            + " on are missing (truncated)");
      }
    }
    if (latest != null && !Arrays.equals(scan.rootAtCapture(), latest.root())) {
      return new Result(scan.entries(), scan.root(), latest, older, "the Merkle root at size " + latest.size()
          + " differs from the latest checkpoint's: entries before seq " + latest.size() + " were rewritten");
    }
    if (latest != null) {
      String vaultProblem;
      try {
        VaultWrites signed = VaultWrites.fromExtensions(latest.extensions());
        vaultProblem = signed.equals(scan.vaultAtCapture()) ? null : "states the vault as " + signed.describe()
            + " but its entries say " + scan.vaultAtCapture().describe();
      } catch (IllegalArgumentException e) {
        vaultProblem = e.getMessage();
      }
      if (vaultProblem != null) {
        return new Result(scan.entries(), scan.root(), latest, older, "the latest checkpoint (size " + latest.size()
            + ") " + vaultProblem);
      }
    }
    for (Checkpoint cp : olders) {
      MerkleTree tree = scan.tree();
      try {
        if (cp.size() > 0) {
          List<byte[]> proof = cp.size() == tree.size() ? List.of() : tree.consistencyProof(cp.size(), tree.size());
          MerkleProofs.verifyConsistency(cp.size(), tree.size(), cp.root(), tree.root(), proof);
        }
      } catch (ProofException e) {
        return new Result(scan.entries(), scan.root(), latest, older, "the log is not an extension of the given "
            + "checkpoint (size " + cp.size() + "): history before seq " + cp.size()
            + " was rewritten or removed (" + e.getMessage() + ")");
      }
    }
    return new Result(scan.entries(), scan.root(), latest, older, null);
  }

  /** The latest checkpoint, its signature verified; null when there is none yet. */
  public static Checkpoint latestCheckpoint(Path dir, Checkpoint.Verifier key) throws IOException {
    try {
      return Checkpoint.verify(Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8), key);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  public static Checkpoint.Verifier verifierKey(Path dir) throws IOException {
    return Checkpoint.Verifier.parse(Files.readString(dir.resolve(FileAuditLog.VERIFIER_FILE), StandardCharsets.UTF_8));
  }

  /**
   * One pass over every segment: checks each line and the chain, optionally keeps the tree and
   * the lines. The work that depends on one line only (parsing, its hash, its leaf hash) runs
   * in parallel a segment at a time; the chain and the tree are then checked in order, so the
   * problem reported is always the first one.
   */
  public static Scan scan(Path dir, boolean keepTree, boolean keepLines, long captureSize) throws IOException {
    return scan(dir, keepTree, keepLines ? seq -> true : null, captureSize, Long.MAX_VALUE);
  }

  /**
   * {@link #scan(Path, boolean, boolean, long)} that keeps only the lines whose seq {@code keepLine}
   * accepts (none when null; {@link Scan#lines()} then holds those, in order), and stops after
   * {@code stopAt} entries: nothing after them is judged (nor later segments read), so a line being appended by a
   * writer at that moment (which looks torn) does not count against the prefix.
   */
  public static Scan scan(Path dir, boolean keepTree, LongPredicate keepLine, long captureSize, long stopAt)
      throws IOException {
    return scan(segmentLines(dir), keepTree, keepLine, captureSize, stopAt);
  }

  /**
   * A run of stored lines in log order: {@code bytes} is lines each ending in {@code \n} (a
   * last one without it is torn), {@code where} names line {@code i} of the run for a
   * problem, {@code name} names the run, {@code last} whether no run follows it.
   */
  public record Chunk(String name, byte[] bytes, java.util.function.IntFunction<String> where, boolean last) {}

  /** The runs of a log in order, read one at a time; null after the last. */
  @FunctionalInterface
  public interface Chunks {
    Chunk next() throws IOException;
  }

  /** The segments in {@code dir}, one run each, each read when it is reached. */
  static Chunks segmentLines(Path dir) throws IOException {
    List<Path> segments = FileAuditLog.segments(dir);
    int[] next = {0};
    return () -> {
      if (next[0] == segments.size()) {
        return null;
      }
      Path segment = segments.get(next[0]++);
      String name = segment.getFileName().toString();
      return new Chunk(name, Files.readAllBytes(segment), i -> name + " line " + (i + 1), next[0] == segments.size());
    };
  }

  /** {@link #scan(Path, boolean, LongPredicate, long, long)} over the runs of {@code chunks}. */
  public static Scan scan(Chunks chunks, boolean keepTree, LongPredicate keepLine, long captureSize, long stopAt)
      throws IOException {
    CompactRange range = new CompactRange();
    byte[] captured = captureSize == 0 ? range.root() : null;
    VaultWrites vault = VaultWrites.NONE;
    VaultWrites vaultCaptured = VaultWrites.NONE;
    MerkleTree tree = keepTree ? new MerkleTree() : null;
    List<byte[]> lines = keepLine != null ? new ArrayList<>() : null;
    long expected = 0;
    String prev = AuditRecord.GENESIS;
    for (Chunk chunk; expected < stopAt && (chunk = chunks.next()) != null; ) {
      byte[] bytes = chunk.bytes();
      List<int[]> spans = new ArrayList<>();
      int start = 0;
      for (int nl; (nl = FileAuditLog.indexOf(bytes, (byte) '\n', start)) >= 0; start = nl + 1) {
        spans.add(new int[] {start, nl});
      }
      Checked[] checked = new Checked[spans.size()];
      IntStream.range(0, checked.length).parallel().forEach(i -> checked[i] = Checked.of(bytes, spans.get(i)));
      for (int i = 0; i < checked.length; i++) {
        if (expected == stopAt) {
          return new Scan(expected, range.root(), tree, lines, captured, vaultCaptured, null);
        }
        Checked c = checked[i];
        AuditRecord r = c.record();
        String where = " (" + chunk.where().apply(i) + ")";
        String problem = null;
        if (r == null) {
          problem = "seq " + expected + where + ": not a valid entry: changed or corrupted";
        } else if (r.seq() != expected) {
          problem = "seq " + expected + where + ": found seq " + r.seq() + " instead: an entry was deleted, inserted or moved";
        } else if (!c.hashRight()) {
          problem = "seq " + r.seq() + where + ": its hash does not match its content: the entry was changed";
        } else if (!r.prev().equals(prev)) {
          problem = "seq " + r.seq() + where + ": prev does not link to seq " + (r.seq() - 1);
        }
        if (problem != null) {
          return new Scan(expected, range.root(), tree, lines, captured, vaultCaptured, problem);
        }
        range.append(c.leaf());
        vault = vault.apply(r.type(), r.outcome(), r.details());
        if (range.size() == captureSize) {
          captured = range.root();
          vaultCaptured = vault;
        }
        if (tree != null) {
          tree.append(c.leaf());
        }
        if (lines != null && keepLine.test(expected)) {
          lines.add(c.line());
        }
        prev = r.hash();
        expected++;
      }
      if (start < bytes.length && expected < stopAt) {
        String torn = chunk.name() + " ends with a torn line of " + (bytes.length - start) + " bytes"
            + (chunk.last() ? " (a crash mid-write; the next append moves it aside)" : "");
        return new Scan(expected, range.root(), tree, lines, captured, vaultCaptured, "seq " + expected + ": " + torn);
      }
    }
    return new Scan(expected, range.root(), tree, lines, captured, vaultCaptured, null);
  }

  /** What one line says by itself. */
  private record Checked(byte[] line, AuditRecord record, boolean hashRight, byte[] leaf) {
    static Checked of(byte[] bytes, int[] span) {
      byte[] line = Arrays.copyOfRange(bytes, span[0], span[1]);
      AuditRecord r = AuditRecord.parse(line);
      return new Checked(line, r, r != null && r.hashIsRight(line, dev.gatehouse.Sha256.digest()), Rfc6962.leafHash(line));
    }
  }

  public static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  public static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
