package dev.gatehouse.audit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Reads one detail from the recent end of an audit log, without parsing whole entries:
 * what a start needs to rebuild state the log's entries carry (the replay record of signed
 * requests). It trusts the canonical form the writer produces (docs/audit-format.md) and
 * verifies nothing; {@code audit verify} is what proves a log intact. An entry it cannot
 * read is skipped.
 */
public final class AuditTail {
  /** A value of the detail, in an entry recorded at {@code timeMillis}. */
  @FunctionalInterface
  public interface Visitor {
    void visit(long timeMillis, String value);
  }

  private static final byte[] TIME = "\"time\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final int TIME_LENGTH = "uuuu-MM-ddTHH:mm:ss.SSSZ".length();

  private AuditTail() {}

  /**
   * Calls {@code visitor} for every entry of the log in {@code dir} recorded at or after
   * {@code since} that has detail {@code key}, with the detail's value. Segments are read from
   * the newest back to the first one that began before {@code since}.
   *
   * @param key a detail key of letters, digits and {@code _} (found as {@code "key":"} in a line)
   * @return the number of entries read (whether they had the detail or not)
   */
  public static long read(Path dir, Instant since, String key, Visitor visitor) throws IOException {
    if (!key.matches("[a-z0-9_]+")) {
      throw new IllegalArgumentException("detail key " + key);
    }
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    byte[] marker = ("\"" + key + "\":\"").getBytes(StandardCharsets.US_ASCII);
    long from = since.toEpochMilli();
    List<Path> segments = FileAuditLog.segments(dir);
    int first = segments.size();
    while (first > 0) { // back to the newest segment that began before `since`
      first--;
      long began = firstTime(segments.get(first));
      if (began != Long.MIN_VALUE && began < from) {
        break;
      }
    }
    long read = 0;
    for (int i = first; i < segments.size(); i++) {
      read += scan(segments.get(i), from, marker, visitor);
    }
    return read;
  }

  private static long firstTime(Path segment) throws IOException {
    try (Lines lines = new Lines(segment, 4096)) {
      return lines.next() ? time(lines.buf, lines.length) : Long.MIN_VALUE;
    }
  }

  private static long scan(Path segment, long from, byte[] marker, Visitor visitor) throws IOException {
    long read = 0;
    try (Lines lines = new Lines(segment, 1 << 16)) {
      while (lines.next()) {
        read++;
        byte[] line = lines.buf;
        int n = lines.length;
        int at = indexOf(line, n, marker);
        if (at < 0) {
          continue; // most entries: no need to read their time
        }
        long t = time(line, n);
        if (t == Long.MIN_VALUE || t < from) {
          continue;
        }
        int start = at + marker.length;
        int end = start;
        while (end < n && line[end] != '"' && line[end] != '\\') {
          end++;
        }
        if (end < n && line[end] == '"') {
          visitor.visit(t, new String(line, start, end - start, StandardCharsets.US_ASCII));
        }
      }
    }
    return read;
  }

  /** A segment's lines, one at a time, in one reused buffer. */
  private static final class Lines implements AutoCloseable {
    private final InputStream in;
    private final byte[] chunk;
    private int pos;
    private int limit;
    byte[] buf = new byte[1024];
    int length;

    Lines(Path segment, int bufferSize) throws IOException {
      in = Files.newInputStream(segment);
      chunk = new byte[bufferSize];
    }

    /** Reads the next line (without its newline) into {@link #buf}; false at the end. */
    boolean next() throws IOException {
      int n = 0;
      while (true) {
        if (pos == limit) {
          limit = in.read(chunk);
          pos = 0;
          if (limit <= 0) {
            limit = 0;
            length = n;
            return n > 0;
          }
        }
        int end = pos;
        while (end < limit && chunk[end] != '\n') {
          end++;
        }
        int take = end - pos;
        if (n + take > buf.length) {
          buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + take));
        }
        System.arraycopy(chunk, pos, buf, n, take);
        n += take;
        pos = end;
        if (end < limit) {
          pos++; // the newline
          length = n;
          return true;
        }
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** The entry's time in epoch millis, or {@link Long#MIN_VALUE} if the line has none readable. */
  private static long time(byte[] line, int n) {
    int at = indexOf(line, n, TIME);
    if (at < 0 || at + TIME.length + TIME_LENGTH > n) {
      return Long.MIN_VALUE;
    }
    return canonicalTime(line, at + TIME.length);
  }

  /**
   * Epoch millis of the canonical time ({@code uuuu-MM-ddTHH:mm:ss.SSSZ}) at {@code p}, read
   * without building a String; {@link Long#MIN_VALUE} if it is not one.
   */
  static long canonicalTime(byte[] b, int p) {
    if (b[p + 4] != '-' || b[p + 7] != '-' || b[p + 10] != 'T' || b[p + 13] != ':' || b[p + 16] != ':'
        || b[p + 19] != '.' || b[p + 23] != 'Z') {
      return Long.MIN_VALUE;
    }
    int year = digits(b, p, 4);
    int month = digits(b, p + 5, 2);
    int day = digits(b, p + 8, 2);
    int hour = digits(b, p + 11, 2);
    int minute = digits(b, p + 14, 2);
    int second = digits(b, p + 17, 2);
    int milli = digits(b, p + 20, 3);
    if ((year | month | day | hour | minute | second | milli) < 0 || hour > 23 || minute > 59 || second > 59) {
      return Long.MIN_VALUE;
    }
    try {
      long days = java.time.LocalDate.of(year, month, day).toEpochDay();
      return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + milli;
    } catch (java.time.DateTimeException e) {
      return Long.MIN_VALUE;
    }
  }

  private static int digits(byte[] b, int p, int count) {
    int v = 0;
    for (int i = p; i < p + count; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }

  private static int indexOf(byte[] a, int n, byte[] pattern) {
    outer:
    for (int i = 0; i <= n - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (a[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
