package dev.gatehouse.chat.telegram;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an answer into messages Telegram accepts (at most {@link #LIMIT} UTF-16 units each).
 *
 * <p>Guarantees: the pieces joined give the text back unchanged; every piece is 1 to
 * {@code limit} units long; no piece begins or ends inside a surrogate pair (a code point is
 * never cut); a piece that must be cut ends after its last line break when that keeps it at
 * least half full, else at the limit.
 */
final class Pieces {
  /** The Bot API's limit on a message's text. */
  static final int LIMIT = 4096;

  private Pieces() {}

  static List<String> split(String text, int limit) {
    if (limit < 2) {
      throw new IllegalArgumentException("limit must be at least 2 (one code point may take two units)");
    }
    List<String> pieces = new ArrayList<>();
    int start = 0;
    while (text.length() - start > limit) {
      int end = start + limit;
      if (Character.isLowSurrogate(text.charAt(end)) && Character.isHighSurrogate(text.charAt(end - 1))) {
        end--; // the pair goes to the next piece whole
      }
      int newline = text.lastIndexOf('\n', end - 1);
      if (newline >= start + limit / 2) {
        end = newline + 1;
      }
      pieces.add(text.substring(start, end));
      start = end;
    }
    if (start < text.length()) {
      pieces.add(text.substring(start));
    }
    return pieces;
  }
}
