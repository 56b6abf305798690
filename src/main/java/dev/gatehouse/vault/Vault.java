package dev.gatehouse.vault;

import dev.gatehouse.Sha256;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.HomeLock;
import dev.gatehouse.vault.VaultImage.MachineSlot;
import dev.gatehouse.vault.VaultImage.PasswordSlot;
import dev.gatehouse.vault.VaultImage.Slot;
import dev.gatehouse.vault.VaultImage.StoredEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The barrier: the only code that encrypts or decrypts stored secrets. Everything it writes
 * to {@code vault.gh} (or to the shared database's vault table: {@link VaultStorage}) is
 * public metadata or ciphertext, and the whole image is authenticated.
 *
 * <p>Keys: a master key (random, 256 bits) is wrapped by one key-encryption key per slot
 * (Argon2id of the master password; or of this machine's identity and an optional PIN, in
 * sealed mode). The master key wraps the data keys of a keyring, and derives the file MAC
 * key. The active data key encrypts each entry with AES-256-GCM; the entry's name, format
 * version and key id are its associated data, so an entry moved or renamed fails to decrypt.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>While sealed (the state after {@link #seal()} or before {@link #unseal}), every
 *       operation that needs a secret fails with "the vault is sealed"; sealing zeroes the
 *       master key.
 *   <li>A wrong password and any change to the file give the same error,
 *       {@value #WRONG_OR_DAMAGED}, with no hint of which.
 *   <li>Every change is one atomic, durable write, under a file lock shared by all
 *       processes: a crash leaves the old vault or the new one.
 *   <li>Every write makes a new generation, stated in the file's authenticated header. Once
 *       a {@link VaultLedger} is attached, each new generation is recorded there before its
 *       file can be seen, and every file read (opening, and each re-read of a file that
 *       changed) is checked against it: an older copy put in place of {@code vault.gh} is
 *       refused. Without a ledger, a re-read file older than one this object already read is
 *       refused.
 *   <li>No method returns a value except {@link #reveal} (and {@link View#reveal}), which
 *       demands a {@link SecretAccess}, and the {@link ValueWatcher} registered with one.
 *   <li>Once a {@link ValueWatcher} is registered, it has been told every value of an image
 *       before any lookup answers from that image, whoever wrote it (this process, another
 *       process of the home, or another replica sharing the database's vault).
 * </ul>
 */
public final class Vault {
  public static final String WRONG_OR_DAMAGED = "wrong password or damaged vault file";
  /** Names users may give: lower-case, digits, '.', '_', '-'; up to 64 characters. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  /** The names under this prefix are Gatehouse's own entries: no user adds, replaces or names one. */
  public static final String OWN_PREFIX = "gatehouse.";
  private static final byte ENTRY_VERSION = 1;
  private static final int SALT_BYTES = 32;

  private final VaultStorage storage;
  private final SecureRandom random;
  private final Clock clock;
  private byte[] masterKey; // null while sealed
  private VaultImage cached; // the last verified image, and the file it came from
  private Object cachedStamp;
  private long generation;
  private VaultLedger ledger; // null until attached
  private VaultVersion version; // of the last file verified
  private ValueWatcher watcher; // null until watchValues
  private Map<String, byte[]> told = Map.of(); // entry name -> the ciphertext whose value the watcher was told

  /** The vault in the file {@code file} ({@code vault.gh}). */
  public Vault(Path file, SecureRandom random, Clock clock) {
    this(new FileVaultStorage(file), random, clock);
  }

  public Vault(VaultStorage storage, SecureRandom random, Clock clock) {
    this.storage = storage;
    this.random = random;
    this.clock = clock;
  }

  /**
   * Told the values of the images this vault reads and writes: what the audit log's redaction
   * learns secrets from ({@link #watchValues}).
   */
  @FunctionalInterface
  public interface ValueWatcher {
    /** Entry {@code name} holds {@code value} (zeroed once this returns); a throw fails the lookup that read it. */
    void learned(String name, byte[] value);
  }

  /**
   * From now on, tells {@code watcher} each value of every image this vault verifies (a lookup
   * that finds the image changed, here or elsewhere) or writes, before a lookup answers from
   * that image, and before a written image can be seen. Each value is told once per ciphertext:
   * an entry left unchanged by a newer image is not told again. Tells it the current image's
   * values before returning. Replaces any earlier watcher.
   */
  public synchronized void watchValues(ValueWatcher watcher, SecretAccess access) throws IOException {
    if (access == null || watcher == null) {
      throw new IllegalArgumentException("watching the values needs a watcher and SecretAccess");
    }
    this.watcher = watcher;
    told = Map.of();
    cached = null; // so the next read verifies the image again, and tells it
    cachedStamp = null;
    readVerified();
  }

  /** An entry as {@code vault list} shows it: never the value. */
  public record EntryInfo(String name, Instant created, Instant updated, int ciphertextBytes) {}

  /** What can be said without unsealing (and so without verifying the file, its generation included). */
  public record Status(boolean exists, boolean sealed, List<String> slots, Map<String, KdfParams> kdf,
      boolean machinePin, int entries, int activeKeyId, long generation) {}

  public boolean exists() throws IOException {
    return storage.exists();
  }

  /** The vault's file; null when it is not a file (a shared database's vault). */
  public Path file() {
    return storage instanceof FileVaultStorage f ? f.file() : null;
  }

  /** Where the image is kept. */
  public VaultStorage storage() {
    return storage;
  }

  public synchronized boolean sealed() {
    return masterKey == null;
  }

  /** Zeroes the master key; the vault is sealed until the next {@link #unseal}. */
  public synchronized void seal() {
    cached = null;
    cachedStamp = null;
    generation++;
    if (masterKey != null) {
      Arrays.fill(masterKey, (byte) 0);
      masterKey = null;
    }
  }

  /** Creates a new vault opened by {@code first}, and leaves it unsealed. Refuses an existing file. */
  public synchronized void create(Credential first, KdfParams kdf) throws IOException {
    try (VaultStorage.Locked held = storage.lock()) {
      if (held.exists()) {
        throw new BadInputException("a vault already exists at " + (file() == null ? storage.name() : file()));
      }
      byte[] mk = randomKey();
      byte[] dataKey = randomKey();
      try {
        Slot slot = wrapSlot(first, kdf, mk);
        VaultImage image = new VaultImage(1, List.of(slot), 1,
            Map.of(1, AesGcm.encrypt(mk, dataKey, dataKeyAad(1), random)), new TreeMap<>());
        write(held, mk, image, null);
        seal();
        masterKey = mk.clone();
      } finally {
        Argon2id.zero(mk, dataKey);
      }
    }
  }

  /**
   * Makes this vault, which must not exist yet, a copy of {@code source} (unsealed) as it is
   * now: the same bytes, verified with {@code source}'s master key first, so the same master
   * key, slots, entries and generation (a version 1 file becomes generation 1, MAC'd anew), read
   * back under the lock and compared byte for byte. Does nothing and returns false if this vault
   * exists by then (another replica made it). This vault stays sealed.
   */
  public boolean createFrom(Vault source) throws IOException {
    byte[] bytes;
    long gen;
    synchronized (source) {
      byte[] mk = source.requireUnsealed();
      try (VaultStorage.Locked held = source.storage.lock()) {
        bytes = held.read();
        VaultImage image = verify(mk, bytes);
        if (image.generation() == 0) {
          image = image.withGeneration(1);
          byte[] macInput = VaultFormat.macInput(image);
          bytes = VaultFormat.write(macInput, fileMac(mk, macInput));
        }
        gen = image.generation();
      }
    }
    synchronized (this) {
      try (VaultStorage.Locked held = storage.lock()) {
        if (held.exists()) {
          return false;
        }
        held.write(-1, gen, bytes);
        if (!Arrays.equals(held.read(), bytes)) {
          throw new IOException(storage.name() + " does not read back, byte for byte, the image just written to it");
        }
        return true;
      }
    }
  }

  /** Opens the vault with {@code credential}; the file is verified to the bit. */
  public synchronized void unseal(Credential credential) throws IOException {
    VaultImage image = readUnverified();
    Slot slot = slotFor(image, credential);
    byte[] kek = deriveKek(credential, slot);
    byte[] mk;
    try {
      mk = AesGcm.decrypt(kek, slot.wrapped(), slotAad(slot.type()));
    } catch (AEADBadTagException e) {
      throw wrongOrDamaged();
    } finally {
      Argon2id.zero(kek);
    }
    if (!open(mk)) {
      throw wrongOrDamaged();
    }
  }

  /**
   * Unseals with the master key of {@code other}, an unsealed vault this one shares it with: a
   * replica's {@code vault.gh} and the shared vault copied from it keep one master key, whatever
   * credential opens each (docs/storage.md). False, and still sealed, when this vault's image
   * does not verify under that key (it was made apart from {@code other}): a credential must
   * open it then. Refused as {@link #unseal} refuses an image it cannot use.
   */
  public boolean unsealWith(Vault other) throws IOException {
    byte[] mk;
    synchronized (other) {
      mk = other.requireUnsealed().clone();
    }
    synchronized (this) {
      return open(mk);
    }
  }

  /**
   * Opens with master key {@code mk}, which is kept, or zeroed if not: false if the image in
   * place does not verify under it. Every data key must unwrap, and an attached ledger must
   * admit the image.
   */
  private boolean open(byte[] mk) throws IOException {
    VaultVersion opened;
    try (VaultStorage.Locked held = storage.lock()) {
      byte[] bytes = held.read(); // the master key never changes: the file may have, since a slot was read
      VaultImage verified;
      try {
        verified = verify(mk, bytes);
      } catch (RefusedException wrongKey) {
        Argon2id.zero(mk);
        return false;
      }
      for (int id : verified.wrappedKeys().keySet()) {
        Argon2id.zero(dataKey(mk, verified, id)); // every data key must unwrap
      }
      opened = VaultVersion.of(verified.generation(), Sha256.of(bytes));
      if (ledger != null) {
        ledger.admit(opened, true);
      }
    } catch (RuntimeException | IOException e) {
      Argon2id.zero(mk);
      throw e;
    }
    seal();
    masterKey = mk;
    version = opened;
    return true;
  }

  /**
   * From now on, records every new generation in {@code ledger} before its file can be seen,
   * and checks every file read against it. First checks the file in place (recording what
   * the check learned): refused, the vault is sealed and the exception thrown.
   */
  public synchronized void attach(VaultLedger ledger) throws IOException {
    attach(ledger, null, null);
  }

  /**
   * The owner's way past a refused opening: records in {@code ledger} that the file in place,
   * which must still be {@code shown}, is the current generation, then attaches as
   * {@link #attach(VaultLedger)} does.
   */
  public synchronized void attachAccepting(VaultLedger ledger, VaultVersion shown, String owner) throws IOException {
    attach(ledger, shown, owner);
  }

  /** The file in place, verified but checked against nothing: what an owner is shown before accepting it. */
  public synchronized VaultVersion unchecked() throws IOException {
    byte[] mk = requireUnsealed();
    try (VaultStorage.Locked held = storage.lock()) {
      byte[] bytes = held.read();
      return VaultVersion.of(verify(mk, bytes).generation(), Sha256.of(bytes));
    }
  }

  private void attach(VaultLedger ledger, VaultVersion accept, String owner) throws IOException {
    byte[] mk = requireUnsealed();
    try (VaultStorage.Locked held = storage.lock()) {
      byte[] bytes = held.read();
      VaultVersion present = VaultVersion.of(verify(mk, bytes).generation(), Sha256.of(bytes));
      if (accept != null) {
        if (!present.equals(accept)) {
          throw new RefusedException(storage.name() + " changed since it was shown (now " + present.describe()
              + "); nothing was accepted");
        }
        ledger.accept(present, owner);
      }
      ledger.admit(present, true);
      this.ledger = ledger;
      version = present;
      cached = null;
      cachedStamp = null;
    } catch (RuntimeException e) {
      seal();
      throw e;
    }
  }

  /** Which file the vault holds now (verified; checked against the ledger if one is attached). */
  public synchronized VaultVersion version() throws IOException {
    readVerified();
    return version;
  }

  public Status status() throws IOException {
    if (!storage.exists()) {
      return new Status(false, true, List.of(), Map.of(), false, 0, 0, 0);
    }
    VaultImage image = readUnverified();
    Map<String, KdfParams> kdf = new HashMap<>();
    image.slots().forEach(s -> kdf.put(s.type(), s.kdf()));
    boolean pin = image.slots().stream().anyMatch(s -> s instanceof MachineSlot m && m.pin());
    return new Status(true, sealed(), image.slots().stream().map(Slot::type).toList(), kdf, pin,
        image.entries().size(), image.activeKeyId(), image.generation());
  }

  /** Whether this vault has a machine slot for the machine {@code seal} describes (no key derivation). */
  public boolean sealedToThisMachine(Credential.MachineSeal seal) throws IOException {
    for (Slot s : readUnverified().slots()) {
      if (s instanceof MachineSlot m && MessageDigest.isEqual(m.fingerprintTag(), fingerprintTag(m.salt(), seal))) {
        return true;
      }
    }
    return false;
  }

  /** Whether the machine slot needs a PIN. */
  public boolean machineSlotNeedsPin() throws IOException {
    return readUnverified().slots().stream().anyMatch(s -> s instanceof MachineSlot m && m.pin());
  }

  public List<EntryInfo> list() throws IOException {
    VaultImage image = readVerified();
    return image.entries().values().stream()
        .map(e -> new EntryInfo(e.name(), e.created(), e.updated(), e.ciphertext().length)).toList();
  }

  /**
   * The entries as the file's header states them, without unsealing: names and times only,
   * and not authenticated (only {@link #list} checks the file). For diagnostics that must
   * work on a sealed vault, which say so.
   */
  public List<EntryInfo> listUnverified() throws IOException {
    return readUnverified().entries().values().stream()
        .map(e -> new EntryInfo(e.name(), e.created(), e.updated(), e.ciphertext().length)).toList();
  }

  public boolean contains(String name) throws IOException {
    return view().contains(name);
  }

  /** The value of {@code name}, for the one place that hands it to where it belongs. */
  public Optional<SecretValue> reveal(String name, SecretAccess access) throws IOException {
    return view().reveal(name, access);
  }

  /**
   * The vault as it is now: one check of the storage's stamp (one round trip on PostgreSQL), and
   * the image re-read and verified only if it changed. Every lookup through the view answers from
   * that image and reads the storage no further, so a call that takes one view when it begins
   * and makes all its lookups through it sees the vault no older than when it began, whatever
   * another process or replica changed, for one stamp read.
   */
  public synchronized View view() throws IOException {
    VaultImage image = readVerified();
    return new View(image, generation);
  }

  /**
   * One verified image, as {@link #view} found it. Never refreshed: a change made after it was
   * taken (an agent revoked, a credential replaced) is not seen through it, so it is made for one
   * call and dropped with it, never kept. It holds only ciphertext; a value is decrypted at
   * {@link #reveal}, which refuses once the vault is sealed.
   */
  public final class View {
    private final VaultImage image;
    private final long generation;

    private View(VaultImage image, long generation) {
      this.image = image;
      this.generation = generation;
    }

    /** The vault this view is of. */
    public Vault vault() {
      return Vault.this;
    }

    /**
     * A number that changes whenever the vault's content may have changed (a newer image was
     * verified); views with equal numbers show the same image, so callers may keep what they
     * derived from entries while it stays the same. Local to this {@link Vault} object: the
     * image's own generation is {@link Vault#version()}.
     */
    public long generation() {
      return generation;
    }

    public boolean contains(String name) {
      return image.entries().containsKey(name);
    }

    /** The value of {@code name} in this view's image, for the one place that hands it to where it belongs. */
    public Optional<SecretValue> reveal(String name, SecretAccess access) {
      if (access == null) {
        throw new IllegalArgumentException("reading a secret needs SecretAccess");
      }
      StoredEntry e = image.entries().get(name);
      if (e == null) {
        return Optional.empty();
      }
      return Optional.of(new SecretValue(openEntry(requireUnsealed(), image, e)));
    }

    @Override
    public String toString() {
      return "Vault.View[generation " + generation + ", values not shown]";
    }
  }

  /** Stores {@code value} under {@code name}; refuses to overwrite unless {@code replace}. */
  public void put(String name, byte[] value, boolean replace) throws IOException {
    checkName(name);
    transact(image -> {
      StoredEntry old = image.entries().get(name);
      if (old != null && !replace) {
        throw new BadInputException("'" + name + "' already exists; add --replace to overwrite it");
      }
      Instant now = clock.instant();
      SortedMap<String, StoredEntry> entries = new TreeMap<>(image.entries());
      entries.put(name, new StoredEntry(name, old == null ? now : old.created(), now,
          sealEntry(requireUnsealed(), image, name, value)));
      return image.withEntries(entries);
    });
  }

  public boolean remove(String name) throws IOException {
    boolean[] removed = {false};
    transact(image -> {
      if (!image.entries().containsKey(name)) {
        return image;
      }
      removed[0] = true;
      SortedMap<String, StoredEntry> entries = new TreeMap<>(image.entries());
      entries.remove(name);
      return image.withEntries(entries);
    });
    return removed[0];
  }

  /** Sets (or replaces) the master password: re-wraps the master key only. */
  public void setPassword(Credential.Password password, KdfParams kdf) throws IOException {
    replaceSlot(wrapSlot(password, kdf, requireUnsealed()));
  }

  /**
   * Adds (or replaces) the sealed-mode slot for this machine and PIN. A vault of one home has
   * one machine slot, which this replaces; a {@linkplain VaultStorage#shared shared} vault has
   * one per replica's machine, and this replaces only this machine's.
   */
  public void sealToMachine(Credential.MachineSeal seal, KdfParams kdf) throws IOException {
    if (!storage.shared()) {
      replaceSlot(wrapSlot(seal, kdf, requireUnsealed()));
      return;
    }
    Slot slot = wrapSlot(seal, kdf, requireUnsealed());
    transact(image -> {
      List<Slot> slots = new ArrayList<>(image.slots());
      slots.removeIf(s -> s instanceof MachineSlot m && MessageDigest.isEqual(m.fingerprintTag(),
          fingerprintTag(m.salt(), seal)));
      slots.add(slot);
      slots.sort((a, b) -> a.type().compareTo(b.type()) * -1); // password first
      return image.withSlots(slots);
    });
  }

  /** Removes the sealed-mode slot; refused if it is the only way in. */
  public void removeMachineSeal() throws IOException {
    transact(image -> {
      List<Slot> slots = new ArrayList<>(image.slots());
      slots.removeIf(s -> s instanceof MachineSlot);
      if (slots.isEmpty()) {
        throw new BadInputException("the vault has no master password; set one with `gatehouse vault passwd` first");
      }
      return image.withSlots(slots);
    });
  }

  /** Re-encrypts every entry under a new data key and retires the old ones. */
  public void rotate() throws IOException {
    transact(image -> {
      byte[] mk = requireUnsealed();
      int newId = image.wrappedKeys().keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
      byte[] newKey = randomKey();
      try {
        VaultImage next = new VaultImage(image.generation(), image.slots(), newId,
            Map.of(newId, AesGcm.encrypt(mk, newKey, dataKeyAad(newId), random)), new TreeMap<>());
        SortedMap<String, StoredEntry> entries = new TreeMap<>();
        for (StoredEntry e : image.entries().values()) {
          byte[] plain = openEntry(mk, image, e);
          try {
            entries.put(e.name(), new StoredEntry(e.name(), e.created(), e.updated(),
                sealEntry(mk, next, e.name(), plain)));
          } finally {
            Argon2id.zero(plain);
          }
        }
        return next.withEntries(entries);
      } finally {
        Argon2id.zero(newKey);
      }
    });
  }

  /**
   * Wraps {@code key} (32 bytes) under a key derived from the master key for {@code purpose}
   * (AES-256-GCM, the purpose its associated data): only someone who can unseal this vault —
   * with the password, or sealed on this machine — can {@link #unwrapKey} it. The master key
   * itself never leaves this object. Used for the backup archive's key.
   */
  public byte[] wrapKey(byte[] key, String purpose) {
    byte[] kek = purposeKey(requireUnsealed(), purpose);
    try {
      return AesGcm.encrypt(kek, key, purposeAad(purpose), random);
    } finally {
      Argon2id.zero(kek);
    }
  }

  /** The key {@link #wrapKey} wrapped for {@code purpose}; the same refusal as a wrong password if it was not this vault's. */
  public byte[] unwrapKey(byte[] wrapped, String purpose) {
    byte[] kek = purposeKey(requireUnsealed(), purpose);
    try {
      return AesGcm.decrypt(kek, wrapped, purposeAad(purpose));
    } catch (AEADBadTagException e) {
      throw wrongOrDamaged();
    } finally {
      Argon2id.zero(kek);
    }
  }

  /**
   * The lock every write of {@code vault.gh} holds, together with its ledger records: while a
   * caller holds it, the file and what the audit log says of it do not change.
   */
  public HomeLock fileLock() {
    if (!(storage instanceof FileVaultStorage f)) {
      throw new BadInputException("this works on a home's vault.gh, and the vault is in the database (storage: "
          + "backend: postgres); back the database up with its own tools");
    }
    return f.homeLock();
  }

  // ---- the mechanism -------------------------------------------------------------------

  private void replaceSlot(Slot slot) throws IOException {
    transact(image -> {
      List<Slot> slots = new ArrayList<>(image.slots());
      slots.removeIf(s -> s.type().equals(slot.type()));
      slots.add(slot);
      slots.sort((a, b) -> a.type().compareTo(b.type()) * -1); // password first
      return image.withSlots(slots);
    });
  }

  /** Read, verify, check, change, write: one step under the file lock. */
  private synchronized void transact(UnaryOperator<VaultImage> change) throws IOException {
    byte[] mk = requireUnsealed();
    try (VaultStorage.Locked held = storage.lock()) {
      byte[] bytes = held.read();
      VaultImage image = verify(mk, bytes);
      VaultVersion from = check(image, bytes);
      VaultImage next = change.apply(image);
      if (next != image) {
        write(held, mk, next.withGeneration(ledger == null ? image.generation() + 1 : ledger.generationAfter(from)), from);
      }
    }
  }

  /**
   * The version of a file just verified, once it passed the ledger's check (or, without a
   * ledger, is not older than the last file verified here). Holds the file lock.
   */
  private VaultVersion check(VaultImage image, byte[] bytes) {
    VaultVersion present = VaultVersion.of(image.generation(), Sha256.of(bytes));
    if (ledger != null) {
      ledger.admit(present, false);
    } else if (version != null && present.generation() < version.generation()) {
      throw new RefusedException(storage.name() + " was replaced by an older copy of itself (" + present.describe()
          + "; this process had read " + version.describe() + "); refusing to use it");
    }
    version = present;
    return present;
  }

  /**
   * The verified image, re-read only when the storage's stamp changed (for the file: same
   * inode, size and modification time; for the database: the newest row, one indexed query
   * per lookup or {@link #view}, so a change made by another replica is seen at the very next
   * one). The cache holds only what the file holds — ciphertext — and is
   * dropped when the vault is sealed.
   */
  private synchronized VaultImage readVerified() throws IOException {
    byte[] mk = requireUnsealed();
    Object stamp = storage.stamp();
    if (stamp != null && stamp.equals(cachedStamp) && cached != null) {
      return cached;
    }
    VaultImage image;
    try (VaultStorage.Locked held = storage.lock()) { // the image and the ledger, read as one step
      byte[] bytes = held.read();
      image = verify(mk, bytes);
      check(image, bytes);
    }
    tell(mk, image); // before any lookup answers from it; if it fails, nothing is cached
    cached = image;
    cachedStamp = stamp;
    generation++;
    return image;
  }

  private VaultImage readUnverified() throws IOException {
    try {
      return VaultFormat.read(storage.read()).image();
    } catch (VaultFormat.Damaged e) {
      throw wrongOrDamaged();
    }
  }

  private VaultImage verify(byte[] mk, byte[] bytes) {
    VaultFormat.Parsed parsed;
    try {
      parsed = VaultFormat.read(bytes);
    } catch (VaultFormat.Damaged e) {
      throw wrongOrDamaged();
    }
    if (!MessageDigest.isEqual(fileMac(mk, parsed.macInput()), parsed.mac())) {
      throw wrongOrDamaged();
    }
    return parsed.image();
  }

  /**
   * Writes {@code image} (the next generation after {@code from}; null when creating). With a
   * ledger, the new generation and the file's hash are durable in it before the rename that
   * makes the file visible, so a crash leaves either the old file (the intent is then seen
   * as not carried out) or the new one (seen as the one intended): never a file the ledger
   * does not know. Holds the file lock.
   */
  private void write(VaultStorage.Locked held, byte[] mk, VaultImage image, VaultVersion from) throws IOException {
    byte[] macInput = VaultFormat.macInput(image);
    byte[] bytes = VaultFormat.write(macInput, fileMac(mk, macInput));
    VaultVersion to = VaultVersion.of(image.generation(), Sha256.of(bytes));
    tell(mk, image); // before the image can be seen, by this process or any other
    if (ledger != null) {
      ledger.intend(from, to);
    }
    held.write(from == null ? -1 : from.generation(), image.generation(), bytes);
    version = to;
    if (ledger != null) {
      ledger.committed(to);
    }
  }

  /**
   * Tells the watcher (if any) the value of each entry of {@code image} whose ciphertext it has
   * not been told yet. Values are only ever added: an entry removed keeps what it taught.
   */
  private void tell(byte[] mk, VaultImage image) {
    if (watcher == null) {
      return;
    }
    Map<String, byte[]> now = new HashMap<>();
    for (StoredEntry e : image.entries().values()) {
      byte[] before = told.get(e.name());
      if (before == null || !Arrays.equals(before, e.ciphertext())) {
        byte[] plain = openEntry(mk, image, e);
        try {
          watcher.learned(e.name(), plain);
        } finally {
          Argon2id.zero(plain);
        }
      }
      now.put(e.name(), e.ciphertext());
    }
    told = now;
  }

  private byte[] requireUnsealed() {
    byte[] mk = masterKey;
    if (mk == null) {
      throw new RefusedException("the vault is sealed");
    }
    return mk;
  }

  /** The slot {@code credential} opens: the password's, or the machine slot of this machine (a shared vault has several). */
  private Slot slotFor(VaultImage image, Credential credential) {
    boolean otherMachines = false;
    for (Slot s : image.slots()) {
      if (credential instanceof Credential.Password && s instanceof PasswordSlot) {
        return s;
      }
      if (credential instanceof Credential.MachineSeal seal && s instanceof MachineSlot m) {
        if (!MessageDigest.isEqual(m.fingerprintTag(), fingerprintTag(m.salt(), seal))) {
          otherMachines = true;
          continue;
        }
        if (m.pin() != seal.hasPin()) {
          throw new RefusedException(m.pin() ? "the vault's sealed mode needs its PIN" : "the vault's sealed mode has no PIN");
        }
        return s;
      }
    }
    if (otherMachines) {
      throw new RefusedException("the vault is sealed to another machine (its machine id or host name "
          + "differ); unlock it with the master password");
    }
    throw new RefusedException(credential instanceof Credential.Password
        ? "the vault has no master password (it is in sealed mode only)"
        : "the vault is not in sealed mode; unlock it with the master password");
  }

  private Slot wrapSlot(Credential credential, KdfParams kdf, byte[] mk) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    Slot blank = credential instanceof Credential.MachineSeal seal
        ? new MachineSlot(kdf, salt, fingerprintTag(salt, seal), seal.hasPin(), new byte[0])
        : new PasswordSlot(kdf, salt, new byte[0]);
    byte[] kek = deriveKek(credential, blank);
    try {
      byte[] wrapped = AesGcm.encrypt(kek, mk, slotAad(blank.type()), random);
      return blank instanceof MachineSlot m
          ? new MachineSlot(kdf, salt, m.fingerprintTag(), m.pin(), wrapped)
          : new PasswordSlot(kdf, salt, wrapped);
    } finally {
      Argon2id.zero(kek);
    }
  }

  private static byte[] deriveKek(Credential credential, Slot slot) {
    byte[] secret = credential.secretBytes();
    try {
      return Argon2id.derive(secret, slot.salt(), slot.kdf(), AesGcm.KEY_BYTES);
    } finally {
      Argon2id.zero(secret);
    }
  }

  private static byte[] fingerprintTag(byte[] salt, Credential.MachineSeal seal) {
    byte[] fp = seal.fingerprint();
    try {
      return Sha256.of("gatehouse-vault/machine/v1\0".getBytes(StandardCharsets.US_ASCII), salt, fp);
    } finally {
      Argon2id.zero(fp);
    }
  }

  private byte[] randomKey() {
    byte[] k = new byte[AesGcm.KEY_BYTES];
    random.nextBytes(k);
    return k;
  }

  private static byte[] dataKey(byte[] mk, VaultImage image, int id) {
    byte[] wrapped = image.wrappedKeys().get(id);
    if (wrapped == null) {
      throw wrongOrDamaged();
    }
    try {
      return AesGcm.decrypt(mk, wrapped, dataKeyAad(id));
    } catch (AEADBadTagException e) {
      throw wrongOrDamaged();
    }
  }

  /** {@code 0x01 || key id || AES-GCM(data key, value, aad(name, 0x01, key id))}. */
  byte[] sealEntry(byte[] mk, VaultImage image, String name, byte[] value) {
    int id = image.activeKeyId();
    byte[] header = ByteBuffer.allocate(5).put(ENTRY_VERSION).putInt(id).array();
    byte[] key = dataKey(mk, image, id);
    try {
      byte[] sealed = AesGcm.encrypt(key, value, entryAad(name, header), random);
      byte[] out = Arrays.copyOf(header, header.length + sealed.length);
      System.arraycopy(sealed, 0, out, header.length, sealed.length);
      return out;
    } finally {
      Argon2id.zero(key);
    }
  }

  static byte[] openEntry(byte[] mk, VaultImage image, StoredEntry e) {
    byte[] ct = e.ciphertext();
    if (ct.length < 5 || ct[0] != ENTRY_VERSION) {
      throw wrongOrDamaged();
    }
    byte[] header = Arrays.copyOf(ct, 5);
    byte[] key = dataKey(mk, image, ByteBuffer.wrap(header, 1, 4).getInt());
    try {
      return AesGcm.decrypt(key, Arrays.copyOfRange(ct, 5, ct.length), entryAad(e.name(), header));
    } catch (AEADBadTagException ex) {
      throw wrongOrDamaged();
    } finally {
      Argon2id.zero(key);
    }
  }

  private static byte[] entryAad(String name, byte[] header) {
    byte[] label = ("gatehouse-vault/entry/v1\0" + name + "\0").getBytes(StandardCharsets.UTF_8);
    byte[] aad = Arrays.copyOf(label, label.length + header.length);
    System.arraycopy(header, 0, aad, label.length, header.length);
    return aad;
  }

  private static byte[] dataKeyAad(int id) {
    return ("gatehouse-vault/data-key/v1\0" + id).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] slotAad(String type) {
    return ("gatehouse-vault/slot/v1\0" + type).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] purposeAad(String purpose) {
    if (!purpose.matches("[a-z0-9./-]{1,64}")) {
      throw new IllegalArgumentException("a key purpose is a short lower-case label");
    }
    return ("gatehouse-vault/wrap/v1\0" + purpose).getBytes(StandardCharsets.US_ASCII);
  }

  /** HMAC-SHA256(master key, label): separate from the file MAC key by its label. */
  private static byte[] purposeKey(byte[] mk, String purpose) {
    try {
      Mac kdf = Mac.getInstance("HmacSHA256");
      kdf.init(new SecretKeySpec(mk, "HmacSHA256"));
      return kdf.doFinal(purposeAad(purpose));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] fileMac(byte[] mk, byte[] macInput) {
    try {
      Mac kdf = Mac.getInstance("HmacSHA256");
      kdf.init(new SecretKeySpec(mk, "HmacSHA256"));
      byte[] macKey = kdf.doFinal("gatehouse-vault/file-mac/v1".getBytes(StandardCharsets.US_ASCII));
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
        return mac.doFinal(macInput);
      } finally {
        Argon2id.zero(macKey);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new BadInputException("a secret's name is 1-64 characters: a-z, 0-9, '.', '_', '-', starting with a letter or digit");
    }
  }

  private static RefusedException wrongOrDamaged() {
    return new RefusedException(WRONG_OR_DAMAGED);
  }
}
