package dev.gatehouse.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.store.GroupCommit;
import dev.gatehouse.store.HomeLock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The tamper-evident audit log: JSON Lines segments under {@code audit/}, hash-chained, each
 * line also a leaf of an RFC 6962 Merkle tree whose signed checkpoints are written every N
 * entries or T seconds and on close.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #record} returns only when the entry is on disk (fsynced); it throws
 *       {@link RefusedException} if it cannot be, and the caller must then refuse its action.
 *   <li>Concurrent callers share one fsync (group commit): a writer thread takes every queued
 *       entry (up to {@value #MAX_BATCH_ENTRIES}), writes them to the open segment and
 *       forces once; the callers wait, are woken together, and return once their entry is
 *       durable.
 *   <li>{@link #recordEventually} entries are written with the next batch but forced only
 *       with the next entry someone waits for, or after {@link #EVENTUAL_FORCE_WITHIN}
 *       (without that, every outcome would cost a second fsync that the next decision queues
 *       behind). Before a checkpoint is signed, before a segment is left and on close,
 *       whatever was written is forced: a checkpoint never covers an entry a power loss
 *       could take back.
 *   <li>Several processes may append to the same log: every batch is written under a file
 *       lock, after catching up with what others appended.
 *   <li>A torn last line (a crash mid-write) is moved aside to {@code SEGMENT.torn-MILLIS}
 *       and an {@code audit.recovered} entry says so; nothing else is ever repaired.
 *   <li>Secrets are redacted ({@link Redactor}) before an entry is built.
 *   <li>It knows what its {@value VaultWrites#TYPE} entries say of the vault's generations
 *       ({@link #vaultWrites}), and every checkpoint it signs states that for its size. On
 *       opening, that state is taken from the signed checkpoint only when {@code tip.json}
 *       matches the checkpoint's size and root; otherwise every entry is read again.
 * </ul>
 */
public final class FileAuditLog implements HeldAuditLog {
  static final int MAX_BATCH_ENTRIES = 2048;
  public static final String CHECKPOINT_FILE = "checkpoint";
  public static final String VERIFIER_FILE = "signing-key.pub";
  static final String TIP_FILE = "tip.json";
  /** By default, the longest a {@link #recordEventually} entry stays written but not forced. */
  public static final Duration EVENTUAL_FORCE_WITHIN = Duration.ofMillis(100);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Rotation and checkpoint cadence, from the config file, and the longest a
   * {@link #recordEventually} entry stays written but not forced ({@link #EVENTUAL_FORCE_WITHIN}).
   */
  public record Settings(long segmentMaxBytes, Duration segmentMaxAge, int checkpointEveryEntries,
      Duration checkpointEvery, Duration eventualForceWithin) {
    public static final Settings DEFAULT = new Settings(64L << 20, Duration.ofDays(1), 1000, Duration.ofMinutes(5));

    public Settings(long segmentMaxBytes, Duration segmentMaxAge, int checkpointEveryEntries, Duration checkpointEvery) {
      this(segmentMaxBytes, segmentMaxAge, checkpointEveryEntries, checkpointEvery, EVENTUAL_FORCE_WITHIN);
    }
  }

  private final Path dir;
  private final Clock clock;
  private final Appends appends; // redacts, then queues
  private final Checkpoint.Verifier verifier;
  private final PrivateKey signingKey;
  private final Settings settings;
  private final HomeLock fileLock;
  private final ReentrantLock flushLock = new ReentrantLock();
  private final GroupCommit<AuditEvent> commits;
  private final Metrics metrics;

  // Writer state, guarded by flushLock (and the file lock while it changes the files).
  private boolean synced;
  private long nextSeq;
  private String prevHash = AuditRecord.GENESIS;
  private CompactRange range = new CompactRange();
  private Path segment;
  private FileChannel channel; // kept open for appends to channelSegment
  private Path channelSegment;
  private long segmentSize;
  private Instant segmentStarted;
  private long checkpointSize;
  private Instant checkpointTime;
  private Checkpoint latestCheckpoint; // verified, read when (re)syncing; null if none
  private VaultWrites vaultWrites = VaultWrites.NONE; // at nextSeq
  private boolean unforced; // the open segment has bytes written but not yet forced
  private long unforcedSince; // System.nanoTime() of the first of them
  private long forces; // for tests
  private volatile java.util.function.Consumer<String> checkpointListener = note -> { };

  private FileAuditLog(Path dir, Clock clock, Redactor redactor, Checkpoint.Verifier verifier, PrivateKey signingKey,
      Settings settings, Metrics metrics) {
    this.metrics = metrics;
    this.dir = dir;
    this.clock = clock;
    this.verifier = verifier;
    this.signingKey = signingKey;
    this.settings = settings;
    this.fileLock = new HomeLock(dir.resolve(".lock"));
    this.commits = new GroupCommit<>("gatehouse-audit-writer", MAX_BATCH_ENTRIES, this::writeBatch,
        settings.eventualForceWithin(), this::forceWhenQuiet);
    this.appends = new Appends(commits, redactor, metrics);
  }

  /**
   * Opens (creating if needed) the log in {@code dir}, catches up with what is on disk, and
   * recovers a torn last line.
   */
  public static FileAuditLog open(Path dir, Clock clock, Redactor redactor, Checkpoint.Verifier verifier,
      PrivateKey signingKey, Settings settings) throws IOException {
    return open(dir, clock, redactor, verifier, signingKey, settings, Metrics.NONE);
  }

  /** {@link #open(Path, Clock, Redactor, Checkpoint.Verifier, PrivateKey, Settings)}, reporting appends and batches to {@code metrics}. */
  public static FileAuditLog open(Path dir, Clock clock, Redactor redactor, Checkpoint.Verifier verifier,
      PrivateKey signingKey, Settings settings, Metrics metrics) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path vkey = dir.resolve(VERIFIER_FILE);
    if (!Files.exists(vkey)) {
      AtomicFiles.write(vkey, (verifier.text() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    FileAuditLog log = new FileAuditLog(dir, clock, redactor, verifier, signingKey, settings, metrics);
    log.flushLock.lock();
    try {
      log.flush(List.of()); // catches up and recovers a torn tail; writes nothing else
    } finally {
      log.flushLock.unlock();
    }
    return log;
  }

  @Override
  public long record(AuditEvent event) {
    return appends.durable(event);
  }

  @Override
  public void recordEventually(AuditEvent event) {
    appends.eventually(event);
  }

  @Override
  public void recordVaultWrite(String actor, String outcome, Map<String, String> details, boolean sign) {
    appends.vaultWrite(actor, outcome, details);
    if (sign) {
      checkpoint();
    }
  }

  /**
   * What the log knows of the vault's generations, after catching up with what other
   * processes appended (the entries after the last sync only).
   *
   * @throws RefusedException if the log cannot be read: the caller refuses to use the vault
   */
  @Override
  public VaultWrites vaultWrites() {
    flushLock.lock();
    try (HomeLock.Held held = fileLock.acquire()) {
      catchUp();
      return vaultWrites;
    } catch (IOException | RuntimeException e) {
      synced = false;
      closeSegment();
      throw new RefusedException("the audit log in " + dir + " cannot be read (" + describe(e)
          + "); refusing to use the vault, to fail closed", e);
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * One turn of the writer thread (a platform thread, so the fsync it waits on blocks no
   * request thread): the batch is written and forced once, each caller is woken, and then a
   * checkpoint is written if one is due, before the next batch.
   */
  private void writeBatch(List<GroupCommit.Ticket<AuditEvent>> batch) {
    boolean checkpointDue;
    long began = System.nanoTime();
    flushLock.lock();
    try {
      checkpointDue = flush(batch);
    } finally {
      flushLock.unlock();
    }
    metrics.auditBatch(batch.size(), System.nanoTime() - began);
    if (checkpointDue) {
      try {
        checkpoint(); // after the callers are woken: their entries are durable already
      } catch (RuntimeException e) {
        // retried after the next batch; a log that cannot be written refuses its entries
      }
    }
  }

  @Override
  public InclusionEvidence evidence(long seq) throws IOException {
    return InclusionEvidence.signed(this, seq);
  }

  /** Writes a signed checkpoint now (if anything was appended since the last one). */
  @Override
  public void checkpoint() {
    flushLock.lock();
    try (HomeLock.Held held = fileLock.acquire()) {
      catchUp();
      writeCheckpointIfNew();
    } catch (IOException e) {
      throw new RefusedException("the audit checkpoint cannot be written: " + e.getMessage(), e);
    } finally {
      flushLock.unlock();
    }
  }

  /** Writes what is queued, then a final checkpoint, and closes the segment. */
  @Override
  public void close() {
    commits.drain();
    checkpoint();
    flushLock.lock();
    try {
      closeSegment();
    } finally {
      flushLock.unlock();
    }
    commits.stop();
  }

  /**
   * From now on, hands every checkpoint this log signs, as the signed note written, to
   * {@code listener} (the witness). It is called by the writer under the log's locks, so it
   * must only queue the note and return; whatever it throws is ignored: a witness never
   * delays or fails an append.
   */
  @Override
  public void onCheckpoint(java.util.function.Consumer<String> listener) {
    this.checkpointListener = java.util.Objects.requireNonNull(listener);
  }

  /** The log's folder. */
  Path dir() {
    return dir;
  }

  /** The key this log signs its checkpoints with (the one in the vault, not the file beside the log). */
  Checkpoint.Verifier verifier() {
    return verifier;
  }

  @Override
  public long size() {
    flushLock.lock();
    try {
      return range.size();
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * One batch: sync with the disk, write every entry of {@code batch} after any recovered one,
   * force once, and finish each ticket with its seq or the failure. Holds flushLock. Returns
   * whether a checkpoint is due.
   */
  private boolean flush(List<GroupCommit.Ticket<AuditEvent>> batch) {
    try (HomeLock.Held held = fileLock.acquire()) {
      List<AuditEvent> events = new ArrayList<>(batch.size());
      sync(events); // a recovered torn tail goes first
      int recovered = events.size();
      for (GroupCommit.Ticket<AuditEvent> t : batch) {
        events.add(t.item());
      }
      boolean force = recovered > 0
          || (unforced && System.nanoTime() - unforcedSince >= settings.eventualForceWithin().toNanos());
      for (int i = 0; i < batch.size() && !force; i++) {
        force = batch.get(i).awaited();
      }
      long[] seqs = events.isEmpty() ? new long[0] : write(events, force);
      boolean checkpointDue = range.size() - checkpointSize >= settings.checkpointEveryEntries()
          || (range.size() > checkpointSize && Duration.between(checkpointTime, clock.instant())
              .compareTo(settings.checkpointEvery()) >= 0); // decided at the batch's time, before anyone is woken
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).finish(seqs[recovered + i], null);
      }
      return checkpointDue;
    } catch (IOException | RuntimeException e) {
      synced = false; // re-read the disk before the next batch
      closeSegment();
      RefusedException failure = new RefusedException("the audit log in " + dir + " cannot be written ("
          + describe(e) + "); refusing, to fail closed", e);
      for (GroupCommit.Ticket<AuditEvent> t : batch) {
        t.finish(-1, failure); // no-op for a ticket already written
      }
      return false;
    }
  }

  /** Appends {@code events} as one write, forced if {@code force} (or a new segment); returns their seqs. */
  private long[] write(List<AuditEvent> events, boolean force) throws IOException {
    Instant now = clock.instant();
    if (segment == null || segmentSize >= settings.segmentMaxBytes()
        || (segmentStarted != null && Duration.between(segmentStarted, now).compareTo(settings.segmentMaxAge()) >= 0)) {
      segment = dir.resolve(segmentName(segment == null ? 1 : segmentIndex(segment) + 1));
      segmentSize = 0;
      segmentStarted = now;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LogHead.Appended appended = new LogHead(range, prevHash, vaultWrites).append(events, now);
    long[] seqs = new long[events.size()];
    for (int i = 0; i < events.size(); i++) {
      out.write(appended.lines().get(i));
      out.write('\n');
      seqs[i] = appended.from() + i;
    }
    if (!segment.equals(channelSegment)) {
      forceWritten(); // the segment being left keeps nothing unforced; a failure fails this batch
      closeSegment();
      channel = FileChannel.open(segment, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
          StandardOpenOption.CREATE), PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
      channelSegment = segment;
    }
    ByteBuffer buf = ByteBuffer.wrap(out.toByteArray());
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    if (force || segmentSize == 0) {
      forceSegment(); // also everything written before it unforced
    } else if (!unforced) {
      unforced = true;
      unforcedSince = System.nanoTime();
    }
    if (segmentSize == 0) {
      AtomicFiles.fsyncDirectory(dir); // a new segment's name must survive too
    }
    segmentSize += out.size();
    LogHead head = appended.head();
    nextSeq = head.size();
    prevHash = head.lastHash();
    range = head.range();
    vaultWrites = head.vault();
    return seqs;
  }

  /** fdatasyncs the open segment: every byte written to it, unforced or not. Holds flushLock. */
  private void forceSegment() throws IOException {
    channel.force(false);
    forces++;
    unforced = false;
  }

  /** Forces what was written unforced, if anything (before a checkpoint, before leaving a segment). Holds flushLock. */
  private void forceWritten() throws IOException {
    if (unforced && channel != null) {
      forceSegment();
    }
  }

  /** The writer's idle task: the queue went quiet with outcomes written but not forced. */
  private void forceWhenQuiet() {
    flushLock.lock();
    try {
      forceWritten();
    } catch (IOException e) {
      // they stay unforced: the next batch forces them, or fails its callers
    } finally {
      flushLock.unlock();
    }
  }

  /** Forces taken so far (every fsync of a segment). For tests. */
  long forces() {
    flushLock.lock();
    try {
      return forces;
    } finally {
      flushLock.unlock();
    }
  }

  /** Closes the open segment (after a failure, on rotation and on close). Holds flushLock. */
  private void closeSegment() {
    if (channel != null) {
      try {
        forceWritten(); // best effort: after a failure, the next writer re-reads the disk
      } catch (IOException e) {
        // nothing more can be done for those bytes here
      }
      unforced = false;
      try {
        channel.close();
      } catch (IOException e) {
        // every byte that counts was forced; nothing is lost by a failed close
      }
      channel = null;
      channelSegment = null;
    }
  }

  // ---- catching up with the disk ---------------------------------------------------------

  /**
   * {@link #sync} outside a batch: a torn tail found here is moved aside and its
   * {@code audit.recovered} entry written and forced at once, as a batch would.
   */
  private void catchUp() throws IOException {
    List<AuditEvent> recovered = new ArrayList<>();
    sync(recovered);
    if (!recovered.isEmpty()) {
      write(recovered, true);
    }
  }

  /** Brings the writer state up to the files, recovering a torn tail (its event goes into {@code recovered}). */
  private void sync(List<AuditEvent> recovered) throws IOException {
    if (synced && segment != null && (segment.equals(channelSegment) ? channel.size() : Files.size(segment)) == segmentSize
        && !Files.exists(dir.resolve(segmentName(segmentIndex(segment) + 1)))) {
      return; // nobody else wrote (two stats instead of listing the folder every batch)
    }
    List<Path> segments = segments(dir);
    if (!synced) {
      loadCheckpoint();
      loadTip();
    }
    int from = segment == null ? 0 : Math.max(0, segments.indexOf(segment));
    long offset = segment == null ? 0 : segmentSize;
    if (segment != null && !segments.contains(segment)) {
      throw new IOException("audit segment " + segment.getFileName() + " disappeared");
    }
    for (int i = from; i < segments.size(); i++) {
      Path s = segments.get(i);
      if (!s.equals(segment)) {
        offset = 0;
      }
      byte[] bytes = readFrom(s, offset);
      int start = 0;
      for (int nl; (nl = indexOf(bytes, (byte) '\n', start)) >= 0; start = nl + 1) {
        byte[] line = java.util.Arrays.copyOfRange(bytes, start, nl);
        AuditRecord r = AuditRecord.parse(line);
        if (r == null || r.seq() != nextSeq || !r.prev().equals(prevHash)) {
          throw new IOException("audit segment " + s.getFileName() + " has an entry that does not follow seq "
              + (nextSeq - 1) + " (run `gatehouse audit verify`)");
        }
        if (offset == 0 && start == 0) {
          segmentStarted = r.time();
        }
        range.append(Rfc6962.leafHash(line));
        nextSeq++;
        prevHash = r.hash();
        vaultWrites = vaultWrites.apply(r.type(), r.outcome(), r.details());
      }
      segment = s;
      segmentSize = offset + start;
      if (start < bytes.length) {
        if (i != segments.size() - 1) {
          throw new IOException("audit segment " + s.getFileName() + " ends mid-line but is not the last one");
        }
        recovered.add(recoverTornTail(s, offset + start, java.util.Arrays.copyOfRange(bytes, start, bytes.length)));
      }
    }
    synced = true;
  }

  private AuditEvent recoverTornTail(Path s, long keep, byte[] torn) throws IOException {
    Path aside = s.resolveSibling(s.getFileName() + ".torn-" + clock.millis());
    AtomicFiles.write(aside, torn);
    try (FileChannel ch = FileChannel.open(s, StandardOpenOption.WRITE)) {
      ch.truncate(keep);
      ch.force(true);
    }
    return new AuditEvent("audit.recovered", "gatehouse", s.getFileName().toString(), "torn-line-moved-aside",
        Map.of("bytes", Integer.toString(torn.length), "moved_to", aside.getFileName().toString()));
  }

  /**
   * Starts from {@code tip.json} when it describes the latest signed checkpoint (same size,
   * and its peaks give the checkpoint's root), taking the vault state from the checkpoint;
   * else from nothing, so that every entry is read again.
   */
  private void loadTip() throws IOException {
    nextSeq = 0;
    prevHash = AuditRecord.GENESIS;
    range = new CompactRange();
    segment = null;
    segmentSize = 0;
    segmentStarted = null;
    vaultWrites = VaultWrites.NONE;
    if (latestCheckpoint == null) {
      return;
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(dir.resolve(TIP_FILE));
    } catch (NoSuchFileException e) {
      return;
    }
    try {
      JsonNode n = JSON.readTree(bytes);
      List<byte[]> peaks = new ArrayList<>();
      for (JsonNode p : n.get("peaks")) {
        peaks.add(Base64.getDecoder().decode(p.asText()));
      }
      Path s = dir.resolve(n.get("segment").asText());
      long off = n.get("offset").asLong();
      if (!Files.exists(s) || Files.size(s) < off) {
        return; // a stale tip: read everything
      }
      CompactRange tip = new CompactRange(n.get("size").asLong(), peaks);
      if (tip.size() != latestCheckpoint.size() || !java.util.Arrays.equals(tip.root(), latestCheckpoint.root())) {
        return; // not the checkpoint's position (a crash between the two replaces, or an edit): read everything
      }
      VaultWrites signed = VaultWrites.fromExtensions(latestCheckpoint.extensions());
      range = tip;
      vaultWrites = signed;
      nextSeq = range.size();
      prevHash = n.get("last_hash").asText();
      segment = s;
      segmentSize = off;
      segmentStarted = Instant.parse(n.get("segment_started").asText());
    } catch (RuntimeException e) {
      range = new CompactRange(); // a damaged tip: read everything
      vaultWrites = VaultWrites.NONE;
      nextSeq = 0;
      prevHash = AuditRecord.GENESIS;
      segment = null;
      segmentSize = 0;
    }
  }

  private void loadCheckpoint() {
    checkpointSize = 0;
    checkpointTime = clock.instant();
    latestCheckpoint = null;
    try {
      // Only a checkpoint this log signed sets the cadence (a forged one with a huge size
      // would otherwise put off every checkpoint until close) or says where to start.
      latestCheckpoint = Checkpoint.verify(Files.readString(dir.resolve(CHECKPOINT_FILE), StandardCharsets.UTF_8),
          verifier);
      checkpointSize = latestCheckpoint.size();
    } catch (IOException | RuntimeException e) {
      // none yet, unreadable or not ours: the next checkpoint replaces it
    }
  }

  private void writeCheckpointIfNew() throws IOException {
    if (range.size() == checkpointSize && Files.exists(dir.resolve(CHECKPOINT_FILE))) {
      return;
    }
    forceWritten(); // a signed size must never exceed what a power loss leaves
    Checkpoint cp = new Checkpoint(verifier.name(), range.size(), range.root(), vaultWrites.extensions());
    ObjectNode tip = JSON.createObjectNode();
    tip.put("size", range.size());
    var peaks = tip.putArray("peaks");
    range.peaks().forEach(p -> peaks.add(Base64.getEncoder().encodeToString(p)));
    tip.put("last_hash", prevHash);
    tip.put("segment", segment == null ? segmentName(1) : segment.getFileName().toString());
    tip.put("offset", segmentSize);
    tip.put("segment_started", (segmentStarted == null ? clock.instant() : segmentStarted).toString());
    // Both may lag after a crash (an older tip is re-read from, an older checkpoint is still a
    // true statement about a prefix of the log): atomic, but without a folder fsync each, which
    // halves the fsyncs a checkpoint costs the writer (and the next batch waiting behind it).
    AtomicFiles.replace(dir.resolve(TIP_FILE), JSON.writeValueAsBytes(tip));
    String note = cp.sign(verifier, signingKey);
    AtomicFiles.replace(dir.resolve(CHECKPOINT_FILE), note.getBytes(StandardCharsets.UTF_8));
    checkpointSize = range.size();
    checkpointTime = clock.instant();
    try {
      checkpointListener.accept(note);
    } catch (RuntimeException e) {
      // the witness's own failure, which it records itself; never the log's
    }
  }

  // ---- files ---------------------------------------------------------------------------

  static String segmentName(int index) {
    return String.format("segment-%06d.jsonl", index);
  }

  static int segmentIndex(Path segment) {
    String n = segment.getFileName().toString();
    return Integer.parseInt(n.substring("segment-".length(), n.length() - ".jsonl".length()));
  }

  /** The log's segments, oldest first. */
  public static List<Path> segments(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("segment-[0-9]{6}\\.jsonl")).sorted().toList();
    }
  }

  private static byte[] readFrom(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer buf = ByteBuffer.allocate((int) (size - offset));
      while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) >= 0) {
        // reading
      }
      return buf.array();
    }
  }

  static int indexOf(byte[] b, byte value, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static String describe(Exception e) {
    return e.getMessage() != null ? e.getMessage() : "an I/O error";
  }
}
