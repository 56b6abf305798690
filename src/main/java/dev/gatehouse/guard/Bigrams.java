package dev.gatehouse.guard;

/**
 * The pairs of adjacent characters in a text, hashed into 4,096 bits: built in one pass, it
 * answers "can this literal occur in the text?" without searching the text. False is exact
 * (a literal whose pairs are not all present does not occur); true may be wrong, and the
 * caller then searches. Literals shorter than two characters always answer true.
 */
final class Bigrams {
  private final long[] bits = new long[64];

  Bigrams(String text) {
    for (int i = 1; i < text.length(); i++) {
      int h = hash(text.charAt(i - 1), text.charAt(i));
      bits[h >>> 6] |= 1L << h;
    }
  }

  /** False only when {@code literal} cannot occur in the text. */
  boolean mayContain(String literal) {
    for (int i = 1; i < literal.length(); i++) {
      int h = hash(literal.charAt(i - 1), literal.charAt(i));
      if ((bits[h >>> 6] & (1L << h)) == 0) {
        return false;
      }
    }
    return true;
  }

  private static int hash(char a, char b) {
    return ((a << 16 | b) * 0x9E3779B1) >>> 20;
  }
}
