package dev.gatehouse.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.InclusionEvidence;
import dev.gatehouse.audit.MerkleTree;
import dev.gatehouse.audit.Rfc6962;
import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.Processes;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.Vectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page's verifier, proof.js (the file on the classpath, as the daemon serves it), run by a
 * real {@code node} on evidence built by {@link InclusionEvidence} from a real log: RFC 6962's
 * vectors, every kind of tampering, and random trees against the Java tree.
 */
class ProofJsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final HexFormat HEX = HexFormat.of();

  @TempDir
  Path temp;

  // ---- RFC 6962 reference vectors ------------------------------------------------------

  @Test
  void rfc6962Vectors_everyInclusionProofLeadsToItsRoot_andAFlippedByteDoesNot() throws Exception {
    Map<Integer, String> leafData = new HashMap<>();
    Map<Integer, String> roots = new HashMap<>();
    List<String[]> inclusions = new ArrayList<>();
    List<String[]> hashers = new ArrayList<>();
    for (String[] r : Vectors.csv("rfc6962.csv")) {
      switch (r[0]) {
        case "leaf" -> leafData.put(Integer.parseInt(r[1]), r[3]);
        case "root" -> roots.put(Integer.parseInt(r[1]), r[3]);
        case "inclusion" -> inclusions.add(r);
        case "hasher" -> hashers.add(r);
        default -> { }
      }
    }
    assertThat(inclusions).hasSize(5);
    ArrayNode cases = NODES.arrayNode();
    List<String> expected = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (String[] h : hashers) {
      if (h[1].equals("leaf")) {
        cases.addObject().put("op", "leaf").put("data", h[2]);
      } else {
        String[] lr = h[2].split(":");
        cases.addObject().put("op", "node").put("left", lr[0]).put("right", lr[1]);
      }
      expected.add("hash " + h[3]);
      labels.add("hasher " + h[1] + " " + h[2]);
    }
    for (String[] inc : inclusions) {
      int index = Integer.parseInt(inc[1]);
      int size = Integer.parseInt(inc[2]);
      String leaf = HEX.formatHex(Rfc6962.leafHash(HEX.parseHex(leafData.get(index))));
      List<String> proof = inc[3].isEmpty() ? List.of() : List.of(inc[3].split(" "));
      String root = roots.get(size);
      String id = "inclusion " + index + "/" + size;
      cases.add(rootCase(index, size, leaf, proof));
      expected.add("root " + root);
      labels.add(id);
      // The leaf, then each proof hash, with one byte flipped: never the same root.
      cases.add(rootCase(index, size, flipHex(leaf, 7), proof));
      expected.add("not " + root);
      labels.add(id + " flipped leaf");
      for (int i = 0; i < proof.size(); i++) {
        List<String> bad = new ArrayList<>(proof);
        bad.set(i, flipHex(bad.get(i), 31));
        cases.add(rootCase(index, size, leaf, bad));
        expected.add("not " + root);
        labels.add(id + " flipped proof hash " + i);
      }
      // A proof one hash short or long is refused outright.
      if (!proof.isEmpty()) {
        cases.add(rootCase(index, size, leaf, proof.subList(0, proof.size() - 1)));
        expected.add("error the inclusion proof is too short");
        labels.add(id + " short");
      }
      List<String> longer = new ArrayList<>(proof);
      longer.add(leaf);
      cases.add(rootCase(index, size, leaf, longer));
      expected.add("error the inclusion proof is too long");
      labels.add(id + " long");
    }
    JsonNode results = node(cases);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      JsonNode r = results.get(i);
      String want = expected.get(i);
      String got = r.has("hash") ? "hash " + r.get("hash").asText()
          : r.has("root") ? "root " + r.get("root").asText() : "error " + r.get("error").asText();
      boolean ok = want.startsWith("not ") ? !got.equals("root " + want.substring(4)) : got.equals(want);
      if (!ok) {
        failures.add(labels.get(i) + ": want " + want + ", got " + got);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void rootFromInclusionProof_refusesAnIndexOutsideTheTree() throws Exception {
    String leaf = "00".repeat(32);
    ArrayNode cases = NODES.arrayNode();
    cases.add(rootCase(8, 8, leaf, List.of()));
    cases.add(rootCase(0, 0, leaf, List.of()));
    cases.add(rootCase(0, 2, "00", List.of(leaf)));
    JsonNode r = node(cases);
    assertThat(r.get(0).get("error").asText()).isEqualTo("entry 8 is not in a tree of 8 entries");
    assertThat(r.get(1).get("error").asText()).isEqualTo("entry 0 is not in a tree of 0 entries");
    assertThat(r.get(2).get("error").asText()).isEqualTo("a hash in the proof is not 32 bytes");
  }

  /**
   * Sizes past 2^32 (a page's numbers reach 2^53): the proof walk in proof.js must not lose bits.
   * No tree that big can be built, so random hashes stand in for the proof, and Java's own
   * verifier (MerkleProofs) must accept the root proof.js computes from them.
   */
  @Test
  void rootFromInclusionProof_agreesWithJava_forSizesPast2To32() throws Exception {
    Random random = new Random(20261206);
    List<long[]> trees = new ArrayList<>();
    ArrayNode cases = NODES.arrayNode();
    List<List<byte[]>> proofs = new ArrayList<>();
    List<byte[]> leaves = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      long size = (1L << 32) + (random.nextLong() >>> 11); // up to about 2^53
      long index = i % 5 == 0 ? size - 1 : (random.nextLong() >>> 1) % size;
      int length = 64 - Long.numberOfLeadingZeros(index ^ (size - 1)); // RFC 9162 §2.1.3.2: inner + border
      length += Long.bitCount(index >>> length);
      byte[] leaf = new byte[32];
      random.nextBytes(leaf);
      List<byte[]> proof = new ArrayList<>();
      for (int h = 0; h < length; h++) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        proof.add(b);
      }
      trees.add(new long[] {index, size});
      leaves.add(leaf);
      proofs.add(proof);
      ObjectNode c = NODES.objectNode().put("op", "root").put("index", index).put("size", size).put("leaf", HEX.formatHex(leaf));
      proof.forEach(b -> c.withArray("proof").add(HEX.formatHex(b)));
      cases.add(c);
    }
    JsonNode results = node(cases);
    for (int i = 0; i < trees.size(); i++) {
      long[] t = trees.get(i);
      assertThat(results.get(i).has("root")).as("%d/%d: %s", t[0], t[1], results.get(i)).isTrue();
      dev.gatehouse.audit.MerkleProofs.verifyInclusion(t[0], t[1], leaves.get(i), proofs.get(i),
          HEX.parseHex(results.get(i).get("root").asText()));
    }
  }

  // ---- a real log ----------------------------------------------------------------------

  /** A home whose log holds init's entries and 40 more, the latest checkpoint covering all of them. */
  private Path homeWithSignedLog(MutableClock clock) {
    Path home = TestHome.create(temp);
    try (Gatehouse g = TestHome.open(home, clock)) {
      for (int i = 0; i < 40; i++) {
        g.audit().record(new AuditEvent("test.event", "cli:tester", "target-" + i, "ok", Map.of("n", "" + i)));
      }
    } // closing signs a checkpoint
    return home;
  }

  @Test
  void evidenceFromARealLog_verifiesInNode_forEverySeq() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-06T17:00:00Z"));
    Path home = homeWithSignedLog(clock);
    Path dir = home.resolve(Gatehouse.AUDIT_DIR);
    Checkpoint.Verifier key = dev.gatehouse.audit.AuditVerifier.verifierKey(dir);
    ArrayNode cases = NODES.arrayNode();
    long size = InclusionEvidence.of(dir, key, 0).treeSize();
    assertThat(size).isGreaterThan(40);
    for (long seq = 0; seq < size; seq++) {
      cases.add(verifyCase(InclusionEvidence.of(dir, key, seq).toJson()));
    }
    JsonNode results = node(cases);
    for (int i = 0; i < size; i++) {
      assertThat(results.get(i).get("ok").asBoolean()).as("seq %d: %s", i, results.get(i)).isTrue();
      assertThat(results.get(i).get("seq").asLong()).isEqualTo(i);
      assertThat(results.get(i).get("treeSize").asLong()).isEqualTo(size);
      assertThat(results.get(i).get("keyName").asText()).isEqualTo(key.name());
    }
  }

  @Test
  void tamperedEvidence_isRefused_sayingWhat() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-06T17:00:00Z"));
    Path home = homeWithSignedLog(clock);
    Path dir = home.resolve(Gatehouse.AUDIT_DIR);
    Checkpoint.Verifier key = dev.gatehouse.audit.AuditVerifier.verifierKey(dir);
    ObjectNode good = InclusionEvidence.of(dir, key, 21).toJson();
    ObjectNode other = InclusionEvidence.of(dir, key, 22).toJson();
    assertThat(good.get("inclusion_proof").size()).isGreaterThan(2);
    assertThat(good.get("entry").asText()).contains("\"target\":\"target-");
    String note = good.get("checkpoint").asText();

    Map<String, ObjectNode> tampered = new java.util.LinkedHashMap<>();
    Map<String, String> reasons = new HashMap<>();
    ObjectNode e = good.deepCopy();
    e.put("entry", good.get("entry").asText().replace("target-", "target_"));
    tampered.put("entry byte", e);
    reasons.put("entry byte", "the leaf hash is not the entry's");

    e = good.deepCopy();
    e.put("entry", good.get("entry").asText().replace("target-", "target_"));
    e.remove("leaf_hash");
    tampered.put("entry byte, no leaf hash", e);
    reasons.put("entry byte, no leaf hash", "the inclusion proof does not lead to the signed root");

    e = good.deepCopy();
    e.put("entry", other.get("entry").asText());
    e.put("leaf_hash", other.get("leaf_hash").asText());
    tampered.put("another entry", e);
    reasons.put("another entry", "the entry states seq 22, not 21");

    for (int i = 0; i < good.get("inclusion_proof").size(); i++) {
      e = good.deepCopy();
      ((ArrayNode) e.get("inclusion_proof")).set(i, flipHex(good.get("inclusion_proof").get(i).asText(), 0));
      tampered.put("proof hash " + i, e);
      reasons.put("proof hash " + i, "the inclusion proof does not lead to the signed root");
    }

    e = good.deepCopy();
    ((ArrayNode) e.get("inclusion_proof")).remove(0);
    tampered.put("proof hash missing", e);
    reasons.put("proof hash missing", "the inclusion proof is too short");

    String[] lines = note.split("\n", -1);
    String flippedRoot = flipBase64(lines[2]);
    e = good.deepCopy();
    e.put("checkpoint", note.replace("\n" + lines[2] + "\n", "\n" + flippedRoot + "\n"));
    tampered.put("root in the note", e);
    reasons.put("root in the note", "the checkpoint's signature is not valid for the verifier key");

    e = good.deepCopy();
    e.put("checkpoint", note.replace("\n" + lines[2] + "\n", "\n" + flippedRoot + "\n"));
    e.put("root", flippedRoot);
    tampered.put("root in the note and the evidence", e);
    reasons.put("root in the note and the evidence", "the checkpoint's signature is not valid for the verifier key");

    e = good.deepCopy();
    e.put("root", flippedRoot);
    tampered.put("root in the evidence", e);
    reasons.put("root in the evidence", "the evidence's root is not the signed one");

    String sigLine = lines[lines.length - 2];
    String sig = sigLine.substring(sigLine.lastIndexOf(' ') + 1);
    e = good.deepCopy();
    e.put("checkpoint", note.replace(sig, flipBase64At(sig, 20)));
    tampered.put("signature byte", e);
    reasons.put("signature byte", "the checkpoint's signature is not valid for the verifier key");

    e = good.deepCopy();
    e.put("checkpoint", note.replace(sig, flipBase64At(sig, 2)));
    tampered.put("key id in the signature", e);
    reasons.put("key id in the signature", "the checkpoint has no signature by " + key.name());

    long size = good.get("tree_size").asLong();
    e = good.deepCopy();
    e.put("tree_size", size + 1);
    tampered.put("tree size in the evidence", e);
    reasons.put("tree size in the evidence", "the evidence's tree size (" + (size + 1) + ") is not the signed one ("
        + size + ")");

    e = good.deepCopy();
    e.put("checkpoint", note.replace("\n" + size + "\n", "\n" + (size + 1) + "\n"));
    e.put("tree_size", size + 1);
    tampered.put("tree size in the note", e);
    reasons.put("tree size in the note", "the checkpoint's signature is not valid for the verifier key");

    KeyPair attacker = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier sameName = Checkpoint.Verifier.of(key.name(), Checkpoint.rawPublicKey(attacker.getPublic()));
    e = good.deepCopy();
    e.put("verifier_key", sameName.text());
    tampered.put("another key, same name", e);
    reasons.put("another key, same name", "the checkpoint has no signature by " + key.name());

    e = good.deepCopy();
    String keyText = key.text();
    e.put("verifier_key", keyText.substring(0, keyText.length() - 6) + "AAAAAA");
    tampered.put("key bytes changed", e);
    reasons.put("key bytes changed", "the verifier key's id does not match its name and key");

    ArrayNode cases = NODES.arrayNode();
    cases.add(verifyCase(good));
    tampered.values().forEach(t -> cases.add(verifyCase(t)));
    // An attacker who re-signs the note with their own key and ships that key: the evidence is
    // self-consistent, so only the key the owner keeps tells it apart.
    Checkpoint body = Checkpoint.verify(note, key);
    String forged = body.sign(sameName, attacker.getPrivate());
    ObjectNode resigned = good.deepCopy().put("checkpoint", forged).put("verifier_key", sameName.text());
    cases.add(verifyCase(resigned));
    cases.add(verifyCase(resigned).set("options", NODES.objectNode().put("verifierKey", key.text())));
    cases.add(verifyCase(good).set("options", NODES.objectNode().put("verifierKey", key.text() + "\n")));
    // A note by the right key for another log (another origin) proves nothing about this one.
    String elsewhere = new Checkpoint("another.log/origin", body.size(), body.root()).sign(sameName, attacker.getPrivate());
    cases.add(verifyCase(resigned.deepCopy().put("checkpoint", elsewhere)));

    JsonNode results = node(cases);
    assertThat(results.get(0).get("ok").asBoolean()).as(results.get(0).toString()).isTrue();
    int i = 1;
    for (var t : tampered.entrySet()) {
      JsonNode r = results.get(i++);
      assertThat(r.get("ok").asBoolean()).as(t.getKey()).isFalse();
      assertThat(r.get("reason").asText()).as(t.getKey()).startsWith(reasons.get(t.getKey()));
    }
    assertThat(results.get(i).get("ok").asBoolean()).as("self-consistent forgery, no pinned key").isTrue();
    assertThat(results.get(i + 1).get("ok").asBoolean()).isFalse();
    assertThat(results.get(i + 1).get("reason").asText())
        .isEqualTo("the checkpoint is signed by another key than the one expected");
    assertThat(results.get(i + 2).get("ok").asBoolean()).as("the owner's key, as kept in signing-key.pub").isTrue();
    assertThat(results.get(i + 3).path("reason").asText()).as(results.get(i + 3).toString())
        .isEqualTo("the checkpoint's origin is not the key's name");
  }

  @Test
  void anEntryNewerThanTheCheckpoint_saysSo_untilTheDaemonSignsOne() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-06T17:00:00Z"));
    Path home = homeWithSignedLog(clock);
    Path dir = home.resolve(Gatehouse.AUDIT_DIR);
    try (Gatehouse g = TestHome.open(home, clock)) {
      long seq = g.audit().record(new AuditEvent("test.event", "cli:tester", "late", "ok", Map.of()));
      InclusionEvidence unsigned = InclusionEvidence.of(dir, dev.gatehouse.audit.AuditVerifier.verifierKey(dir), seq);
      assertThat(unsigned.newerThanCheckpoint()).isTrue();
      InclusionEvidence signed = g.auditLog().evidence(seq);
      assertThat(signed.newerThanCheckpoint()).isFalse();
      ArrayNode cases = NODES.arrayNode();
      cases.add(verifyCase(unsigned.toJson()));
      cases.add(verifyCase(signed.toJson()));
      JsonNode r = node(cases);
      assertThat(r.get(0).get("ok").asBoolean()).isFalse();
      assertThat(r.get(0).get("newerThanCheckpoint").asBoolean()).isTrue();
      assertThat(r.get(0).get("reason").asText())
          .isEqualTo("entry " + seq + " is newer than the latest signed checkpoint, so nothing signed covers it yet");
      assertThat(r.get(1).get("ok").asBoolean()).as(r.get(1).toString()).isTrue();
      assertThat(r.get(1).get("treeSize").asLong()).isEqualTo(seq + 1);
    }
  }

  // ---- random trees --------------------------------------------------------------------

  /** One tree of {@code size} synthetic entries, the evidence for {@code index}, and a byte of it to flip. */
  record TreeCase(int size, int index, long seed) {}

  @Provide
  Arbitrary<TreeCase> treeCases() {
    Arbitrary<Integer> sizes = Arbitraries.oneOf(Arbitraries.integers().between(1, 70),
        Arbitraries.integers().between(1, 3000));
    return sizes.flatMap(size -> Combinators.combine(Arbitraries.integers().between(0, size - 1),
        Arbitraries.longs()).as((index, seed) -> new TreeCase(size, index, seed)));
  }

  /** 40 trees per node process: evidence signed over Java's tree verifies in proof.js; a flipped proof byte never does. */
  @Property(tries = 6)
  void randomTrees_evidenceVerifies_andAFlippedProofByteDoesNot(@ForAll @Size(40) List<@From("treeCases") TreeCase> trees)
      throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier key = Checkpoint.Verifier.of("gatehouse.audit/proptest", Checkpoint.rawPublicKey(keys.getPublic()));
    ArrayNode cases = NODES.arrayNode();
    for (TreeCase t : trees) {
      MerkleTree tree = new MerkleTree();
      String entry = null;
      for (int i = 0; i < t.size(); i++) {
        String line = "{\"seq\":" + i + ",\"n\":\"" + Long.toHexString(t.seed() + i) + "\"}";
        tree.append(Rfc6962.leafHash(line.getBytes(StandardCharsets.US_ASCII)));
        if (i == t.index()) {
          entry = line;
        }
      }
      byte[] root = tree.root();
      String note = new Checkpoint(key.name(), t.size(), root).sign(key, keys.getPrivate());
      InclusionEvidence ev = new InclusionEvidence(t.index(), entry, tree.leafHash(t.index()), t.size(), root,
          tree.inclusionProof(t.index(), t.size()), note, key.text());
      cases.add(verifyCase(ev.toJson()));
      ObjectNode bad = ev.toJson();
      if (ev.proof().isEmpty()) {
        bad.put("entry", entry.replace("\"n\":\"", "\"n\":\"x"));
        bad.remove("leaf_hash");
      } else {
        Random r = new Random(t.seed());
        int h = r.nextInt(ev.proof().size());
        ((ArrayNode) bad.get("inclusion_proof")).set(h, flipHex(bad.get("inclusion_proof").get(h).asText(), r.nextInt(32)));
      }
      cases.add(verifyCase(bad));
    }
    JsonNode results = node(cases);
    for (int i = 0; i < trees.size(); i++) {
      assertThat(results.get(2 * i).get("ok").asBoolean()).as("%s: %s", trees.get(i), results.get(2 * i)).isTrue();
      assertThat(results.get(2 * i + 1).get("ok").asBoolean()).as("%s tampered", trees.get(i)).isFalse();
      assertThat(results.get(2 * i + 1).get("reason").asText())
          .isEqualTo("the inclusion proof does not lead to the signed root: the entry or the proof was changed");
    }
  }

  // ---- helpers -------------------------------------------------------------------------

  private static ObjectNode rootCase(int index, int size, String leaf, List<String> proof) {
    ObjectNode c = NODES.objectNode().put("op", "root").put("index", index).put("size", size).put("leaf", leaf);
    proof.forEach(c.putArray("proof")::add);
    return c;
  }

  private static ObjectNode verifyCase(ObjectNode evidence) {
    ObjectNode c = NODES.objectNode().put("op", "verify");
    c.set("evidence", evidence);
    return c;
  }

  private static String flipHex(String hex, int byteIndex) {
    byte[] b = HEX.parseHex(hex);
    b[byteIndex] ^= 0x01;
    return HEX.formatHex(b);
  }

  private static String flipBase64(String b64) {
    return flipBase64At(b64, 0);
  }

  private static String flipBase64At(String b64, int byteIndex) {
    byte[] b = Base64.getDecoder().decode(b64);
    b[byteIndex] ^= 0x01;
    return Base64.getEncoder().encodeToString(b);
  }

  /** Runs proof-check.mjs on {@code cases} with the proof.js on the classpath; its results, one per case. */
  private static JsonNode node(ArrayNode cases) throws Exception {
    DebianPackages.require("node", "nodejs"); // Node.js 20 or newer: WebCrypto with Ed25519
    Path proofJs = Path.of(ProofJsTest.class.getResource("/dev/gatehouse/dashboard/proof.js").toURI());
    Path script = Path.of("src", "test", "js", "proof-check.mjs").toAbsolutePath();
    Path input = Files.createTempFile("proof-cases", ".json");
    try {
      JSON.writeValue(input.toFile(), cases);
      Process p = new ProcessBuilder("node", script.toString(), proofJs.toString())
          .redirectInput(input.toFile()).start();
      Processes.Output out = Processes.finish(p, Duration.ofMinutes(2), "node proof-check.mjs");
      assertThat(out.exit()).as(out.err()).isZero();
      JsonNode results = JSON.readTree(out.out());
      assertThat(results.size()).isEqualTo(cases.size());
      return results;
    } finally {
      Files.deleteIfExists(input);
    }
  }
}
