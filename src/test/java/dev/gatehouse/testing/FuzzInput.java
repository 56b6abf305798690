package dev.gatehouse.testing;

import java.nio.charset.StandardCharsets;

/**
 * How the fuzz targets read their raw input, so that every seed file is the text it stands for:
 * decoded as UTF-8 (malformed bytes become U+FFFD, as a lenient reader would see them), and
 * split at the first line feed where a target takes two values.
 */
public final class FuzzInput {
  private FuzzInput() {}

  public static String text(byte[] data) {
    return new String(data, StandardCharsets.UTF_8);
  }

  /** The text before the first line feed, and the rest after it (empty when there is none). */
  public static String[] twoParts(byte[] data) {
    String text = text(data);
    int nl = text.indexOf('\n');
    return nl < 0 ? new String[] {text, ""} : new String[] {text.substring(0, nl), text.substring(nl + 1)};
  }
}
