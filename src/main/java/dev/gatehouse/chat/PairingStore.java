package dev.gatehouse.chat;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.guard.Limit;
import dev.gatehouse.store.StateDb;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Chat sender pairing in {@code state.db} (DESIGN §9, OpenClaw's rules).
 *
 * <p>Guarantees:
 * <ul>
 *   <li>A code is {@value #CODE_LENGTH} characters of {@value #ALPHABET}, each drawn uniformly
 *       from the injected {@link SecureRandom} (rejection sampling); it is valid from its
 *       issue until exactly {@link #VALIDITY} later (then it is expired), and it is taken once:
 *       an approval or a denial removes it.
 *   <li>A sender has at most one pending code per channel: while it is valid, the sender's
 *       next messages get the same code back ({@code issued=false}), never a second one. A
 *       channel has at most {@value #MAX_PENDING_PER_CHANNEL} valid pending codes (expired
 *       ones do not count): a new sender beyond them is refused {@code pending-limit}.
 *   <li>A sender is issued at most {@code perSender.max()} codes on a channel within any
 *       {@code perSender.window()} (default {@link #DEFAULT_PER_SENDER}): beyond that it is
 *       refused {@code rate-limited}. With the one-hour validity this only bites when the
 *       owner denies, or revokes, a sender who keeps writing. The limit is counted in
 *       {@code state.db} (not in the in-memory {@code RateLimiter}), so neither a restart nor
 *       a second process resets it. A refusal is not counted.
 *   <li>Every change (a code issued, approved, denied or found expired, a sender revoked) is
 *       in the audit log before it takes effect: the entry is written inside the
 *       {@code state.db} transaction that makes the change, before its commit, so no other
 *       process can see a change that is not yet recorded, and a failed record leaves nothing
 *       changed. Entries never hold a code: they name it by {@code code_ref}, a random value
 *       unrelated to the code. (Lock order, everywhere: {@code state.db}, then the audit log;
 *       the audit log never waits for {@code state.db}.)
 *   <li>Each operation is one {@code state.db} transaction: several processes (the daemon
 *       deciding on messages, the CLI approving) and threads may use it at once. Two messages
 *       from one sender at once get one code; parallel new senders never exceed the pending
 *       limit; a code is approved or denied at most once.
 *   <li>{@link #isAllowed} and {@link #request} are indexed lookups; {@link #isAllowed} never
 *       waits for another process's write.
 * </ul>
 */
public final class PairingStore implements Pairing {
  public static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  public static final int CODE_LENGTH = 8;
  public static final Duration VALIDITY = Duration.ofHours(1);
  public static final int MAX_PENDING_PER_CHANNEL = 3;
  /** At most 5 codes per sender and channel in any 24 hours. */
  public static final Limit DEFAULT_PER_SENDER = new Limit(5, Duration.ofDays(1));
  /** The longest sender id accepted (platform ids are far shorter). */
  public static final int MAX_SENDER_CHARS = 256;
  /** Display names are cut to this many characters. */
  public static final int MAX_NAME_CHARS = 128;
  /** Who expires a code in the audit log. */
  static final String SYSTEM_ACTOR = "gatehouse";
  /** A byte at or above this is drawn again: the rest map evenly onto the alphabet (with 32 symbols, none is). */
  static final int REJECT_FROM = 256 - 256 % ALPHABET.length();
  private static final int EXPIRE_BATCH = 100;

  // The per-message queries: each an index search, never a table scan (PairingStoreTest pins that).
  static final String IS_ALLOWED = "SELECT 1 FROM pairing_allowed WHERE channel = ? AND sender = ?";
  static final String OWN_PENDING =
      "SELECT code, expires_at FROM pairing_pending WHERE channel = ? AND sender = ? AND expires_at > ?";
  static final String PENDING_ON_CHANNEL = "SELECT count(*) FROM pairing_pending WHERE channel = ? AND expires_at > ?";
  static final String ISSUED_TO_SENDER =
      "SELECT count(*) FROM pairing_issued WHERE channel = ? AND sender = ? AND issued_at > ?";

  /** A pending request. The code is a bearer credential for its hour: {@link #toString()} leaves it out. */
  public record Pending(String channel, String sender, String senderName, String code, Instant created,
      Instant expires) {
    @Override
    public String toString() {
      return "Pending[" + channel + ", expires " + expires + "]";
    }
  }

  /** A sender on a channel's allowlist. */
  public record Allowed(String channel, String sender, String senderName, Instant approvedAt, String approvedBy) {}

  private final StateDb db;
  private final AuditLog audit;
  private final Clock clock;
  private final SecureRandom random;
  private final Limit perSender;

  public PairingStore(StateDb db, AuditLog audit, Clock clock, SecureRandom random) {
    this(db, audit, clock, random, DEFAULT_PER_SENDER);
  }

  public PairingStore(StateDb db, AuditLog audit, Clock clock, SecureRandom random, Limit perSender) {
    this.db = Objects.requireNonNull(db, "db");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.perSender = Objects.requireNonNull(perSender, "perSender");
  }

  @Override
  public boolean isAllowed(String channel, String sender) {
    if (!validChannel(channel) || !validSender(sender)) {
      return false; // nothing invalid is ever on the list
    }
    try {
      return db.read(c -> {
        PreparedStatement s = db.prepared(IS_ALLOWED);
        s.setString(1, channel);
        s.setString(2, sender);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next();
        }
      });
    } catch (SQLException e) {
      throw new RefusedException("the pairing allowlist in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Does not look at the allowlist: the gate asks {@link #isAllowed} first.
   *
   * @throws BadInputException if the channel is not a channel name or the sender id is empty,
   *     longer than {@value #MAX_SENDER_CHARS} characters or holds a NUL
   * @throws RefusedException if the state or the audit entry cannot be written (nothing changed)
   */
  @Override
  public Request request(String channel, String sender, String senderName) {
    checkChannel(channel);
    checkSender(sender);
    String name = displayName(senderName);
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    try {
      return db.transaction(c -> {
        PreparedStatement own = db.prepared(OWN_PENDING);
        own.setString(1, channel);
        own.setString(2, sender);
        own.setLong(3, nowMs);
        try (ResultSet rs = own.executeQuery()) {
          if (rs.next()) {
            return new Code(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)), false);
          }
        }
        PreparedStatement pending = db.prepared(PENDING_ON_CHANNEL);
        pending.setString(1, channel);
        pending.setLong(2, nowMs);
        try (ResultSet rs = pending.executeQuery()) {
          if (rs.next() && rs.getInt(1) >= MAX_PENDING_PER_CHANNEL) {
            return new Refused("pending-limit");
          }
        }
        long windowStart = nowMs - perSender.window().toMillis();
        PreparedStatement issued = db.prepared(ISSUED_TO_SENDER);
        issued.setString(1, channel);
        issued.setString(2, sender);
        issued.setLong(3, windowStart);
        try (ResultSet rs = issued.executeQuery()) {
          if (rs.next() && rs.getInt(1) >= perSender.max()) {
            return new Refused("rate-limited");
          }
        }
        return issue(c, channel, sender, name, now, windowStart);
      });
    } catch (SQLException e) {
      throw new RefusedException("the pairing state in " + db.name() + " cannot be written (" + e.getMessage() + ")", e);
    }
  }

  private Code issue(Connection c, String channel, String sender, String name, Instant now, long windowStart)
      throws SQLException {
    Object[] stale = null; // the sender's expired code (the caller found no valid one): it holds the slot
    try (PreparedStatement s = c.prepareStatement(
        "SELECT code, ref, expires_at FROM pairing_pending WHERE channel = ? AND sender = ?")) {
      s.setString(1, channel);
      s.setString(2, sender);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          stale = new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3)};
        }
      }
    }
    if (stale != null) {
      expire(c, (String) stale[0], channel, sender, (String) stale[1], (Long) stale[2]);
    }
    expireDue(c, now);
    try (PreparedStatement s = c.prepareStatement("DELETE FROM pairing_issued WHERE issued_at <= ?")) {
      s.setLong(1, windowStart);
      s.executeUpdate();
    }
    String code = unusedCode(c);
    String ref = HexFormat.of().formatHex(bytes(4));
    Instant expires = now.plus(VALIDITY);
    audit.record(new AuditEvent("pair.issue", "chat:" + channel + ":" + sender, target(channel, sender), "issued",
        Map.of("code_ref", ref, "expires", expires.toString())));
    try (PreparedStatement s = c.prepareStatement("INSERT INTO pairing_pending (code, channel, sender, sender_name,"
        + " ref, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, code);
      s.setString(2, channel);
      s.setString(3, sender);
      s.setString(4, name);
      s.setString(5, ref);
      s.setLong(6, now.toEpochMilli());
      s.setLong(7, expires.toEpochMilli());
      s.executeUpdate();
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO pairing_issued (channel, sender, issued_at) VALUES (?, ?, ?)")) {
      s.setString(1, channel);
      s.setString(2, sender);
      s.setLong(3, now.toEpochMilli());
      s.executeUpdate();
    }
    return new Code(code, expires, true);
  }

  /** A code no pending row holds (a clash is about one in a trillion; drawn again then). */
  private String unusedCode(Connection c) throws SQLException {
    for (int attempt = 0; attempt < 16; attempt++) {
      String code = newCode(random);
      try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pairing_pending WHERE code = ?")) {
        s.setString(1, code);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return code;
          }
        }
      }
    }
    throw new SQLException("no unused pairing code after 16 draws; is the random source broken?");
  }

  /** Records, then removes, pending codes whose hour is over (at most a batch per call). */
  private void expireDue(Connection c, Instant now) throws SQLException {
    List<Object[]> due = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement("SELECT code, channel, sender, ref, expires_at FROM pairing_pending"
        + " WHERE expires_at <= ? ORDER BY expires_at LIMIT " + EXPIRE_BATCH)) {
      s.setLong(1, now.toEpochMilli());
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          due.add(new Object[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5)});
        }
      }
    }
    for (Object[] d : due) {
      expire(c, (String) d[0], (String) d[1], (String) d[2], (String) d[3], (Long) d[4]);
    }
  }

  private void expire(Connection c, String code, String channel, String sender, String ref, long expiresAt)
      throws SQLException {
    audit.record(new AuditEvent("pair.expire", SYSTEM_ACTOR, target(channel, sender), "expired",
        Map.of("code_ref", ref, "expired_at", Instant.ofEpochMilli(expiresAt).toString())));
    delete(c, code);
  }

  /**
   * Approves the pending code {@code code} (any case, surrounding whitespace ignored): its
   * sender goes on its channel's allowlist, and the code is spent.
   *
   * @return the sender it allowed
   * @throws BadInputException if {@code code} is not shaped like a pairing code
   * @throws RefusedException if no such code is pending (wrong, expired, already approved or
   *     denied), or the change cannot be recorded
   */
  public Allowed approve(String code, String actor) {
    Instant now = clock.instant();
    Pending p = take(code, actor, true, now);
    return new Allowed(p.channel(), p.sender(), p.senderName(), now, actor);
  }

  /**
   * Denies the pending code {@code code}: it is spent, and its sender stays unknown (a later
   * message gets a new code, within the per-sender limit).
   *
   * @return the request it denied
   * @throws BadInputException if {@code code} is not shaped like a pairing code
   * @throws RefusedException as {@link #approve}
   */
  public Pending deny(String code, String actor) {
    return take(code, actor, false, clock.instant());
  }

  private sealed interface Taken {}

  private record Found(Pending pending) implements Taken {}

  private record NotPending() implements Taken {}

  private record Expired(Instant at) implements Taken {}

  private Pending take(String typed, String actor, boolean approve, Instant now) {
    String code = canonicalCode(typed);
    Taken taken;
    try {
      taken = db.transaction(c -> {
        String ref;
        Pending p;
        try (PreparedStatement s = c.prepareStatement("SELECT channel, sender, sender_name, ref, created_at, expires_at"
            + " FROM pairing_pending WHERE code = ?")) {
          s.setString(1, code);
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              return new NotPending();
            }
            ref = rs.getString(4);
            p = new Pending(rs.getString(1), rs.getString(2), rs.getString(3), code,
                Instant.ofEpochMilli(rs.getLong(5)), Instant.ofEpochMilli(rs.getLong(6)));
          }
        }
        if (!now.isBefore(p.expires())) {
          expire(c, code, p.channel(), p.sender(), ref, p.expires().toEpochMilli());
          return new Expired(p.expires());
        }
        audit.record(new AuditEvent(approve ? "pair.approve" : "pair.deny", actor, target(p.channel(), p.sender()),
            approve ? "approved" : "denied", Map.of("code_ref", ref)));
        delete(c, code);
        if (approve) {
          try (PreparedStatement s = c.prepareStatement("INSERT INTO pairing_allowed (channel, sender, sender_name,"
              + " approved_at, approved_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, sender) DO UPDATE SET"
              + " sender_name = excluded.sender_name, approved_at = excluded.approved_at,"
              + " approved_by = excluded.approved_by")) {
            s.setString(1, p.channel());
            s.setString(2, p.sender());
            s.setString(3, p.senderName());
            s.setLong(4, now.toEpochMilli());
            s.setString(5, actor);
            s.executeUpdate();
          }
        }
        return new Found(p);
      });
    } catch (SQLException e) {
      throw new RefusedException("the pairing state in " + db.name() + " cannot be written (" + e.getMessage() + ")", e);
    }
    return switch (taken) {
      case Found f -> f.pending();
      case NotPending n -> throw new RefusedException("no such pairing code is pending (mistyped, or already approved "
          + "or denied); `gatehouse pair list` shows the pending ones");
      case Expired e -> throw new RefusedException("that pairing code expired at " + e.at()
          + "; the sender gets a new one with their next message");
    };
  }

  /**
   * Removes {@code sender} from {@code channel}'s allowlist: their next message is an unknown
   * sender's again.
   *
   * @throws BadInputException if the channel or sender is malformed
   * @throws RefusedException if the sender is not on the allowlist, or the change cannot be recorded
   */
  public void revoke(String channel, String sender, String actor) {
    checkChannel(channel);
    checkSender(sender);
    boolean revoked;
    try {
      revoked = db.transaction(c -> {
        try (PreparedStatement s = c.prepareStatement(
            "SELECT 1 FROM pairing_allowed WHERE channel = ? AND sender = ?")) {
          s.setString(1, channel);
          s.setString(2, sender);
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              return false;
            }
          }
        }
        audit.record(new AuditEvent("pair.revoke", actor, target(channel, sender), "revoked", Map.of()));
        try (PreparedStatement s = c.prepareStatement("DELETE FROM pairing_allowed WHERE channel = ? AND sender = ?")) {
          s.setString(1, channel);
          s.setString(2, sender);
          s.executeUpdate();
        }
        return true;
      });
    } catch (SQLException e) {
      throw new RefusedException("the pairing state in " + db.name() + " cannot be written (" + e.getMessage() + ")", e);
    }
    if (!revoked) {
      throw new RefusedException("that sender is not on channel " + channel
          + "'s allowlist; `gatehouse pair allowed` lists who is");
    }
  }

  /** The pending codes that are still valid, oldest first. */
  public List<Pending> pending() {
    long now = clock.instant().toEpochMilli();
    try {
      return db.read(c -> {
        List<Pending> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT channel, sender, sender_name, code, created_at, expires_at"
            + " FROM pairing_pending WHERE expires_at > ? ORDER BY created_at, channel, sender")) {
          s.setLong(1, now);
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              out.add(new Pending(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                  Instant.ofEpochMilli(rs.getLong(5)), Instant.ofEpochMilli(rs.getLong(6))));
            }
          }
        }
        return out;
      });
    } catch (SQLException e) {
      throw new RefusedException("the pairing state in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /** Every allowed sender, by channel, then in order of approval. */
  public List<Allowed> allowed() {
    try {
      return db.read(c -> {
        List<Allowed> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT channel, sender, sender_name, approved_at, approved_by"
            + " FROM pairing_allowed ORDER BY channel, approved_at, sender")) {
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              out.add(new Allowed(rs.getString(1), rs.getString(2), rs.getString(3),
                  Instant.ofEpochMilli(rs.getLong(4)), rs.getString(5)));
            }
          }
        }
        return out;
      });
    } catch (SQLException e) {
      throw new RefusedException("the pairing allowlist in " + db.name() + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * {@code typed} as stored: surrounding whitespace removed, ASCII letters upper-cased.
   *
   * @throws BadInputException unless it is then {@value #CODE_LENGTH} characters of {@value #ALPHABET}
   */
  public static String canonicalCode(String typed) {
    String t = typed == null ? "" : typed.strip();
    char[] out = new char[CODE_LENGTH];
    boolean ok = t.length() == CODE_LENGTH;
    for (int i = 0; ok && i < CODE_LENGTH; i++) {
      char ch = t.charAt(i);
      if (ch >= 'a' && ch <= 'z') {
        ch = (char) (ch - 'a' + 'A');
      }
      ok = ALPHABET.indexOf(ch) >= 0;
      out[i] = ch;
    }
    if (!ok) {
      // The text is not repeated: it may be a real code with a typo.
      throw new BadInputException("a pairing code is " + CODE_LENGTH + " characters of " + ALPHABET
          + " (any case), as the sender received it; that is not one");
    }
    return new String(out);
  }

  /** A new code: each character uniform over the alphabet, by rejection sampling of random bytes. */
  static String newCode(SecureRandom random) {
    char[] code = new char[CODE_LENGTH];
    byte[] draw = new byte[CODE_LENGTH];
    int have = 0;
    while (have < CODE_LENGTH) {
      random.nextBytes(draw);
      for (int i = 0; i < draw.length && have < CODE_LENGTH; i++) {
        int v = draw[i] & 0xFF;
        if (v < REJECT_FROM) {
          code[have++] = ALPHABET.charAt(v % ALPHABET.length());
        }
      }
    }
    return new String(code);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private void delete(Connection c, String code) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("DELETE FROM pairing_pending WHERE code = ?")) {
      s.setString(1, code);
      s.executeUpdate();
    }
  }

  private static String target(String channel, String sender) {
    return channel + ":" + sender;
  }

  private static boolean validChannel(String channel) {
    return channel != null && Config.CHANNEL_NAME.matcher(channel).matches();
  }

  private static boolean validSender(String sender) {
    return sender != null && !sender.isEmpty() && sender.length() <= MAX_SENDER_CHARS && sender.indexOf('\0') < 0;
  }

  private static void checkChannel(String channel) {
    if (!validChannel(channel)) {
      throw new BadInputException("a channel name is 1-32 characters of a-z 0-9 _ -, starting with a letter or digit");
    }
  }

  private static void checkSender(String sender) {
    if (!validSender(sender)) {
      throw new BadInputException("a sender id is 1-" + MAX_SENDER_CHARS + " characters, without NUL");
    }
  }

  /** Display only: at most {@value #MAX_NAME_CHARS} characters (a pair never split), NUL replaced; null stays null. */
  static String displayName(String name) {
    if (name == null) {
      return null;
    }
    String n = name.replace('\0', '\uFFFD');
    if (n.length() > MAX_NAME_CHARS) {
      int end = Character.isHighSurrogate(n.charAt(MAX_NAME_CHARS - 1)) ? MAX_NAME_CHARS - 1 : MAX_NAME_CHARS;
      n = n.substring(0, end);
    }
    return n;
  }
}
