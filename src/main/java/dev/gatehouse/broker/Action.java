package dev.gatehouse.broker;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One action of a service: the upstream request it makes, with {@code {name}} holes filled
 * from the caller's parameters.
 *
 * @param path a template starting with {@code /}, or exactly {@code {path}} for a
 *     pass-through action limited to {@code allowPaths}
 * @param query query parameters, values are templates
 * @param params every parameter the caller may send, with its type; holes are required
 * @param description what the action is for, as the owner wrote it (printable, at most
 *     {@link #MAX_DESCRIPTION} characters), or empty
 */
public record Action(String service, String name, String method, String path, Map<String, String> query,
    List<String> allowPaths, Map<String, Param> params, int maxResponseBytes, Duration timeout, dev.gatehouse.trust.Domain domain,
    BodyFormat body, String description) {
  /** The longest {@code description:} a catalog may give an action. */
  public static final int MAX_DESCRIPTION = 500;

  /** {@code json} may carry any JSON value (object, array); it is sent as is, and never fills a hole. */
  public enum Type { STRING, INTEGER, BOOLEAN, JSON }

  /** How the parameters not used in the path or query are sent, for POST, PUT and PATCH. */
  public enum BodyFormat { JSON, FORM }

  /** @param values if not empty, the only values a string parameter may take */
  public record Param(Type type, boolean required, List<String> values) {
    public Param {
      values = List.copyOf(values);
    }

    public Param(Type type, boolean required) {
      this(type, required, List.of());
    }
  }

  public Action {
    query = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(query));
    allowPaths = List.copyOf(allowPaths);
    params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    description = description == null ? "" : description;
  }

  public String fullName() {
    return service + "." + name;
  }

  public boolean passThrough() {
    return path.equals("{path}");
  }
}
