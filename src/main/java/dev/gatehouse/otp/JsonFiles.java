package dev.gatehouse.otp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Reading and writing the small versioned JSON state files of this package. */
final class JsonFiles {
  static final ObjectMapper JSON = new ObjectMapper();

  private JsonFiles() {}

  /** The object in {@code file} (its "v" checked), or null when the file does not exist. */
  static JsonNode read(Path file, int version) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    return parse(bytes, file, version);
  }

  /** The object in {@code bytes} (its "v" checked); {@code file} names the source in errors. */
  static JsonNode parse(byte[] bytes, Path file, int version) throws IOException {
    JsonNode node;
    try {
      node = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw damaged(file, "not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw damaged(file, "not a JSON object");
    }
    if (node.path("v").asInt(-1) != version) {
      throw damaged(file, "unknown format version " + node.path("v"));
    }
    return node;
  }

  static void write(Path file, ObjectNode node) throws IOException {
    AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
  }

  static String text(Path file, JsonNode node, String field) throws IOException {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw damaged(file, "field '" + field + "' is missing or not text");
    }
    return v.asText();
  }

  static int integer(Path file, JsonNode node, String field) throws IOException {
    JsonNode v = node.get(field);
    if (v == null || !v.isInt()) {
      throw damaged(file, "field '" + field + "' is missing or not a whole number");
    }
    return v.asInt();
  }

  /** An RFC 3339 instant, or null when the field is JSON null or absent. */
  static Instant instant(Path file, JsonNode node, String field) throws IOException {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    try {
      return Instant.parse(v.asText());
    } catch (DateTimeParseException e) {
      throw damaged(file, "field '" + field + "' is not a time");
    }
  }

  static IOException damaged(Path file, String why) {
    return new IOException(file + " is damaged (" + why + ")");
  }
}
