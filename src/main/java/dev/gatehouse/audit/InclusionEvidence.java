package dev.gatehouse.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;

/**
 * What proves one entry is in the log to someone who trusts only the checkpoint key, not this
 * host: the entry's exact line (the leaf's bytes), its RFC 6962 leaf hash, the inclusion proof
 * from it to the root of the first {@code treeSize} entries and, when the latest signed
 * checkpoint covers the entry, that checkpoint's signed note (whose size and root the proof
 * reaches) and the verifier key text ({@code name+keyid+base64}). {@link #toJson()} is what
 * {@code gatehouse audit prove} prints and what the dashboard's {@code proof.js} checks in the
 * browser (docs/audit-format.md, "Inclusion proofs").
 *
 * <p>When the entry is newer than the latest checkpoint ({@link #newerThanCheckpoint()}), the
 * proof is to the current log's root, which nothing signs yet: it binds nobody until a later
 * checkpoint covers the entry. A writer that holds the log makes one with
 * {@link #signed(FileAuditLog, long)}.
 *
 * <p>Cost: building one reads and checks every entry up to the checkpoint's size (every entry
 * when the entry is newer than it), O(n) time, and keeps the tree of those entries, O(n) memory
 * (about 64 bytes per entry: 64 MB at a million). NOTE: the proof needs only O(log n) subtree
 * hashes, which one streaming pass could collect as the leaves go by (memory O(log n)); the
 * time stays O(n) unless the proof is served from kept subtree hashes.
 */
public record InclusionEvidence(long seq, String entry, byte[] leafHash, long treeSize, byte[] root,
    List<byte[]> proof, String checkpoint, String verifierKey) {

  public InclusionEvidence {
    if (seq < 0 || seq >= treeSize || leafHash.length != Rfc6962.HASH_BYTES || root.length != Rfc6962.HASH_BYTES) {
      throw new IllegalArgumentException("bad inclusion evidence");
    }
    if ((checkpoint == null) != (verifierKey == null)) {
      throw new IllegalArgumentException("a checkpoint comes with its verifier key");
    }
    leafHash = leafHash.clone();
    root = root.clone();
    proof = proof.stream().map(byte[]::clone).toList();
  }

  /** True when no signed checkpoint covers the entry yet: the proof is then to an unsigned root. */
  public boolean newerThanCheckpoint() {
    return checkpoint == null;
  }

  @Override
  public byte[] leafHash() {
    return leafHash.clone();
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  @Override
  public List<byte[]> proof() {
    return proof.stream().map(byte[]::clone).toList();
  }

  /**
   * The evidence for entry {@code seq} of the log in {@code dir}: against the latest checkpoint
   * signed by {@code key} when it covers the entry, else against the whole current log.
   *
   * @throws BadInputException when the log has no entry {@code seq}
   * @throws RefusedException when the checkpoint does not verify, or the entries it covers are
   *     not intact (changed, missing, or not the tree it signed)
   */
  public static InclusionEvidence of(Path dir, Checkpoint.Verifier key, long seq) throws IOException {
    String note;
    try {
      note = Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      note = null;
    }
    return of(note, key, seq, AuditVerifier.segmentLines(dir));
  }

  /**
   * {@link #of(Path, Checkpoint.Verifier, long)} for any store of the log: {@code note} its
   * latest checkpoint (null when none), {@code lines} its lines in order (read only as far as
   * needed).
   */
  public static InclusionEvidence of(String note, Checkpoint.Verifier key, long seq, AuditVerifier.Chunks lines)
      throws IOException {
    Checkpoint latest;
    try {
      latest = note == null ? null : Checkpoint.verify(note, key);
    } catch (IllegalArgumentException e) {
      throw new RefusedException("the latest audit checkpoint does not verify: " + e.getMessage());
    }
    boolean covered = latest != null && seq >= 0 && seq < latest.size();
    // Covered: only the signed prefix is read, which is complete on disk (a checkpoint is signed
    // after its entries are forced); a writer appending past it meanwhile does not matter.
    AuditVerifier.Scan scan = AuditVerifier.scan(lines, true, s -> s == seq, -1,
        covered ? latest.size() : Long.MAX_VALUE);
    if (scan.problem() != null) {
      throw new RefusedException("audit log NOT intact: " + scan.problem());
    }
    if (covered && scan.entries() < latest.size()) {
      throw new RefusedException("audit log NOT intact: the log has " + scan.entries() + " entries but the latest "
          + "checkpoint signed " + latest.size() + " (truncated)");
    }
    if (seq < 0 || seq >= scan.entries()) {
      throw new BadInputException("no entry " + seq + "; the log has " + scan.entries() + " (0 to "
          + (scan.entries() - 1) + ")");
    }
    long size = covered ? latest.size() : scan.entries();
    byte[] root = scan.tree().root(size);
    if (covered && !MessageDigest.isEqual(root, latest.root())) {
      throw new RefusedException("audit log NOT intact: the Merkle root at size " + size + " differs from the latest "
          + "checkpoint's: entries before seq " + size + " were rewritten");
    }
    byte[] line = scan.lines().get(0);
    return new InclusionEvidence(seq, new String(line, StandardCharsets.US_ASCII), Rfc6962.leafHash(line), size, root,
        scan.tree().inclusionProof(seq, size), covered ? note : null, covered ? key.text() : null);
  }

  /**
   * For the process that holds the log (the daemon): the evidence for entry {@code seq}, signing
   * a checkpoint first ({@link FileAuditLog#checkpoint()}) when the latest one does not cover the
   * entry, so the result is against a signed checkpoint whenever the entry exists. The key is
   * the log's own (from the vault), not the {@code signing-key.pub} beside it.
   */
  public static InclusionEvidence signed(FileAuditLog log, long seq) throws IOException {
    boolean covered;
    try {
      Checkpoint latest = AuditVerifier.latestCheckpoint(log.dir(), log.verifier());
      covered = latest != null && seq < latest.size();
    } catch (IllegalArgumentException e) {
      covered = true; // a checkpoint that does not verify: of() refuses it, naming what is wrong
    }
    if (!covered && seq >= 0) {
      log.checkpoint(); // a no-op when nothing was appended since the last one
    }
    return of(log.dir(), log.verifier(), seq);
  }

  /**
   * The JSON form: {@code seq}, {@code entry}, {@code leaf_hash} (hex), {@code tree_size},
   * {@code root} (base64, as in the note), {@code inclusion_proof} (hex), {@code checkpoint} and
   * {@code verifier_key} (only when a checkpoint covers the entry), {@code newer_than_checkpoint}.
   */
  public ObjectNode toJson() {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("seq", seq);
    n.put("entry", entry);
    n.put("leaf_hash", AuditVerifier.hex(leafHash));
    n.put("tree_size", treeSize);
    n.put("root", AuditVerifier.b64(root));
    ArrayNode hashes = n.putArray("inclusion_proof");
    proof.forEach(h -> hashes.add(AuditVerifier.hex(h)));
    if (checkpoint != null) {
      n.put("checkpoint", checkpoint);
      n.put("verifier_key", verifierKey);
    }
    n.put("newer_than_checkpoint", newerThanCheckpoint());
    return n;
  }
}
