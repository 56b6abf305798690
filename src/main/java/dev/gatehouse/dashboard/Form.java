package dev.gatehouse.dashboard;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An {@code application/x-www-form-urlencoded} body or a query string, read strictly: the
 * first value of a name counts, a malformed escape makes the whole form empty (a request
 * that cannot be read changes nothing), and at most {@link #MAX_FIELDS} fields are read.
 */
record Form(Map<String, String> fields) {
  static final int MAX_FIELDS = 32;

  static Form parse(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return new Form(Map.of());
    }
    try {
      for (String pair : encoded.split("&", MAX_FIELDS + 1)) {
        if (out.size() >= MAX_FIELDS || pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.putIfAbsent(name, value);
      }
    } catch (IllegalArgumentException e) {
      return new Form(Map.of());
    }
    return new Form(Map.copyOf(out));
  }

  static Form parse(byte[] body) {
    return parse(new String(body, StandardCharsets.UTF_8));
  }

  /** The trimmed value of {@code name}, empty when absent or blank. */
  Optional<String> get(String name) {
    String v = fields.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  /** The value of {@code name} as given (not trimmed), or null. */
  String raw(String name) {
    return fields.get(name);
  }
}
