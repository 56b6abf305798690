package dev.gatehouse.dashboard;

/**
 * The one escaping rule of the dashboard: every dynamic value goes through {@link #text}
 * before it reaches a page, in element content and in quoted attribute values alike. With
 * {@code & < > " '} replaced, a value can neither open a tag nor leave its attribute, so a
 * name or summary chosen by an agent or a chat sender renders as inert text.
 */
final class Html {
  private Html() {}

  /** {@code value} escaped for element content or a double- or single-quoted attribute; null is empty. */
  static String text(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> {
          // control characters other than tab and newline have no place in a page
          if (c < 0x20 && c != '\t' && c != '\n' || c == 0x7f) {
            out.append('\uFFFD');
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
