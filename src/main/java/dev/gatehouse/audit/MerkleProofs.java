package dev.gatehouse.audit;

import dev.gatehouse.audit.ProofException.Reason;
import java.security.MessageDigest;
import java.util.List;

/** Pure verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs. */
public final class MerkleProofs {
  private MerkleProofs() {}

  public static void verifyInclusion(long index, long treeSize, byte[] leafHash, List<byte[]> proof, byte[] root)
      throws ProofException {
    if (index < 0 || index >= treeSize) {
      throw new ProofException(Reason.BAD_INDEX, "leaf " + index + " is not in a tree of size " + treeSize);
    }
    checkLengths(proof, leafHash, root);
    long fn = index;
    long sn = treeSize - 1;
    byte[] r = leafHash;
    for (byte[] p : proof) {
      if (sn == 0) {
        throw new ProofException(Reason.WRONG_PROOF_SIZE, "the proof is too long");
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = Rfc6962.nodeHash(p, r);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>= 1;
            sn >>= 1;
          }
        }
      } else {
        r = Rfc6962.nodeHash(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    if (sn != 0) {
      throw new ProofException(Reason.WRONG_PROOF_SIZE, "the proof is too short");
    }
    if (!MessageDigest.isEqual(r, root)) {
      throw new ProofException(Reason.ROOT_MISMATCH, "the proof leads to another root");
    }
  }

  public static void verifyConsistency(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof)
      throws ProofException {
    if (size1 < 0 || size2 < size1) {
      throw new ProofException(Reason.BAD_INDEX, "sizes must satisfy 0 <= m <= n");
    }
    checkLengths(proof, root1, root2);
    if (size1 == size2) {
      if (!proof.isEmpty()) {
        throw new ProofException(Reason.WRONG_PROOF_SIZE, "equal sizes need an empty proof");
      }
      if (!MessageDigest.isEqual(root1, root2)) {
        throw new ProofException(Reason.ROOT_MISMATCH, "equal sizes, different roots");
      }
      return;
    }
    if (size1 == 0) {
      if (!proof.isEmpty()) {
        throw new ProofException(Reason.WRONG_PROOF_SIZE, "an empty tree needs an empty proof");
      }
      return;
    }
    if (proof.isEmpty()) {
      throw new ProofException(Reason.WRONG_PROOF_SIZE, "the proof is empty");
    }
    List<byte[]> path = proof;
    if (Long.bitCount(size1) == 1) {
      path = new java.util.ArrayList<>(proof.size() + 1);
      path.add(root1);
      path.addAll(proof);
    }
    long fn = size1 - 1;
    long sn = size2 - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    byte[] fr = path.get(0);
    byte[] sr = path.get(0);
    for (int i = 1; i < path.size(); i++) {
      byte[] c = path.get(i);
      if (sn == 0) {
        throw new ProofException(Reason.WRONG_PROOF_SIZE, "the proof is too long");
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = Rfc6962.nodeHash(c, fr);
        sr = Rfc6962.nodeHash(c, sr);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>= 1;
            sn >>= 1;
          }
        }
      } else {
        sr = Rfc6962.nodeHash(sr, c);
      }
      fn >>= 1;
      sn >>= 1;
    }
    if (sn != 0) {
      throw new ProofException(Reason.WRONG_PROOF_SIZE, "the proof is too short");
    }
    if (!MessageDigest.isEqual(fr, root1) || !MessageDigest.isEqual(sr, root2)) {
      throw new ProofException(Reason.ROOT_MISMATCH, "the proof does not lead to both roots");
    }
  }

  private static void checkLengths(List<byte[]> proof, byte[]... hashes) throws ProofException {
    for (byte[] h : hashes) {
      if (h == null || h.length != Rfc6962.HASH_BYTES) {
        throw new ProofException(Reason.BAD_HASH_LENGTH, "a hash is not 32 bytes");
      }
    }
    for (byte[] h : proof) {
      if (h == null || h.length != Rfc6962.HASH_BYTES) {
        throw new ProofException(Reason.BAD_HASH_LENGTH, "a proof hash is not 32 bytes");
      }
    }
  }
}
