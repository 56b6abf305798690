package dev.gatehouse.store;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves the relational state from one {@link StateDb} to another ({@code gatehouse migrate}):
 * every row of every table the two schemas share, inside the caller's transaction on the
 * target, then proven equal table by table there (row count and an order-free digest of the
 * rows' values), before anything is committed. The target must hold no state at all.
 */
public final class StateMigration {
  /** The state's tables (the embedded schema's, but for its legacy replay log, which the target keeps elsewhere). */
  public static final List<String> TABLES = List.of("agent_usage", "approvals", "pairing_pending", "pairing_allowed",
      "pairing_issued", "trust_levels", "trust_changes", "trust_evidence", "action_approvals", "owner_users",
      "owner_sessions", "owner_tokens", "owner_totp_attempts");

  private StateMigration() {}

  /** Thrown when the target already holds state: nothing was written. */
  public static final class NotEmpty extends Exception {
    public NotEmpty(String message) {
      super(message);
    }
  }

  /** The rows in each table of {@code db}, in {@link #TABLES} order. */
  public static Map<String, Long> counts(StateDb db) throws SQLException {
    return db.read(c -> {
      Map<String, Long> out = new LinkedHashMap<>();
      for (String t : TABLES) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t)) {
          rs.next();
          out.put(t, rs.getLong(1));
        }
      }
      return out;
    });
  }

  /**
   * Copies every row from {@code from} into the caller's open transaction on {@code to} (which
   * must hold the state's lock, {@link PgStateDb#STATE_LOCK} on PostgreSQL) and checks the copy
   * there; returns the rows per table. Refuses (NotEmpty) a target with any row in any state
   * table; any failure leaves the transaction for the caller to roll back. Nothing is committed.
   */
  public static Map<String, Long> copy(StateDb from, Connection to) throws SQLException, NotEmpty {
    if (to.getAutoCommit()) {
      throw new IllegalStateException("the state is copied inside the caller's transaction");
    }
    for (Map.Entry<String, Long> e : countsIn(to).entrySet()) {
      if (e.getValue() > 0) {
        throw new NotEmpty("the target already holds state (" + e.getKey() + " has " + e.getValue() + " rows); "
            + "migrate moves a home into an empty database only, and changed nothing");
      }
    }
    Map<String, List<List<Object>>> rows = new LinkedHashMap<>();
    Map<String, List<String>> columns = new LinkedHashMap<>();
    Map<String, String> before = from.read(c -> {
      for (String t : TABLES) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + t)) {
          ResultSetMetaData m = rs.getMetaData();
          List<String> names = new ArrayList<>();
          for (int i = 1; i <= m.getColumnCount(); i++) {
            names.add(m.getColumnName(i));
          }
          columns.put(t, names);
          List<List<Object>> all = new ArrayList<>();
          while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int i = 1; i <= names.size(); i++) {
              row.add(rs.getObject(i));
            }
            all.add(row);
          }
          rows.put(t, all);
        }
      }
      return digestsIn(c); // the same snapshot as the rows
    });
    for (String t : TABLES) {
      List<String> names = columns.get(t);
      String quoted = String.join(", ", names.stream().map(n -> "\"" + n + "\"").toList());
      String marks = String.join(", ", names.stream().map(n -> "?").toList());
      try (PreparedStatement s = to.prepareStatement("INSERT INTO " + t + " (" + quoted + ") VALUES (" + marks + ")")) {
        for (List<Object> row : rows.get(t)) {
          for (int i = 0; i < row.size(); i++) {
            Object v = row.get(i);
            if (v instanceof Number n) {
              s.setLong(i + 1, n.longValue()); // SQLite's INTEGER into BIGINT or INTEGER
            } else {
              s.setObject(i + 1, v);
            }
          }
          s.addBatch();
        }
        s.executeBatch();
      }
    }
    if (to.getMetaData().getDatabaseProductName().equals("PostgreSQL")) {
      try (Statement s = to.createStatement()) { // the next trust change gets the next id
        s.execute("SELECT setval(pg_get_serial_sequence('trust_changes', 'id'),"
            + " coalesce((SELECT max(id) FROM trust_changes), 0) + 1, false)");
      }
    }
    Map<String, String> after = digestsIn(to);
    if (!before.equals(after)) {
      throw new SQLException("the copy differs from the original in " + differing(before, after));
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    rows.forEach((t, r) -> counts.put(t, (long) r.size()));
    return counts;
  }

  /** True when every state table on {@code to} holds exactly what {@code from} holds (each table's count and digest). */
  public static boolean same(StateDb from, Connection to) throws SQLException {
    return from.read(StateMigration::digestsIn).equals(digestsIn(to));
  }

  private static Map<String, Long> countsIn(Connection c) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String t : TABLES) {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t)) {
        rs.next();
        out.put(t, rs.getLong(1));
      }
    }
    return out;
  }

  private static String differing(Map<String, String> a, Map<String, String> b) {
    List<String> out = new ArrayList<>();
    for (String t : TABLES) {
      if (!a.get(t).equals(b.get(t))) {
        out.add(t);
      }
    }
    return String.join(", ", out);
  }

  /**
   * Per table: the row count and the sum (mod 2^256) of each row's SHA-256 over its values,
   * which is the same whatever order either engine returns the rows in.
   */
  private static Map<String, String> digestsIn(Connection c) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String t : TABLES) {
      BigInteger sum = BigInteger.ZERO;
      long n = 0;
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + t)) {
        int width = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          MessageDigest d = sha256();
          for (int i = 1; i <= width; i++) {
            Object v = rs.getObject(i);
            String text = v == null ? "null" : v instanceof Number num ? "n:" + num.longValue() : "s:" + v;
            d.update(text.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
          }
          sum = sum.add(new BigInteger(1, d.digest()));
          n++;
        }
      }
      out.put(t, n + ":" + sum.mod(BigInteger.TWO.pow(256)).toString(16));
    }
    return out;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
