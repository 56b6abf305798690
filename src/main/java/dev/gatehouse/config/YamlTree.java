package dev.gatehouse.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read into a small tree that remembers the line of every key and value, so
 * that whoever validates it can name the line of a problem. Duplicate keys are refused.
 */
public final class YamlTree {
  private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

  /** A node of the tree; {@code line} is 1-based. */
  public sealed interface Node permits MapNode, ListNode, Scalar {
    int line();
  }

  /** A mapping; its entries keep the document's order. */
  public record MapNode(Map<String, Entry> entries, int line) implements Node {
    public MapNode {
      entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }
  }

  public record Entry(String key, int keyLine, Node value) {}

  public record ListNode(List<Node> items, int line) implements Node {
    public ListNode {
      items = List.copyOf(items);
    }
  }

  /** A scalar as written; {@code text} is null for an empty value, {@code ''} or {@code null}. */
  public record Scalar(String text, int line) implements Node {}

  private YamlTree() {}

  /**
   * Parses {@code text}. An empty document is an empty mapping at line 1.
   *
   * @throws ConfigException naming {@code file} and the line of a syntax error
   */
  public static Node parse(String file, String text) {
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return new MapNode(Map.of(), 1);
      }
      Node root = read(file, p);
      if (p.nextToken() != null) {
        throw new ConfigException(file, line(p), "only one YAML document is allowed");
      }
      return root;
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new ConfigException(file, line, "not valid YAML: " + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ConfigException(file, 0, "cannot be read: " + e.getMessage());
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      // The YAML reader's own failure on some inputs (SnakeYAML's StreamReader throws
      // IndexOutOfBoundsException at its 1024-character buffer's end on some texts holding
      // characters outside the BMP; found by ConfigFuzzTest and CatalogFuzzTest): still a
      // refusal of this file, never a crash.
      throw new ConfigException(file, 0, "not valid YAML: the YAML reader failed on it ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private static Node read(String file, JsonParser p) throws IOException {
    int line = line(p);
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Entry> entries = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          int keyLine = line(p);
          if (entries.containsKey(key)) {
            throw new ConfigException(file, keyLine, "duplicate key '" + key + "' (first at line "
                + entries.get(key).keyLine() + ")");
          }
          p.nextToken();
          entries.put(key, new Entry(key, keyLine, read(file, p)));
        }
        return new MapNode(entries, line);
      }
      case START_ARRAY -> {
        List<Node> items = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(read(file, p));
        }
        return new ListNode(items, line);
      }
      case VALUE_NULL -> {
        return new Scalar(null, line);
      }
      default -> {
        if (t.isScalarValue()) {
          String text = p.getText();
          return new Scalar(text == null || text.isEmpty() ? null : text, line); // empty = not set
        }
        throw new ConfigException(file, line, "unexpected YAML content");
      }
    }
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "syntax error";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }
}
