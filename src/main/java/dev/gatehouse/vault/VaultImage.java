package dev.gatehouse.vault;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The vault file's content as stored: everything in it is either public (names, times,
 * parameters) or ciphertext. Immutable; changes make a new image.
 *
 * @param generation how many writes made this file (0: a version 1 file); see {@link VaultFormat}
 */
record VaultImage(long generation, List<Slot> slots, int activeKeyId, Map<Integer, byte[]> wrappedKeys,
    SortedMap<String, StoredEntry> entries) {

  VaultImage {
    if (generation < 0) {
      throw new IllegalArgumentException("negative generation");
    }
    slots = List.copyOf(slots);
    wrappedKeys = Collections.unmodifiableMap(new LinkedHashMap<>(wrappedKeys));
    entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
  }

  /** A way to unwrap the master key. */
  sealed interface Slot permits PasswordSlot, MachineSlot {
    String type();

    KdfParams kdf();

    byte[] salt();

    byte[] wrapped();
  }

  record PasswordSlot(KdfParams kdf, byte[] salt, byte[] wrapped) implements Slot {
    @Override
    public String type() {
      return "password";
    }
  }

  /** @param fingerprintTag SHA-256 over a label, the salt and the machine fingerprint: says "another machine" clearly */
  record MachineSlot(KdfParams kdf, byte[] salt, byte[] fingerprintTag, boolean pin, byte[] wrapped) implements Slot {
    @Override
    public String type() {
      return "machine";
    }
  }

  /** @param ciphertext {@code 0x01 || key id (4 bytes) || nonce || ciphertext || tag} */
  record StoredEntry(String name, Instant created, Instant updated, byte[] ciphertext) {}

  VaultImage withEntries(SortedMap<String, StoredEntry> newEntries) {
    return new VaultImage(generation, slots, activeKeyId, wrappedKeys, newEntries);
  }

  VaultImage withSlots(List<Slot> newSlots) {
    return new VaultImage(generation, newSlots, activeKeyId, wrappedKeys, entries);
  }

  /** The same content as another generation, for writing. */
  VaultImage withGeneration(long newGeneration) {
    return new VaultImage(newGeneration, slots, activeKeyId, wrappedKeys, entries);
  }
}
