package dev.gatehouse.config;

import dev.gatehouse.config.YamlTree.Entry;
import dev.gatehouse.config.YamlTree.MapNode;
import dev.gatehouse.config.YamlTree.Node;
import dev.gatehouse.config.YamlTree.Scalar;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A mapping of a config file being validated: typed reads with defaults and ranges, each
 * problem reported as {@code FILE:LINE: dotted.key ...}. Construct it with the keys the
 * section knows; any other key is refused.
 */
public final class Section {
  private final String file;
  private final String path;
  private final MapNode node;

  private Section(String file, String path, MapNode node) {
    this.file = file;
    this.path = path;
    this.node = node;
  }

  /** The document's root, which must be a mapping with only {@code knownKeys}. */
  public static Section root(String file, Node root, String... knownKeys) {
    if (!(root instanceof MapNode map)) {
      throw new ConfigException(file, root.line(), "the file must be a mapping of keys to values");
    }
    Section s = new Section(file, "", map);
    s.refuseUnknown(knownKeys);
    return s;
  }

  /** The sub-mapping under {@code key} (empty if absent), with only {@code knownKeys}. */
  public Section section(String key, String... knownKeys) {
    Entry e = node.entries().get(key);
    Section s;
    if (e == null || (e.value() instanceof Scalar sc && sc.text() == null)) {
      s = new Section(file, qualified(key), new MapNode(java.util.Map.of(), e == null ? node.line() : e.keyLine()));
    } else if (e.value() instanceof MapNode map) {
      s = new Section(file, qualified(key), map);
    } else {
      throw new ConfigException(file, e.keyLine(), qualified(key) + " must be a mapping of keys to values");
    }
    s.refuseUnknown(knownKeys);
    return s;
  }

  public int integer(String key, int defaultValue, int min, int max) {
    Scalar s = scalar(key);
    if (s == null) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(s.text());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ConfigException(file, s.line(), qualified(key) + " must be a whole number from " + min
        + " to " + max + " (got '" + s.text() + "')");
  }

  public <E extends Enum<E>> E choice(String key, E defaultValue, Class<E> type) {
    Scalar s = scalar(key);
    if (s == null) {
      return defaultValue;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(s.text().toUpperCase(Locale.ROOT))) {
        return constant;
      }
    }
    throw new ConfigException(file, s.line(), qualified(key) + " must be one of "
        + Arrays.toString(type.getEnumConstants()) + " (got '" + s.text() + "')");
  }

  /** A text value that must satisfy {@code valid}; {@code requirement} says what it must be. */
  public String string(String key, String defaultValue, Predicate<String> valid, String requirement) {
    Scalar s = scalar(key);
    if (s == null) {
      return defaultValue;
    }
    if (!valid.test(s.text())) {
      throw new ConfigException(file, s.line(), qualified(key) + " must be " + requirement);
    }
    return s.text();
  }

  /** A text value that must be present and satisfy {@code valid}. */
  public String required(String key, Predicate<String> valid, String requirement) {
    String value = string(key, null, valid, requirement);
    if (value == null) {
      throw new ConfigException(file, node.line(), qualified(key) + " is required: " + requirement);
    }
    return value;
  }

  /** The sub-mapping under {@code key} whose keys are names chosen by the file (e.g. actions). */
  public Section names(String key) {
    Entry e = node.entries().get(key);
    if (e == null || (e.value() instanceof Scalar sc && sc.text() == null)) {
      return new Section(file, qualified(key), new MapNode(java.util.Map.of(), e == null ? node.line() : e.keyLine()));
    }
    if (e.value() instanceof MapNode map) {
      return new Section(file, qualified(key), map);
    }
    throw new ConfigException(file, e.keyLine(), qualified(key) + " must be a mapping of keys to values");
  }

  /** The keys present, in the file's order. */
  public java.util.List<String> keys() {
    return java.util.List.copyOf(node.entries().keySet());
  }

  public boolean has(String key) {
    return node.entries().containsKey(key);
  }

  /** A list of mappings under {@code key}, each with only {@code knownKeys}; empty when absent. */
  public java.util.List<Section> sectionList(String key, String... knownKeys) {
    Entry e = node.entries().get(key);
    if (e == null || (e.value() instanceof Scalar sc && sc.text() == null)) {
      return java.util.List.of();
    }
    if (!(e.value() instanceof YamlTree.ListNode list)) {
      throw new ConfigException(file, e.keyLine(), qualified(key) + " must be a list of mappings, e.g. - { type: ... }");
    }
    java.util.List<Section> out = new java.util.ArrayList<>();
    for (int i = 0; i < list.items().size(); i++) {
      Node item = list.items().get(i);
      if (!(item instanceof MapNode map)) {
        throw new ConfigException(file, item.line(), "each item of " + qualified(key) + " must be a mapping");
      }
      Section s = new Section(file, qualified(key) + "[" + i + "]", map);
      s.refuseUnknown(knownKeys);
      out.add(s);
    }
    return out;
  }

  /** A list of single values under {@code key}; empty when absent. */
  public java.util.List<String> strings(String key, Predicate<String> valid, String requirement) {
    Entry e = node.entries().get(key);
    if (e == null || (e.value() instanceof Scalar sc && sc.text() == null)) {
      return java.util.List.of();
    }
    if (!(e.value() instanceof YamlTree.ListNode list)) {
      throw new ConfigException(file, e.keyLine(), qualified(key) + " must be a list, e.g. [\"a\", \"b\"]");
    }
    java.util.List<String> out = new java.util.ArrayList<>();
    for (Node item : list.items()) {
      if (!(item instanceof Scalar sc) || sc.text() == null || !valid.test(sc.text())) {
        throw new ConfigException(file, item.line(), "each item of " + qualified(key) + " must be " + requirement);
      }
      out.add(sc.text());
    }
    return out;
  }

  /** A problem with {@code key} (or the section itself when absent), as an exception to throw. */
  public ConfigException problem(String key, String message) {
    Entry e = node.entries().get(key);
    return new ConfigException(file, e == null ? node.line() : e.keyLine(), qualified(key) + " " + message);
  }

  public String file() {
    return file;
  }

  /** The scalar under {@code key}, or null when absent or empty. */
  private Scalar scalar(String key) {
    Entry e = node.entries().get(key);
    if (e == null) {
      return null;
    }
    if (!(e.value() instanceof Scalar s)) {
      throw new ConfigException(file, e.keyLine(), qualified(key) + " must be a single value");
    }
    return s.text() == null ? null : s;
  }

  private void refuseUnknown(String... knownKeys) {
    Set<String> known = Set.of(knownKeys);
    for (Entry e : node.entries().values()) {
      if (!known.contains(e.key())) {
        throw new ConfigException(file, e.keyLine(), "unknown key '" + qualified(e.key()) + "'"
            + (known.isEmpty() ? "" : " (known here: " + String.join(", ", new TreeSet<>(known)) + ")"));
      }
    }
  }

  private String qualified(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
