package dev.gatehouse.audit;

import dev.gatehouse.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A signed tree head in the C2SP formats (c2sp.org/tlog-checkpoint inside a
 * c2sp.org/signed-note): origin line, tree size, base64 RFC 6962 root, a blank line, and
 * signature lines {@code — <name> <base64(key id || Ed25519 signature)>}. The signature
 * covers the text up to and including its last newline. Extension lines (c2sp.org's optional
 * lines after the root) carry what the log knows of the vault's generations
 * ({@link VaultWrites#extensions}); readers that do not know them ignore them.
 */
public record Checkpoint(String origin, long size, byte[] root, List<String> extensions) {
  private static final String DASH = "\u2014 ";
  private static final byte[] X509_ED25519_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  public Checkpoint {
    if (origin.isEmpty() || origin.contains(" ") || origin.contains("+") || origin.contains("\n")) {
      throw new IllegalArgumentException("bad origin");
    }
    if (size < 0 || root.length != 32) {
      throw new IllegalArgumentException("bad size or root");
    }
    root = root.clone();
    extensions = List.copyOf(extensions);
    for (String e : extensions) {
      if (e.isEmpty() || e.chars().anyMatch(c -> c < 0x20)) {
        throw new IllegalArgumentException("an extension line is non-empty and has no control characters");
      }
    }
  }

  public Checkpoint(String origin, long size, byte[] root) {
    this(origin, size, root, List.of());
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c && c.origin.equals(origin) && c.size == size && Arrays.equals(c.root, root)
        && c.extensions.equals(extensions);
  }

  @Override
  public int hashCode() {
    return origin.hashCode() * 31 + Long.hashCode(size);
  }

  @Override
  public String toString() {
    return "Checkpoint[" + origin + ", " + size + ", " + Base64.getEncoder().encodeToString(root)
        + (extensions.isEmpty() ? "" : ", " + extensions) + "]";
  }

  /** The checkpoint body, each line ending in a newline. */
  public String text() {
    StringBuilder text = new StringBuilder(origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(root) + "\n");
    extensions.forEach(e -> text.append(e).append('\n'));
    return text.toString();
  }

  /** The whole signed note. */
  public String sign(Verifier key, PrivateKey privateKey) {
    byte[] sig = ed25519(privateKey, text().getBytes(StandardCharsets.UTF_8));
    byte[] blob = new byte[4 + sig.length];
    System.arraycopy(key.keyId(), 0, blob, 0, 4);
    System.arraycopy(sig, 0, blob, 4, sig.length);
    return text() + "\n" + DASH + key.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n";
  }

  /**
   * An RFC 8032 Ed25519 signature by Bouncy Castle, which signs in about 65 µs here against
   * the JDK's 900 µs: the audit writer signs a checkpoint between two batches, so this is time
   * the next batch's callers wait. Ed25519 is deterministic, so the bytes are the JDK's own
   * (CheckpointTest checks both against RFC 8032's vectors); verification stays with the JDK.
   */
  static byte[] ed25519(PrivateKey privateKey, byte[] message) {
    if (!(privateKey instanceof EdECPrivateKey ed)) {
      throw new IllegalArgumentException("not an Ed25519 private key");
    }
    byte[] seed = ed.getBytes().orElseThrow(() -> new IllegalArgumentException("the Ed25519 key has no bytes"));
    try {
      Ed25519Signer signer = new Ed25519Signer();
      signer.init(true, new Ed25519PrivateKeyParameters(seed, 0));
      signer.update(message, 0, message.length);
      return signer.generateSignature();
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** A verifier key: name, key id and Ed25519 public key; as text, {@code name+hexid+base64(0x01||pub)}. */
  public record Verifier(String name, byte[] keyId, byte[] publicKey) {
    public Verifier {
      if (name.isEmpty() || name.contains(" ") || name.contains("+") || publicKey.length != 32) {
        throw new IllegalArgumentException("bad verifier key");
      }
    }

    public static Verifier of(String name, byte[] publicKey) {
      return new Verifier(name, keyIdOf(name, publicKey), publicKey);
    }

    public static Verifier parse(String vkey) {
      String[] parts = vkey.strip().split("\\+", 3); // base64 may itself hold '+'; the name may not
      if (parts.length != 3) {
        throw new IllegalArgumentException("a verifier key is name+keyid+key");
      }
      byte[] blob = Base64.getDecoder().decode(parts[2]);
      if (blob.length != 33 || blob[0] != 1) {
        throw new IllegalArgumentException("not an Ed25519 verifier key");
      }
      Verifier v = of(parts[0], Arrays.copyOfRange(blob, 1, 33));
      if (!HexFormat.of().formatHex(v.keyId()).equals(parts[1])) {
        throw new IllegalArgumentException("the key id does not match the key");
      }
      return v;
    }

    public String text() {
      byte[] blob = new byte[33];
      blob[0] = 1;
      System.arraycopy(publicKey, 0, blob, 1, 32);
      return name + "+" + HexFormat.of().formatHex(keyId) + "+" + Base64.getEncoder().encodeToString(blob);
    }

    PublicKey javaKey() throws GeneralSecurityException {
      byte[] x509 = Arrays.copyOf(X509_ED25519_PREFIX, 44);
      System.arraycopy(publicKey, 0, x509, 12, 32);
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
    }

    private static byte[] keyIdOf(String name, byte[] pub) {
      return Arrays.copyOf(Sha256.of(name.getBytes(StandardCharsets.UTF_8), new byte[] {0x0a, 0x01}, pub), 4);
    }
  }

  /** The raw 32-byte Ed25519 public key inside a JDK public key. */
  public static byte[] rawPublicKey(PublicKey key) {
    byte[] enc = key.getEncoded();
    return Arrays.copyOfRange(enc, enc.length - 32, enc.length);
  }

  /**
   * Parses and verifies a signed note against {@code verifier}: signatures by unknown keys
   * are ignored, a known key's bad signature rejects the note, and at least one good
   * signature by the known key is required.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  /**
   * The signed notes of a text holding one or several, one after another, as a file witness
   * appends them: a note ends with its last signature line, and the next line starts the
   * next note. Each is returned exactly as it stands, to be verified on its own.
   */
  public static List<String> splitNotes(String text) {
    List<String> notes = new java.util.ArrayList<>();
    int start = 0;
    boolean signed = false; // the current note has reached its signature lines
    for (int at = 0; at < text.length(); ) {
      int nl = text.indexOf('\n', at);
      int end = nl < 0 ? text.length() : nl + 1;
      boolean signature = text.startsWith(DASH, at);
      if (signed && !signature) {
        notes.add(text.substring(start, at));
        start = at;
        signed = false;
      }
      signed |= signature;
      at = end;
    }
    if (start < text.length()) {
      notes.add(text.substring(start));
    }
    return notes;
  }

  public static Checkpoint verify(String note, Verifier verifier) {
    int sep = note.lastIndexOf("\n\n");
    if (sep < 0 || !note.endsWith("\n")) {
      throw new IllegalArgumentException("not a signed note (no blank line before the signatures)");
    }
    if (sep + 2 == note.length()) {
      throw new IllegalArgumentException("not a signed note (no signature lines after the blank line)");
    }
    String text = note.substring(0, sep + 1);
    for (char c : note.toCharArray()) {
      if (c < 0x20 && c != '\n') {
        throw new IllegalArgumentException("control characters in the note");
      }
    }
    List<String> sigLines = List.of(note.substring(sep + 2, note.length() - 1).split("\n", -1));
    int good = 0;
    for (String line : sigLines) {
      if (!line.startsWith(DASH)) {
        throw new IllegalArgumentException("a signature line must start with an em dash and a space");
      }
      String[] parts = line.substring(DASH.length()).split(" ", -1);
      if (parts.length != 2 || parts[0].isEmpty() || parts[0].contains("+")) {
        throw new IllegalArgumentException("a signature line is '— name signature'");
      }
      byte[] blob;
      try {
        blob = Base64.getDecoder().decode(parts[1]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a signature is not base64");
      }
      if (blob.length < 5) {
        throw new IllegalArgumentException("a signature is too short");
      }
      if (!parts[0].equals(verifier.name()) || !Arrays.equals(Arrays.copyOf(blob, 4), verifier.keyId())) {
        continue; // unknown key: ignored
      }
      try {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(verifier.javaKey());
        s.update(text.getBytes(StandardCharsets.UTF_8));
        if (!s.verify(Arrays.copyOfRange(blob, 4, blob.length))) {
          throw new IllegalArgumentException("the checkpoint's signature is wrong");
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("the checkpoint's signature is wrong");
      }
      good++;
    }
    if (good == 0) {
      throw new IllegalArgumentException("no signature by " + verifier.name() + " on the checkpoint");
    }
    return parseBody(text);
  }

  static Checkpoint parseBody(String text) {
    String[] lines = text.split("\n", -1);
    if (lines.length < 4 || !lines[lines.length - 1].isEmpty()) {
      throw new IllegalArgumentException("a checkpoint has origin, size and root lines");
    }
    long size;
    try {
      size = lines[1].matches("0|[1-9][0-9]{0,18}") ? Long.parseLong(lines[1]) : -1;
    } catch (NumberFormatException e) { // 19 digits above Long.MAX_VALUE
      size = -1;
    }
    if (size < 0) {
      throw new IllegalArgumentException("the tree size is not a decimal number without leading zeros, "
          + "at most " + Long.MAX_VALUE);
    }
    byte[] root;
    try {
      root = Base64.getDecoder().decode(lines[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the root is not base64");
    }
    if (root.length != 32) {
      throw new IllegalArgumentException("the root is not 32 bytes");
    }
    List<String> extensions = List.of(lines).subList(3, lines.length - 1);
    if (extensions.contains("")) {
      throw new IllegalArgumentException("an extension line is empty");
    }
    return new Checkpoint(lines[0], size, root, extensions);
  }
}
