package dev.gatehouse.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A strict reader of the Prometheus text format 0.0.4 for tests: every sample line is parsed
 * (name, labels with their escapes, value), and a line that is not a comment, blank or a
 * well-formed sample fails the parse, so a test cannot pass over text it did not read.
 */
public final class PrometheusText {
  /** One sample: {@code name{labels} value}. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;
  private final Map<String, String> types = new LinkedHashMap<>();

  private PrometheusText(String text) {
    List<Sample> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : text.split("\n", -1)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] p = line.split(" ", 4);
        if (p.length >= 4 && p[1].equals("TYPE")) {
          types.put(p[2], p[3]);
        }
        continue;
      }
      out.add(sample(line, lineNo));
    }
    this.samples = List.copyOf(out);
  }

  public static PrometheusText parse(String text) {
    return new PrometheusText(text);
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The {@code # TYPE} of metric family {@code name}, if declared. */
  public Optional<String> type(String name) {
    return Optional.ofNullable(types.get(name));
  }

  /** The value of the one sample named {@code name} whose labels include {@code labels} (k, v, k, v, ...); 0 if none. */
  public double value(String name, String... labels) {
    List<Sample> found = find(name, labels);
    if (found.size() > 1) {
      throw new AssertionError(found.size() + " samples match " + name + " " + List.of(labels));
    }
    return found.isEmpty() ? 0 : found.get(0).value();
  }

  /** Every sample named {@code name} whose labels include {@code labels}. */
  public List<Sample> find(String name, String... labels) {
    return samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
      for (int i = 0; i < labels.length; i += 2) {
        if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
          return false;
        }
      }
      return true;
    }).toList();
  }

  private static Sample sample(String line, int lineNo) {
    int i = 0;
    while (i < line.length() && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_'
        || line.charAt(i) == ':')) {
      i++;
    }
    if (i == 0) {
      throw bad(lineNo, line, "no metric name");
    }
    String name = line.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        if (eq < 0 || line.charAt(eq + 1) != '"') {
          throw bad(lineNo, line, "a label without =\"");
        }
        String key = line.substring(i, eq);
        if (!key.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
          throw bad(lineNo, line, "label name " + key);
        }
        StringBuilder v = new StringBuilder();
        int j = eq + 2;
        for (; line.charAt(j) != '"'; j++) {
          char c = line.charAt(j);
          if (c == '\\') {
            char n = line.charAt(++j);
            v.append(n == 'n' ? '\n' : n);
          } else {
            v.append(c);
          }
        }
        if (labels.put(key, v.toString()) != null) {
          throw bad(lineNo, line, "label " + key + " twice");
        }
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      i++;
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw bad(lineNo, line, "no space before the value");
    }
    String[] rest = line.substring(i + 1).split(" ");
    double value = switch (rest[0]) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(rest[0]);
    };
    return new Sample(name, Map.copyOf(labels), value);
  }

  private static IllegalArgumentException bad(int lineNo, String line, String why) {
    return new IllegalArgumentException("line " + lineNo + " is not a sample (" + why + "): " + line);
  }
}
