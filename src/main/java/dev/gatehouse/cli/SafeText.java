package dev.gatehouse.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Text that others chose (a chat sender's id or display name), made safe to print: nothing
 * it holds can move the cursor, clear the screen, change the title, reorder what follows
 * (bidi overrides) or hide (zero-width and tag characters).
 */
final class SafeText {
  private SafeText() {}

  /**
   * {@code text} for a terminal: printable characters as they are; a control character
   * (C0, DEL, C1), a format character (bidi controls, zero-width, tags), a line or paragraph
   * separator, an unassigned or private-use code point, and the backslash itself written as
   * escapes (ESC as backslash-x1b, U+202E as backslash-u202e, U+E0041 as backslash-u{e0041}, a
   * backslash doubled), so the output is unambiguous.
   */
  static String terminal(String text) {
    if (text == null) {
      return "-";
    }
    StringBuilder b = new StringBuilder(text.length());
    text.codePoints().forEach(cp -> {
      if (cp == '\\') {
        b.append("\\\\");
      } else if (unsafe(cp)) {
        b.append(cp < 0x100 ? String.format("\\x%02x", cp)
            : cp < 0x10000 ? String.format("\\u%04x", cp) : String.format("\\u{%x}", cp));
      } else {
        b.appendCodePoint(cp);
      }
    });
    return b.toString();
  }

  private static boolean unsafe(int cp) {
    return switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE -> true;
      default -> false;
    };
  }

  /**
   * A JSON writer whose output is ASCII only: every character outside printable ASCII is a
   * backslash-uXXXX escape (still the same string to any JSON reader).
   */
  static ObjectMapper json() {
    ObjectMapper m = new ObjectMapper();
    m.getFactory().setCharacterEscapes(new AsciiEscapes());
    return m;
  }

  private static final class AsciiEscapes extends CharacterEscapes {
    private final int[] ascii = standardAsciiEscapesForJSON();

    AsciiEscapes() {
      ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return ch < 0x80 ? null : new SerializedString(String.format("\\u%04x", ch));
    }
  }
}
