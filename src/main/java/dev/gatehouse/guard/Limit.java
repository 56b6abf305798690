package dev.gatehouse.guard;

import java.time.Duration;
import java.util.Objects;

/**
 * A sliding-window limit: at most {@code max} events in any span of {@code window}. Immutable;
 * checked when built.
 *
 * <p>Guarantees: {@code 1 <= max <= }{@value #MAX_MAX}; the window is a whole number of seconds
 * from one second to one day. The upper bounds keep {@link RateLimiter}'s memory bounded: it keeps
 * one timestamp per accepted event still inside the window. {@link #toString()} is canonical and
 * {@link #parse(String)} reads it back to an equal limit.
 *
 * <p>Text form: {@code max/unit} with unit {@code second}, {@code minute}, {@code hour} or
 * {@code day} ({@code 60/minute}), or {@code max/<n><s|m|h|d>} ({@code 5/10s}, {@code 100/15m}).
 * Numbers are decimal without sign or leading zeros; no spaces, lower case only.
 */
public record Limit(int max, Duration window) {

  /** The largest {@code max}; a key of this limit holds at most this many timestamps. */
  public static final int MAX_MAX = 100_000;
  /** The longest window; a key stays tracked for at most this long after its last event. */
  public static final Duration MAX_WINDOW = Duration.ofDays(1);

  private static final String[] UNIT_WORDS = {"day", "hour", "minute", "second"};
  private static final char[] UNIT_LETTERS = {'d', 'h', 'm', 's'};
  private static final long[] UNIT_SECONDS = {86_400, 3_600, 60, 1};

  public Limit {
    Objects.requireNonNull(window, "window");
    if (max < 1 || max > MAX_MAX) {
      throw new IllegalArgumentException("a limit's max is 1 to " + MAX_MAX + ", not " + max);
    }
    if (window.getNano() != 0 || window.getSeconds() < 1 || window.compareTo(MAX_WINDOW) > 0) {
      throw new IllegalArgumentException(
          "a limit's window is a whole number of seconds from 1 s to 1 day, not " + window);
    }
  }

  /**
   * Parses {@code 60/minute}, {@code 10/second}, {@code 1000/hour}, {@code 5/10s} and the like.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Limit parse(String text) {
    Objects.requireNonNull(text, "text");
    String where = "limit " + IpLiterals.quote(text) + ": ";
    int slash = text.indexOf('/');
    if (slash < 0 || slash != text.lastIndexOf('/')) {
      throw new IllegalArgumentException(where + "write max/window, e.g. 60/minute, 10/second, 1000/hour or 5/10s");
    }
    String maxText = text.substring(0, slash);
    String windowText = text.substring(slash + 1);
    long max = decimal(maxText);
    if (max < 1 || max > MAX_MAX) {
      throw new IllegalArgumentException(where + "the max must be a decimal number 1 to " + MAX_MAX);
    }
    long seconds = windowSeconds(windowText);
    if (seconds < 1 || seconds > MAX_WINDOW.toSeconds()) {
      throw new IllegalArgumentException(where + "the window must be second, minute, hour, day or <n>s, <n>m, <n>h, <n>d"
          + " (n a decimal number) from 1 second to 1 day");
    }
    return new Limit((int) max, Duration.ofSeconds(seconds));
  }

  /** Canonical text: the unit word for a window of exactly one unit, else {@code <n><letter>} with the largest exact unit. */
  @Override
  public String toString() {
    long seconds = window.toSeconds();
    for (int i = 0; i < UNIT_SECONDS.length; i++) {
      if (seconds == UNIT_SECONDS[i]) {
        return max + "/" + UNIT_WORDS[i];
      }
    }
    for (int i = 0; i < UNIT_SECONDS.length; i++) {
      if (seconds % UNIT_SECONDS[i] == 0) {
        return max + "/" + seconds / UNIT_SECONDS[i] + UNIT_LETTERS[i];
      }
    }
    throw new AssertionError("unreachable: every window is a whole number of seconds");
  }

  /** The window in seconds, or -1 if the text is not a window. */
  private static long windowSeconds(String text) {
    for (int i = 0; i < UNIT_WORDS.length; i++) {
      if (text.equals(UNIT_WORDS[i])) {
        return UNIT_SECONDS[i];
      }
    }
    if (text.length() < 2) {
      return -1;
    }
    char letter = text.charAt(text.length() - 1);
    for (int i = 0; i < UNIT_LETTERS.length; i++) {
      if (letter == UNIT_LETTERS[i]) {
        long n = decimal(text.substring(0, text.length() - 1));
        // n <= 999_999 (decimal's bound), so the product cannot overflow
        return n < 0 ? -1 : n * UNIT_SECONDS[i];
      }
    }
    return -1;
  }

  /** A decimal number of 1 to 6 digits without sign or leading zero, or -1. */
  private static long decimal(String text) {
    if (text.isEmpty() || text.length() > 6 || text.length() > 1 && text.charAt(0) == '0'
        || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    return Long.parseLong(text);
  }
}
