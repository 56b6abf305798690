package dev.gatehouse.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.Sha256;
import dev.gatehouse.vault.AesGcm;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;

/**
 * The backup archive, version 1 (docs/backup.md). Frozen: a change is a new version.
 *
 * <pre>
 * "GHBACKUP" | u16 version | u32 header length | header (JSON, UTF-8)
 * chunk*      each: u8 last (0 or 1) | u32 length | AES-256-GCM(archive key, plaintext, aad)
 *             aad = "gatehouse-backup/chunk/v1\0" | SHA-256(everything before the first chunk) | u64 index | u8 last
 * </pre>
 *
 * The header carries {@code vault.gh} as it is (public metadata and ciphertext only) and the
 * archive key wrapped by that vault's master key ({@link dev.gatehouse.vault.Vault#wrapKey}).
 * The chunks' plaintext, joined, is a sequence of records: {@code 'F' | u16 path length |
 * path (UTF-8) | u64 size | bytes} per file, then {@code 'E'}.
 *
 * <p>Guarantees: every byte of the archive is authenticated (the header as every chunk's
 * associated data; each chunk's place and whether it is the last in its own); a changed,
 * reordered, dropped or appended chunk, and a cut anywhere, fail the read with
 * {@link Damaged}.
 */
final class ArchiveFormat {
  static final byte[] MAGIC = "GHBACKUP".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int CHUNK_BYTES = 1 << 20;
  static final String KEY_PURPOSE = "backup-archive/v1";
  private static final int MAX_HEADER_BYTES = 64 << 20;
  private static final int GCM_OVERHEAD = 12 + 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ArchiveFormat() {}

  /** The archive is not one this version wrote, or it was changed or cut. */
  static final class Damaged extends IOException {
    Damaged(String why) {
      super(why);
    }
  }

  /** The clear part: when it was made, the vault file, the wrapped archive key. */
  record Header(String created, byte[] vault, byte[] wrappedKey, byte[] prefixHash) {}

  static void writeHeader(DataOutputStream out, String created, byte[] vault, byte[] wrappedKey, ByteArrayOutputStream copy)
      throws IOException {
    ObjectNode h = JSON.createObjectNode();
    h.put("created", created);
    h.put("vault", Base64.getEncoder().encodeToString(vault));
    h.put("key", Base64.getEncoder().encodeToString(wrappedKey));
    h.put("chunk_bytes", CHUNK_BYTES);
    byte[] json = JSON.writeValueAsBytes(h);
    DataOutputStream both = new DataOutputStream(copy);
    both.write(MAGIC);
    both.writeShort(VERSION);
    both.writeInt(json.length);
    both.write(json);
    both.flush();
    out.write(copy.toByteArray());
  }

  static Header readHeader(DataInputStream in) throws IOException {
    byte[] magic = new byte[MAGIC.length];
    readFully(in, magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new Damaged("not a Gatehouse backup archive");
    }
    int version = readShort(in);
    if (version != VERSION) {
      throw new Damaged("archive format version " + version + " is not one this Gatehouse reads (it reads "
          + VERSION + ")");
    }
    int length = readInt(in);
    if (length <= 0 || length > MAX_HEADER_BYTES) {
      throw new Damaged("the header length is impossible");
    }
    byte[] json = new byte[length];
    readFully(in, json);
    try {
      JsonNode h = JSON.readTree(json);
      if (h == null || !h.isObject() || h.path("chunk_bytes").intValue() != CHUNK_BYTES) {
        throw new Damaged("the header is not a version 1 header");
      }
      ByteBuffer prefix = ByteBuffer.allocate(MAGIC.length + 6 + length).put(MAGIC).putShort((short) version)
          .putInt(length).put(json);
      return new Header(text(h, "created"), Base64.getDecoder().decode(text(h, "vault")),
          Base64.getDecoder().decode(text(h, "key")), Sha256.of(prefix.array()));
    } catch (IllegalArgumentException | com.fasterxml.jackson.core.JacksonException e) {
      throw new Damaged("the header cannot be read");
    }
  }

  private static String text(JsonNode h, String field) throws Damaged {
    JsonNode v = h.get(field);
    if (v == null || !v.isTextual()) {
      throw new Damaged("the header has no " + field);
    }
    return v.textValue();
  }

  private static byte[] aad(byte[] prefixHash, long index, boolean last) {
    byte[] label = "gatehouse-backup/chunk/v1\0".getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(label.length + 32 + 9).put(label).put(prefixHash).putLong(index)
        .put((byte) (last ? 1 : 0)).array();
  }

  /** The plaintext stream, cut into chunks and sealed as it is written; {@link #close} writes the last chunk. */
  static final class SealingStream extends OutputStream {
    private final DataOutputStream out;
    private final byte[] key;
    private final byte[] prefixHash;
    private final SecureRandom random;
    private final byte[] buffer = new byte[CHUNK_BYTES];
    private int filled;
    private long index;
    private boolean closed;

    SealingStream(DataOutputStream out, byte[] key, byte[] prefixHash, SecureRandom random) {
      this.out = out;
      this.key = key;
      this.prefixHash = prefixHash;
      this.random = random;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (filled == buffer.length) {
          emit(false); // only now is it known that more follows
        }
        int n = Math.min(len, buffer.length - filled);
        System.arraycopy(b, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    }

    private void emit(boolean last) throws IOException {
      byte[] sealed = AesGcm.encrypt(key, Arrays.copyOf(buffer, filled), aad(prefixHash, index++, last), random);
      out.writeByte(last ? 1 : 0);
      out.writeInt(sealed.length);
      out.write(sealed);
      Arrays.fill(buffer, (byte) 0);
      filled = 0;
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        emit(true);
        out.flush();
      }
    }
  }

  /** The plaintext stream of an archive, each chunk opened and checked before any of its bytes is given out. */
  static final class OpeningStream extends InputStream {
    private final DataInputStream in;
    private final byte[] key;
    private final byte[] prefixHash;
    private byte[] plain = new byte[0];
    private int pos;
    private long index;
    private boolean last;

    OpeningStream(DataInputStream in, byte[] key, byte[] prefixHash) {
      this.in = in;
      this.key = key;
      this.prefixHash = prefixHash;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (pos == plain.length) {
        if (last) {
          return -1;
        }
        next();
      }
      int n = Math.min(len, plain.length - pos);
      System.arraycopy(plain, pos, b, off, n);
      pos += n;
      return n;
    }

    private void next() throws IOException {
      int flag = in.read();
      if (flag < 0) {
        throw new Damaged("the archive is cut short");
      }
      if (flag > 1) {
        throw new Damaged("chunk " + index + " is malformed");
      }
      int length = readInt(in);
      if (length < GCM_OVERHEAD || length > CHUNK_BYTES + GCM_OVERHEAD) {
        throw new Damaged("chunk " + index + " has an impossible length");
      }
      byte[] sealed = new byte[length];
      readFully(in, sealed);
      try {
        plain = AesGcm.decrypt(key, sealed, aad(prefixHash, index, flag == 1));
      } catch (AEADBadTagException e) {
        throw new Damaged("chunk " + index + " does not authenticate");
      }
      pos = 0;
      index++;
      last = flag == 1;
      if (last && in.read() >= 0) {
        throw new Damaged("bytes follow the last chunk");
      }
    }
  }

  private static void readFully(InputStream in, byte[] b) throws IOException {
    try {
      new DataInputStream(in).readFully(b);
    } catch (EOFException e) {
      throw new Damaged("the archive is cut short");
    }
  }

  private static int readInt(InputStream in) throws IOException {
    byte[] b = new byte[4];
    readFully(in, b);
    return ByteBuffer.wrap(b).getInt();
  }

  private static int readShort(InputStream in) throws IOException {
    byte[] b = new byte[2];
    readFully(in, b);
    return ByteBuffer.wrap(b).getShort() & 0xffff;
  }
}
