package dev.gatehouse.guard;

import java.util.ArrayList;
import java.util.List;

/**
 * Characters a reader cannot see but a model reads: Unicode tag characters (the U+E0000
 * block), zero-width characters, bidirectional overrides and isolates, and variation
 * selectors used to carry data.
 *
 * <p>What is legitimate is left alone: tag characters that spell a subdivision flag after
 * U+1F3F4 (the flags of England, Scotland, Wales), a zero-width joiner inside an emoji sequence or next to a letter of a script
 * that needs joiners (Persian, Hindi, ...), left-to-right and right-to-left marks, one
 * variation selector after an emoji or a Han ideograph, a byte order mark at the start, and
 * soft hyphens.
 */
final class HiddenCharacters {
  private HiddenCharacters() {}

  /** What {@link #find} saw; all counts are of code points. */
  record Found(int tags, int zeroWidth, int bidi, int selectors) {
    boolean any() {
      return tags + zeroWidth + bidi + selectors > 0;
    }

    String detail() {
      List<String> parts = new ArrayList<>();
      if (tags > 0) {
        parts.add(tags + " tag character" + (tags == 1 ? "" : "s"));
      }
      if (zeroWidth > 0) {
        parts.add(zeroWidth + " zero-width character" + (zeroWidth == 1 ? "" : "s"));
      }
      if (bidi > 0) {
        parts.add(bidi + " bidi control" + (bidi == 1 ? "" : "s"));
      }
      if (selectors > 0) {
        parts.add(selectors + " variation selector" + (selectors == 1 ? "" : "s"));
      }
      return String.join(", ", parts);
    }
  }

  static Found find(String s) {
    int tags = 0;
    int zeroWidth = 0;
    int bidi = 0;
    int selectors = 0;
    int prev = -1; // the previous code point, for context
    int i = 0;
    int n = s.length();
    while (i < n) {
      int cp = s.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (cp == 0x1F3F4) {
        // A subdivision flag: black flag, 1-7 tag letters or digits, CANCEL TAG.
        int j = next;
        int count = 0;
        while (j < n && count < 8) {
          int t = s.codePointAt(j);
          if (t < 0xE0020 || t > 0xE007E) {
            break;
          }
          j += 2;
          count++;
        }
        if (count > 0 && j < n && s.codePointAt(j) == 0xE007F) {
          prev = 0xE007F;
          i = j + 2;
          continue;
        }
      } else if (cp >= 0xE0000 && cp <= 0xE007F) {
        tags++;
      } else if (isBidiControl(cp)) {
        bidi++;
      } else if (cp == 0x200C || cp == 0x200D) {
        int after = next < n ? s.codePointAt(next) : -1;
        boolean runOfHidden = isZeroWidth(prev) || isZeroWidth(after);
        if (runOfHidden || !(joins(prev) || joins(after))) {
          zeroWidth++;
        }
      } else if (cp == 0x200B || cp == 0xFEFF) {
        // Web text often carries a stray zero-width space between words; one inside a word,
        // or several together, is hiding something.
        int after = next < n ? s.codePointAt(next) : -1;
        boolean inWord = Character.isLetterOrDigit(Math.max(prev, 0)) && after >= 0 && Character.isLetterOrDigit(after);
        if (!(cp == 0xFEFF && i == 0) && (inWord || isZeroWidth(prev) || isZeroWidth(after))) {
          zeroWidth++;
        }
      } else if (isZeroWidth(cp)) {
        zeroWidth++;
      } else if (cp >= 0xE0100 && cp <= 0xE01EF) {
        // An ideographic variation sequence is one selector after a Han ideograph.
        boolean ivs = Character.UnicodeScript.of(Math.max(prev, 0)) == Character.UnicodeScript.HAN;
        if (!ivs) {
          selectors++;
        }
      } else if (cp >= 0xFE00 && cp <= 0xFE0F) {
        if (isSelector(prev)) {
          selectors++; // a second selector in a row carries nothing visible
        }
      }
      prev = cp;
      i = next;
    }
    if (selectors == 1) {
      selectors = 0; // a stray selector is noise, not a channel
    }
    return new Found(tags, zeroWidth, bidi, selectors);
  }

  /** Embeddings, overrides and isolates; not the plain LRM/RLM/ALM marks. */
  static boolean isBidiControl(int cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
  }

  static boolean isZeroWidth(int cp) {
    return cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || (cp >= 0x2061 && cp <= 0x2064)
        || cp == 0xFEFF || cp == 0x180E || cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0
        || (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0x1D173 && cp <= 0x1D17A);
  }

  static boolean isSelector(int cp) {
    return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
  }

  /** Whether a joiner next to {@code cp} is doing a legitimate job. */
  private static boolean joins(int cp) {
    if (cp < 0) {
      return false;
    }
    if (isEmoji(cp)) {
      return true;
    }
    if (!Character.isLetter(cp) && Character.getType(cp) != Character.NON_SPACING_MARK
        && Character.getType(cp) != Character.COMBINING_SPACING_MARK) {
      return false;
    }
    Character.UnicodeScript script = Character.UnicodeScript.of(cp);
    return script != Character.UnicodeScript.LATIN && script != Character.UnicodeScript.COMMON
        && script != Character.UnicodeScript.CYRILLIC && script != Character.UnicodeScript.GREEK;
  }

  private static boolean isEmoji(int cp) {
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || cp == 0xFE0F
        || (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0x20E3;
  }

  /** {@code s} without format characters (Cf: zero-width, bidi, tags, soft hyphen, BOM) and variation selectors. */
  static String strip(String s) {
    StringBuilder b = null;
    int n = s.length();
    for (int i = 0; i < n; ) {
      int cp = s.codePointAt(i);
      int len = Character.charCount(cp);
      boolean drop = Character.getType(cp) == Character.FORMAT || isSelector(cp) || isZeroWidth(cp) || cp == 0x034F;
      if (drop && b == null) {
        b = new StringBuilder(n).append(s, 0, i);
      } else if (!drop && b != null) {
        b.appendCodePoint(cp);
      }
      i += len;
    }
    return b == null ? s : b.toString();
  }
}
