package dev.gatehouse.guard;

import com.ibm.icu.lang.UScript;
import com.ibm.icu.text.SpoofChecker;

/**
 * Words that mix Latin letters with look-alike letters of another script ("paypal" whose a is
 * the Cyrillic U+0430): the spoofing that confusables means here. Whether a letter looks like a Latin
 * one is Unicode's answer (UTS #39 confusables data, through ICU's {@link SpoofChecker}
 * skeletons), not a table of ours.
 *
 * <p>Text written in one script is never flagged, whatever script it is: a Russian or Greek
 * word is not a confusable, and neither is a Japanese word that mixes kana, kanji and Latin
 * letters ("Tシャツ", "APIキー"), which is how Japanese is written.
 *
 * <p>Thread-safe: the checker is immutable after it is built, and so is everything here.
 */
final class Confusables {
  private static final SpoofChecker CHECKER = new SpoofChecker.Builder().build();

  private Confusables() {}

  /** What {@link #find} returns: how many spoofed words, and {@code text} with their look-alikes made Latin. */
  record Found(int words, String unspoofed) {}

  /** Finds spoofed words in {@code text} (already NFKC-normalized) and undoes them for the other rules. */
  static Found find(String text) {
    int spoofed = 0;
    StringBuilder out = null;
    int copied = 0; // text[0, copied) is in out
    int n = text.length();
    int i = 0;
    while (i < n) {
      int cp = text.codePointAt(i);
      if (!isWordChar(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      boolean latin = false;
      boolean foreign = false;
      while (i < n) {
        int c = text.codePointAt(i);
        if (!isWordChar(c)) {
          break;
        }
        if (Character.isLetter(c)) {
          int script = UScript.getScript(c);
          if (script == UScript.LATIN) {
            latin = true;
          } else if (isSpoofingScript(script)) {
            foreign = true;
          }
        }
        i += Character.charCount(c);
      }
      if (!(latin && foreign) || i - start > MAX_WORD) {
        continue;
      }
      String latinized = latinize(text.substring(start, i));
      if (latinized == null) {
        continue;
      }
      spoofed++;
      if (out == null) {
        out = new StringBuilder(n);
      }
      out.append(text, copied, start).append(latinized);
      copied = i;
    }
    if (out == null) {
      return new Found(0, text);
    }
    return new Found(spoofed, out.append(text, copied, n).toString());
  }

  private static final int MAX_WORD = 64;

  /**
   * {@code word} with every letter of a foreign script replaced by the Latin letters of its
   * skeleton; null when some foreign letter has no Latin look-alike (then the word is two
   * words run together, or a foreign word with a Latin letter that looks like nothing else,
   * not a disguise).
   */
  private static String latinize(String word) {
    StringBuilder b = new StringBuilder(word.length());
    for (int i = 0; i < word.length(); ) {
      int c = word.codePointAt(i);
      i += Character.charCount(c);
      if (!Character.isLetter(c) || !isSpoofingScript(UScript.getScript(c))) {
        b.appendCodePoint(c);
        continue;
      }
      String skeleton = CHECKER.getSkeleton(new String(Character.toChars(c)));
      if (!isLatin(skeleton)) {
        return null;
      }
      // Keep the case the writer chose (a Greek capital Rho reads as a capital P).
      b.append(Character.isUpperCase(c) ? skeleton : skeleton.toLowerCase(java.util.Locale.ROOT));
    }
    return b.toString();
  }

  private static boolean isLatin(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      int script = UScript.getScript(c);
      if (script != UScript.LATIN && script != UScript.INHERITED) {
        return false;
      }
    }
    return true;
  }

  private static boolean isWordChar(int cp) {
    return Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.NON_SPACING_MARK
        || Character.getType(cp) == Character.COMBINING_SPACING_MARK;
  }

  /**
   * Scripts whose letters pass for Latin ones. Han, kana and Hangul are left out: they are
   * written beside Latin letters inside one word by design, and look like no Latin letter.
   */
  private static boolean isSpoofingScript(int script) {
    return script != UScript.LATIN && script != UScript.COMMON && script != UScript.INHERITED
        && script != UScript.HAN && script != UScript.HIRAGANA && script != UScript.KATAKANA
        && script != UScript.HANGUL && script != UScript.BOPOMOFO && script != UScript.UNKNOWN;
  }
}
