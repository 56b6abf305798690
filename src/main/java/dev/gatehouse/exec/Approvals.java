package dev.gatehouse.exec;

import dev.gatehouse.Sha256;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.store.StateDb;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Bound approvals in {@code state.db}: a request names one exact argv (by SHA-256 of its
 * canonical JSON) and its requester; the owner's approval covers that and nothing else; a
 * run takes it once. A request not approved within the window, or approved but not run
 * within the window after approval, is denied.
 */
public final class Approvals {
  private static final String ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A pending or approved request. */
  public record Request(String id, List<String> argv, String argvSha256, String requester, Instant requestedAt,
      Instant expiresAt, Optional<Instant> approvedAt, Optional<Instant> usedAt) {}

  /** Why a run was refused. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  private final StateDb db;
  private final SecureRandom random;
  private final Duration window;

  public Approvals(StateDb db, SecureRandom random, Duration window) {
    this.db = db;
    this.random = random;
    this.window = window;
  }

  public Duration window() {
    return window;
  }

  public Request request(List<String> argv, String requester, Instant now) throws SQLException {
    char[] id = new char[10];
    for (int i = 0; i < id.length; i++) {
      id[i] = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
    }
    String argvJson = json(argv);
    Request r = new Request(new String(id), argv, sha256(argvJson), requester, now, now.plus(window), Optional.empty(),
        Optional.empty());
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO approvals (id, argv, argv_sha256, requester,"
          + " requested_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
        s.setString(1, r.id());
        s.setString(2, argvJson);
        s.setString(3, r.argvSha256());
        s.setString(4, requester);
        s.setLong(5, now.toEpochMilli());
        s.setLong(6, r.expiresAt().toEpochMilli());
        s.executeUpdate();
      }
      return null;
    });
    return r;
  }

  public Optional<Request> find(String id) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT id, argv, argv_sha256, requester, requested_at, expires_at,"
          + " approved_at, used_at FROM approvals WHERE id = ?")) {
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          List<String> argv;
          try {
            argv = JSON.readValue(rs.getString(2), new TypeReference<List<String>>() {});
          } catch (java.io.IOException e) {
            throw new SQLException("approval " + id + " holds a damaged argv", e);
          }
          long approved = rs.getLong(7);
          Optional<Instant> approvedAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(approved));
          long used = rs.getLong(8);
          Optional<Instant> usedAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(used));
          return Optional.of(new Request(rs.getString(1), argv, rs.getString(3), rs.getString(4),
              Instant.ofEpochMilli(rs.getLong(5)), Instant.ofEpochMilli(rs.getLong(6)), approvedAt, usedAt));
        }
      }
    });
  }

  /** Marks {@code id} approved (the caller has verified the owner's code); the run window starts now. */
  public void approve(String id, String approver, Instant now) throws SQLException, Refused {
    Request r = find(id).orElseThrow(() -> new Refused("no request " + id));
    if (r.approvedAt().isPresent()) {
      throw new Refused("request " + id + " is already approved");
    }
    if (!now.isBefore(r.expiresAt())) {
      throw new Refused("request " + id + " expired at " + r.expiresAt() + " without an approval; ask again");
    }
    db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE approvals SET approved_at = ?, approved_by = ?,"
          + " expires_at = ? WHERE id = ? AND approved_at IS NULL")) {
        s.setLong(1, now.toEpochMilli());
        s.setString(2, approver);
        s.setLong(3, now.plus(window).toEpochMilli());
        s.setString(4, id);
        s.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Takes the approval for one run: it must exist, be approved, unused, unexpired, asked by
   * {@code requester}, and its argv must still hash to what was approved. Marked used in the
   * same transaction, so two runs cannot both take it.
   */
  public List<String> take(String id, String requester, Instant now) throws SQLException, Refused {
    Optional<Request> found = find(id);
    if (found.isEmpty()) {
      throw new Refused("no request " + id);
    }
    Request r = found.get();
    if (!MessageDigest.isEqual(r.requester().getBytes(StandardCharsets.UTF_8),
        requester.getBytes(StandardCharsets.UTF_8))) {
      throw new Refused("request " + id + " was made by another user");
    }
    if (r.approvedAt().isEmpty()) {
      throw new Refused(now.isBefore(r.expiresAt()) ? "request " + id + " is not approved yet"
          : "request " + id + " expired without an approval");
    }
    if (r.usedAt().isPresent()) {
      throw new Refused("request " + id + " was already run; an approval runs its command once");
    }
    if (!now.isBefore(r.expiresAt())) {
      throw new Refused("the approval of request " + id + " expired at " + r.expiresAt());
    }
    if (!MessageDigest.isEqual(sha256(json(r.argv())).getBytes(StandardCharsets.US_ASCII),
        r.argvSha256().getBytes(StandardCharsets.US_ASCII))) {
      throw new Refused("request " + id + " no longer matches what was approved");
    }
    int taken = db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE approvals SET used_at = ? WHERE id = ? AND used_at IS NULL")) {
        s.setLong(1, now.toEpochMilli());
        s.setString(2, id);
        return s.executeUpdate();
      }
    });
    if (taken != 1) {
      throw new Refused("request " + id + " was already run; an approval runs its command once");
    }
    return r.argv();
  }

  static String json(List<String> argv) {
    try {
      return JSON.writeValueAsString(argv);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(String text) {
    return Sha256.hex(text.getBytes(StandardCharsets.UTF_8));
  }
}
