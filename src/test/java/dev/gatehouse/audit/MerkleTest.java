package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Vectors;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * RFC 6962 vectors, and every proof for trees up to 64 leaves against a reference written
 * straight from the RFC's recursive definitions; every mutated proof must be rejected.
 */
class MerkleTest {
  private static final HexFormat HEX = HexFormat.of();

  // ---- the reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, recursively over leaf data ----

  static byte[] mth(List<byte[]> d) {
    if (d.isEmpty()) {
      return sha(new byte[0]);
    }
    if (d.size() == 1) {
      return sha(concat(new byte[] {0}, d.get(0)));
    }
    int k = Integer.highestOneBit(d.size() - 1);
    return sha(concat(new byte[] {1}, mth(d.subList(0, k)), mth(d.subList(k, d.size()))));
  }

  static List<byte[]> refPath(int m, List<byte[]> d) {
    List<byte[]> out = new ArrayList<>();
    if (d.size() <= 1) {
      return out;
    }
    int k = Integer.highestOneBit(d.size() - 1);
    if (m < k) {
      out.addAll(refPath(m, d.subList(0, k)));
      out.add(mth(d.subList(k, d.size())));
    } else {
      out.addAll(refPath(m - k, d.subList(k, d.size())));
      out.add(mth(d.subList(0, k)));
    }
    return out;
  }

  static List<byte[]> refProof(int m, List<byte[]> d) {
    return refSubproof(m, d, true);
  }

  static List<byte[]> refSubproof(int m, List<byte[]> d, boolean b) {
    List<byte[]> out = new ArrayList<>();
    int n = d.size();
    if (m == n) {
      if (!b) {
        out.add(mth(d));
      }
      return out;
    }
    int k = Integer.highestOneBit(n - 1);
    if (m <= k) {
      out.addAll(refSubproof(m, d.subList(0, k), b));
      out.add(mth(d.subList(k, n)));
    } else {
      out.addAll(refSubproof(m - k, d.subList(k, n), false));
      out.add(mth(d.subList(0, k)));
    }
    return out;
  }

  private static byte[] sha(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private static List<byte[]> leaves(int n) {
    List<byte[]> d = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      d.add(("leaf " + i).getBytes(StandardCharsets.US_ASCII));
    }
    return d;
  }

  private static MerkleTree treeOf(List<byte[]> d) {
    MerkleTree t = new MerkleTree();
    d.forEach(x -> t.append(Rfc6962.leafHash(x)));
    return t;
  }

  private static boolean same(List<byte[]> a, List<byte[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  // ---- vectors -------------------------------------------------------------------------

  private static List<byte[]> hashes(String spaced) {
    List<byte[]> out = new ArrayList<>();
    if (!spaced.isBlank()) {
      for (String h : spaced.split(" ")) {
        out.add(HEX.parseHex(h));
      }
    }
    return out;
  }

  @Test
  void referenceTree_matchesThePublishedRootsNodesAndProofs() throws Exception {
    List<String[]> rows = Vectors.csv("rfc6962.csv");
    List<byte[]> d = new ArrayList<>();
    rows.stream().filter(r -> r[0].equals("leaf")).forEach(r -> d.add(HEX.parseHex(r[3])));
    assertThat(d).hasSize(8);
    MerkleTree tree = treeOf(d);
    List<String> failures = new ArrayList<>();
    for (String[] r : rows) {
      switch (r[0]) {
        case "root" -> {
          int size = Integer.parseInt(r[1]);
          if (!HEX.formatHex(tree.root(size)).equals(r[3])) {
            failures.add("root " + size);
          }
          if (!HEX.formatHex(mth(d.subList(0, size))).equals(r[3])) {
            failures.add("reference root " + size);
          }
        }
        case "node" -> {
          int level = Integer.parseInt(r[1]);
          int index = Integer.parseInt(r[2]);
          int w = 1 << level;
          if (!HEX.formatHex(mth(d.subList(index * w, (index + 1) * w))).equals(r[3])) {
            failures.add("node " + level + "." + index);
          }
        }
        case "inclusion" -> {
          int m = Integer.parseInt(r[1]);
          int n = Integer.parseInt(r[2]);
          if (!same(tree.inclusionProof(m, n), hashes(r[3]))) {
            failures.add("inclusion " + m + "/" + n);
          }
          MerkleProofs.verifyInclusion(m, n, tree.leafHash(m), hashes(r[3]), tree.root(n));
        }
        case "consistency" -> {
          int m = Integer.parseInt(r[1]);
          int n = Integer.parseInt(r[2]);
          if (!same(m == n ? List.of() : tree.consistencyProof(m, n), hashes(r[3]))) {
            failures.add("consistency " + m + "/" + n);
          }
          MerkleProofs.verifyConsistency(m, n, tree.root(m), tree.root(n), hashes(r[3]));
        }
        case "hasher" -> {
          byte[] got = r[1].equals("leaf") ? Rfc6962.leafHash(HEX.parseHex(r[2]))
              : Rfc6962.nodeHash(HEX.parseHex(r[2].split(":")[0]), HEX.parseHex(r[2].split(":")[1]));
          if (!HEX.formatHex(got).equals(r[3])) {
            failures.add("hasher " + r[1] + " " + r[2]);
          }
        }
        case "leaf" -> { }
        default -> failures.add("unknown row " + r[0]);
      }
    }
    assertThat(failures).isEmpty();
    assertThat(HEX.formatHex(Rfc6962.emptyRoot())).isNotEqualTo(HEX.formatHex(Rfc6962.leafHash(new byte[0])));
  }

  // ---- every proof up to 64 leaves, and every mutation of it ----------------------------

  // A proof does not bind the tree size by itself (sizes with the same path shape verify
  // alike): the size is bound by the signed checkpoint that carries the root.
  @Test
  void everyInclusionProof_upTo64Leaves_matchesTheReference_andEveryMutationIsRejected() {
    List<byte[]> d = leaves(64);
    MerkleTree tree = treeOf(d);
    List<String> failures = new ArrayList<>();
    for (int n = 1; n <= 64; n++) {
      byte[] root = tree.root(n);
      if (!Arrays.equals(root, mth(d.subList(0, n)))) {
        failures.add("root " + n);
      }
      for (int m = 0; m < n; m++) {
        int mm = m;
        int nn = n;
        List<byte[]> proof = tree.inclusionProof(m, n);
        String id = "inclusion " + m + "/" + n;
        if (!same(proof, refPath(m, d.subList(0, n)))) {
          failures.add(id + ": differs from the reference");
        }
        byte[] leaf = tree.leafHash(m);
        if (!accepts(() -> MerkleProofs.verifyInclusion(mm, nn, leaf, proof, root))) {
          failures.add(id + ": rejected");
        }
        for (List<byte[]> bad : mutations(proof)) {
          if (accepts(() -> MerkleProofs.verifyInclusion(mm, nn, leaf, bad, root))) {
            failures.add(id + ": accepted a mutated proof");
          }
        }
        if (accepts(() -> MerkleProofs.verifyInclusion(mm, nn, Rfc6962.leafHash("other".getBytes()), proof, root))
            || (n > 1 && accepts(() -> MerkleProofs.verifyInclusion((mm + 1) % nn, nn, leaf, proof, root)))
            || accepts(() -> MerkleProofs.verifyInclusion(mm, nn, leaf, proof, flip(root, 0)))) {
          failures.add(id + ": accepted a wrong leaf, index or root");
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void everyConsistencyProof_upTo64Leaves_matchesTheReference_andEveryMutationIsRejected() {
    List<byte[]> d = leaves(64);
    MerkleTree tree = treeOf(d);
    List<String> failures = new ArrayList<>();
    for (int n = 1; n <= 64; n++) {
      byte[] r2 = tree.root(n);
      for (int m = 1; m <= n; m++) {
        byte[] r1 = tree.root(m);
        List<byte[]> proof = tree.consistencyProof(m, n);
        String id = "consistency " + m + "/" + n;
        if (!same(proof, refProof(m, d.subList(0, n)))) {
          failures.add(id + ": differs from the reference");
        }
        int mm = m;
        int nn = n;
        if (!accepts(() -> MerkleProofs.verifyConsistency(mm, nn, r1, r2, proof))) {
          failures.add(id + ": rejected");
        }
        for (List<byte[]> bad : mutations(proof)) {
          if (accepts(() -> MerkleProofs.verifyConsistency(mm, nn, r1, r2, bad))) {
            failures.add(id + ": accepted a mutated proof");
          }
        }
        if (accepts(() -> MerkleProofs.verifyConsistency(mm, nn, flip(r1, 31), r2, proof))
            || accepts(() -> MerkleProofs.verifyConsistency(mm, nn, r1, flip(r2, 31), proof))
            || (m < n && accepts(() -> MerkleProofs.verifyConsistency(mm + 1, nn, r1, r2, proof)))) {
          failures.add(id + ": accepted a wrong root or size");
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  /** Each element with one bit flipped, each element dropped, one element added. */
  private static List<List<byte[]>> mutations(List<byte[]> proof) {
    List<List<byte[]>> out = new ArrayList<>();
    for (int i = 0; i < proof.size(); i++) {
      List<byte[]> flipped = new ArrayList<>(proof);
      flipped.set(i, flip(proof.get(i), i % 32));
      out.add(flipped);
      List<byte[]> dropped = new ArrayList<>(proof);
      dropped.remove(i);
      out.add(dropped);
    }
    List<byte[]> added = new ArrayList<>(proof);
    added.add(new byte[32]);
    out.add(added);
    return out;
  }

  private static byte[] flip(byte[] h, int at) {
    byte[] c = h.clone();
    c[at] ^= 1;
    return c;
  }

  interface Check {
    void run() throws ProofException;
  }

  private static boolean accepts(Check c) {
    try {
      c.run();
      return true;
    } catch (ProofException e) {
      return false;
    }
  }

  // ---- the compact range ----------------------------------------------------------------

  @Test
  void compactRange_givesTheSameRootsAsTheFullTree() {
    MerkleTree tree = new MerkleTree();
    CompactRange range = new CompactRange();
    for (int i = 0; i <= 200; i++) {
      assertThat(range.root()).as("size %d", i).isEqualTo(tree.root());
      assertThat(range.peaks()).hasSize(Long.bitCount(i));
      byte[] leaf = Rfc6962.leafHash(("x" + i).getBytes());
      tree.append(leaf);
      range.append(leaf);
    }
  }

  @Property(tries = 200)
  void compactRange_rebuiltFromItsPeaks_continuesTheSameTree(
      @ForAll @IntRange(min = 0, max = 300) int split, @ForAll @IntRange(min = 0, max = 300) int more) {
    CompactRange straight = new CompactRange();
    for (int i = 0; i < split; i++) {
      straight.append(Rfc6962.leafHash(("y" + i).getBytes()));
    }
    CompactRange rebuilt = new CompactRange(straight.size(), straight.peaks());
    for (int i = split; i < split + more; i++) {
      byte[] leaf = Rfc6962.leafHash(("y" + i).getBytes());
      straight.append(leaf);
      rebuilt.append(leaf);
    }
    assertThat(rebuilt.root()).isEqualTo(straight.root());
  }
}
