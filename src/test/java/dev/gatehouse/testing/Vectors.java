package dev.gatehouse.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads vector files from src/test/resources/vectors. */
public final class Vectors {
  private Vectors() {}

  /** CSV rows; '#' lines are comments. */
  public static List<String[]> csv(String name) {
    List<String[]> rows = text(name).lines().filter(l -> !l.startsWith("#") && !l.isEmpty())
        .map(l -> l.split(",", -1)).toList();
    if (rows.isEmpty()) {
      throw new IllegalStateException("vector file " + name + " has no rows");
    }
    return rows;
  }

  /**
   * A file of named sections: a line {@code == name ==} starts a section, whose text is every
   * following line up to the next section line, joined with "\n" (so a section never ends with a
   * newline of its own). Lines starting with '#' before the first section are comments.
   */
  public static Map<String, String> sections(String name) {
    String text = text(name);
    List<String> lines = List.of((text.endsWith("\n") ? text.substring(0, text.length() - 1) : text).split("\n", -1));
    Map<String, String> sections = new LinkedHashMap<>();
    String current = null;
    int from = 0;
    for (int i = 0; i <= lines.size(); i++) {
      boolean header = i < lines.size() && lines.get(i).startsWith("== ") && lines.get(i).endsWith(" ==");
      if (header || i == lines.size()) {
        if (current != null) {
          sections.put(current, String.join("\n", lines.subList(from, i)));
        }
        if (header) {
          current = lines.get(i).substring(3, lines.get(i).length() - 3);
          from = i + 1;
        }
      } else if (current == null && !lines.get(i).startsWith("#") && !lines.get(i).isEmpty()) {
        throw new IllegalStateException("text before the first section in " + name);
      }
    }
    if (sections.isEmpty()) {
      throw new IllegalStateException("vector file " + name + " has no sections");
    }
    return sections;
  }

  private static String text(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no vector file " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
