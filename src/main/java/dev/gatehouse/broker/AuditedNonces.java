package dev.gatehouse.broker;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.audit.AuditTail;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.store.StateDb;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The embedded replay record: the uses of the keep time in memory ({@link NonceSet}), on
 * record in the audit log. A use is on record once a durable entry carries its
 * {@link Recording#details()} (the broker's {@code broker.call}, a refusal) or, for an
 * endpoint without a decision entry of its own, a {@value #ADMITTED} entry made by
 * {@link Recording#await}. At start, {@link #rebuilt} reads the uses back from the entries of
 * the keep time and a {@link #MARGIN}, so a replay stays refused across a restart, even a
 * killed one: an acknowledged request's entry was forced before it had any effect.
 *
 * <p>The entry carries the use as a digest of key id and nonce ({@value #REPLAY}), beside
 * the key id and {@code created}: the nonce is the signer's text and is not logged as such.
 * Memory: two longs per use, kept between one and two keep times.
 */
public final class AuditedNonces implements NonceStore {
  /** The detail that carries a use: the first 16 bytes of SHA-256(key id, 0, nonce), hex. */
  public static final String REPLAY = Redactor.DIGEST_DETAIL;
  public static final String KEY_ID = "kid";
  public static final String CREATED = "created";
  /** The entry of an admitted request no decision entry carries. */
  public static final String ADMITTED = "request.admitted";
  /**
   * Entries up to this much older than the keep time are read at start too: a clock that
   * stepped back, and the moments between a use and its entry's time.
   */
  public static final Duration MARGIN = Duration.ofMinutes(1);

  private static final HexFormat HEX = HexFormat.of();

  private final NonceSet seen;
  private final AuditLog audit;
  private final Duration keep;

  /** An empty record whose uses go into {@code audit}; {@code keep} must exceed the acceptance window. */
  public AuditedNonces(AuditLog audit, Duration keep) {
    this.audit = audit;
    this.keep = keep;
    this.seen = new NonceSet(keep.toMillis());
  }

  /**
   * A record holding every use the log in {@code auditDir} carries from the keep time and
   * {@link #MARGIN} before {@code now}.
   */
  public static AuditedNonces rebuilt(AuditLog audit, Duration keep, Path auditDir, Instant now) throws IOException {
    AuditedNonces n = new AuditedNonces(audit, keep);
    AuditTail.read(auditDir, now.minus(keep).minus(MARGIN), REPLAY, (time, value) -> {
      if (Redactor.isDigest(value)) { // any other value was never a digest this record wrote
        n.seen.remember(NonceSet.digest(HEX.parseHex(value, 0, 16)), time);
      }
    });
    return n;
  }

  /**
   * Also holds the uses an earlier version recorded in {@code state.db}'s {@code nonce_log}
   * within the keep time and {@link #MARGIN} before {@code now} (a daemon upgraded within
   * that time), and deletes the older rows; nothing writes that table any more.
   */
  public void rememberLegacy(StateDb db, Instant now) throws SQLException {
    long since = now.minus(keep).minus(MARGIN).toEpochMilli();
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT keyid, nonce, seen_at FROM nonce_log WHERE seen_at >= ?")) {
        s.setLong(1, since);
        try (var rs = s.executeQuery()) {
          while (rs.next()) {
            seen.remember(rs.getString(1), rs.getString(2), rs.getLong(3));
          }
        }
      }
      try (PreparedStatement s = c.prepareStatement("DELETE FROM nonce_log WHERE seen_at < ?")) {
        s.setLong(1, since);
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<Recording> use(Use use) {
    byte[] sha = NonceSet.sha256(use.keyId(), use.nonce());
    if (!seen.firstUse(NonceSet.digest(sha), use.now().toEpochMilli())) {
      return Optional.empty();
    }
    return Optional.of(new Carried(use, details(use, sha)));
  }

  /**
   * What an entry carries for {@code use}, whose {@link NonceSet#sha256} is {@code sha}: the
   * {@value #REPLAY} digest (its first 16 bytes), {@value #KEY_ID} and {@value #CREATED}. Every
   * backend's entries carry the same, so the audit log reads alike whichever keeps the record.
   */
  static Map<String, String> details(Use use, byte[] sha) {
    return Map.of(REPLAY, HEX.formatHex(sha, 0, 16), KEY_ID, use.keyId(), CREATED, Long.toString(use.created()));
  }

  /** Uses held now. For tests. */
  int size() {
    return seen.size();
  }

  private final class Carried implements Recording {
    private final Use use;
    private final Map<String, String> details;
    private boolean onRecord; // guarded by this

    Carried(Use use, Map<String, String> details) {
      this.use = use;
      this.details = details;
    }

    @Override
    public Map<String, String> details() {
      return details;
    }

    @Override
    public synchronized void recordedIn(long seq) {
      onRecord = true;
    }

    @Override
    public synchronized void await() throws Unrecorded {
      if (onRecord) {
        return;
      }
      try {
        audit.record(new AuditEvent(ADMITTED, use.actor(), use.target(), "admitted", details));
      } catch (RuntimeException e) {
        throw new Unrecorded("the replay record could not be made: " + e.getMessage(), e);
      }
      onRecord = true;
    }
  }
}
