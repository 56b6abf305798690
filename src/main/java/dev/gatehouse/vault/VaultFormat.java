package dev.gatehouse.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.vault.VaultImage.MachineSlot;
import dev.gatehouse.vault.VaultImage.PasswordSlot;
import dev.gatehouse.vault.VaultImage.Slot;
import dev.gatehouse.vault.VaultImage.StoredEntry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The vault file layout, version 2; version 1 is still read. Frozen: a change is a new
 * version, read alongside these. Documented in docs/vault-format.md. Three lines of UTF-8:
 *
 * <pre>
 * gatehouse-vault 2 GENERATION
 * {"slots":[...],"keyring":{...},"entries":[...]}
 * mac BASE64(HMAC-SHA256(file-mac key, line 1 + "\n" + line 2))
 * </pre>
 *
 * GENERATION (decimal, from 1) grows by one with every write, under the MAC, so the file
 * itself says how new it is. A version 1 file ({@code gatehouse-vault 1}, the same body) is
 * generation 0; every write is version 2.
 *
 * <p>Parsing checks form only; the MAC (checked once the master key is known) proves the file
 * is the one Gatehouse wrote, to the bit.
 */
final class VaultFormat {
  static final String MAGIC_V1 = "gatehouse-vault 1";
  static final String MAGIC_V2 = "gatehouse-vault 2 ";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  /** The file could not be understood. Never shown as such: see {@link Vault}'s one message. */
  static final class Damaged extends Exception {
    Damaged(String why) {
      super(why, null, false, false);
    }
  }

  /** A parsed file: the image, the bytes the MAC covers, and the MAC. */
  record Parsed(VaultImage image, byte[] macInput, byte[] mac) {}

  private VaultFormat() {}

  static byte[] macInput(VaultImage image) {
    if (image.generation() < 1) {
      throw new IllegalArgumentException("a version 2 vault's generation starts at 1");
    }
    return (MAGIC_V2 + image.generation() + "\n" + body(image)).getBytes(StandardCharsets.UTF_8);
  }

  static byte[] write(byte[] macInput, byte[] mac) {
    byte[] tail = ("\nmac " + B64.encodeToString(mac) + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(macInput, macInput.length + tail.length);
    System.arraycopy(tail, 0, out, macInput.length, tail.length);
    return out;
  }

  private static String body(VaultImage image) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode slots = root.putArray("slots");
    for (Slot s : image.slots()) {
      ObjectNode n = slots.addObject().put("type", s.type());
      n.putObject("kdf").put("alg", "argon2id").put("v", 19).put("m", s.kdf().memoryKiB())
          .put("t", s.kdf().iterations()).put("p", s.kdf().parallelism());
      n.put("salt", B64.encodeToString(s.salt()));
      if (s instanceof MachineSlot m) {
        n.put("fingerprint", B64.encodeToString(m.fingerprintTag())).put("pin", m.pin());
      }
      n.put("wrapped", B64.encodeToString(s.wrapped()));
    }
    ObjectNode ring = root.putObject("keyring");
    ring.put("active", image.activeKeyId());
    ArrayNode keys = ring.putArray("keys");
    image.wrappedKeys().forEach((id, w) -> keys.addObject().put("id", id).put("wrapped", B64.encodeToString(w)));
    ArrayNode entries = root.putArray("entries");
    for (StoredEntry e : image.entries().values()) {
      entries.addObject().put("name", e.name()).put("created", e.created().toString())
          .put("updated", e.updated().toString()).put("ct", B64.encodeToString(e.ciphertext()));
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static Parsed read(byte[] file) throws Damaged {
    int nl1 = indexOf(file, 0);
    int nl2 = nl1 < 0 ? -1 : indexOf(file, nl1 + 1);
    int nl3 = nl2 < 0 ? -1 : indexOf(file, nl2 + 1);
    if (nl1 < 0 || nl3 != file.length - 1) { // nl1 < 0 with nl3 == length - 1: an empty file
      throw new Damaged("not three lines");
    }
    long generation = generation(new String(file, 0, nl1, StandardCharsets.UTF_8));
    String macLine = new String(file, nl2 + 1, nl3 - nl2 - 1, StandardCharsets.US_ASCII);
    if (!macLine.startsWith("mac ")) {
      throw new Damaged("no mac line");
    }
    byte[] mac = b64(macLine.substring(4));
    JsonNode root;
    try {
      root = JSON.readTree(Arrays.copyOfRange(file, nl1 + 1, nl2));
    } catch (java.io.IOException e) {
      throw new Damaged("body is not JSON");
    }
    try {
      return new Parsed(image(root, generation), Arrays.copyOf(file, nl2), mac);
    } catch (IllegalArgumentException | NullPointerException | java.time.DateTimeException e) {
      throw new Damaged("a field is missing or impossible");
    }
  }

  /** The generation line 1 states: 0 for version 1, else a canonical decimal from 1. */
  private static long generation(String magic) throws Damaged {
    if (magic.equals(MAGIC_V1)) {
      return 0;
    }
    if (!magic.startsWith(MAGIC_V2)) {
      throw new Damaged("not a version 1 or 2 vault");
    }
    String n = magic.substring(MAGIC_V2.length());
    if (!n.matches("[1-9][0-9]{0,17}")) {
      throw new Damaged("the generation is not a canonical decimal");
    }
    return Long.parseLong(n);
  }

  private static VaultImage image(JsonNode root, long generation) throws Damaged {
    List<Slot> slots = new ArrayList<>();
    for (JsonNode s : array(root, "slots")) {
      JsonNode kdf = obj(s, "kdf");
      if (!"argon2id".equals(kdf.path("alg").textValue()) || kdf.path("v").intValue() != 19) {
        throw new Damaged("unknown key derivation");
      }
      KdfParams params = new KdfParams(integer(kdf, "m"), integer(kdf, "t"), integer(kdf, "p"));
      byte[] salt = b64(text(s, "salt"));
      byte[] wrapped = b64(text(s, "wrapped"));
      switch (text(s, "type")) {
        case "password" -> slots.add(new PasswordSlot(params, salt, wrapped));
        case "machine" -> {
          JsonNode pin = s.get("pin");
          if (pin == null || !pin.isBoolean()) {
            throw new Damaged("machine slot without pin flag");
          }
          slots.add(new MachineSlot(params, salt, b64(text(s, "fingerprint")), pin.booleanValue(), wrapped));
        }
        default -> throw new Damaged("unknown slot type");
      }
    }
    if (slots.isEmpty()) {
      throw new Damaged("no slots");
    }
    JsonNode ring = obj(root, "keyring");
    Map<Integer, byte[]> keys = new LinkedHashMap<>();
    for (JsonNode k : array(ring, "keys")) {
      if (keys.put(integer(k, "id"), b64(text(k, "wrapped"))) != null) {
        throw new Damaged("duplicate key id");
      }
    }
    int active = integer(ring, "active");
    if (!keys.containsKey(active)) {
      throw new Damaged("active key missing");
    }
    TreeMap<String, StoredEntry> entries = new TreeMap<>();
    for (JsonNode e : array(root, "entries")) {
      String name = text(e, "name");
      StoredEntry entry = new StoredEntry(name, Instant.parse(text(e, "created")), Instant.parse(text(e, "updated")),
          b64(text(e, "ct")));
      if (entries.put(name, entry) != null) {
        throw new Damaged("duplicate entry");
      }
    }
    return new VaultImage(generation, slots, active, keys, entries);
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static JsonNode obj(JsonNode n, String field) throws Damaged {
    JsonNode v = n.get(field);
    if (v == null || !v.isObject()) {
      throw new Damaged("missing " + field);
    }
    return v;
  }

  private static JsonNode array(JsonNode n, String field) throws Damaged {
    JsonNode v = n.get(field);
    if (v == null || !v.isArray()) {
      throw new Damaged("missing " + field);
    }
    return v;
  }

  private static String text(JsonNode n, String field) throws Damaged {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new Damaged("missing " + field);
    }
    return v.textValue();
  }

  private static int integer(JsonNode n, String field) throws Damaged {
    JsonNode v = n.get(field);
    if (v == null || !v.isInt()) {
      throw new Damaged("missing " + field);
    }
    return v.intValue();
  }

  /**
   * Strict base64: the JDK's decoder ignores the unused low bits of the last character, so a
   * changed bit there would decode to the same bytes. Only the canonical encoding is accepted.
   */
  private static byte[] b64(String s) throws Damaged {
    byte[] out;
    try {
      out = B64D.decode(s);
    } catch (IllegalArgumentException e) {
      throw new Damaged("bad base64");
    }
    if (!B64.encodeToString(out).equals(s)) {
      throw new Damaged("non-canonical base64");
    }
    return out;
  }
}
