package dev.gatehouse.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Reads a vector file from src/test/resources/vectors: CSV rows, '#' lines are comments. */
public final class Vectors {
  private Vectors() {}

  public static List<String[]> csv(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no vector file " + name);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      List<String[]> rows = text.lines().filter(l -> !l.startsWith("#") && !l.isEmpty())
          .map(l -> l.split(",", -1)).toList();
      if (rows.isEmpty()) {
        throw new IllegalStateException("vector file " + name + " has no rows");
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
