package dev.gatehouse.owner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** The owner plane's answers: JSON, problems, redirects. */
public final class OwnerAnswers {
  private OwnerAnswers() {}

  public static Broker.Answer json(int status, JsonNode body) {
    return new Broker.Answer(status, headers("Content-Type", "application/json"),
        body.toString().getBytes(StandardCharsets.UTF_8));
  }

  public static Broker.Answer problem(Problem problem) {
    return new Broker.Answer(problem.status(), headers("Content-Type", "application/problem+json"), problem.json(-1));
  }

  /** A 303 to {@code location}, which must be a same-site path (see {@link OwnerGate#safeNext}). */
  public static Broker.Answer seeOther(String location) {
    return new Broker.Answer(303, headers("Location", location), new byte[0]);
  }

  /** {@code a} with {@code name}: {@code value} added (replacing one of the same name). */
  public static Broker.Answer with(Broker.Answer a, String name, String value) {
    Map<String, String> h = headers();
    h.putAll(a.headers());
    h.put(name, value);
    return new Broker.Answer(a.status(), h, a.body());
  }

  /** A case-insensitive header map holding the given name, value pairs. */
  public static Map<String, String> headers(String... nameValue) {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i + 1 < nameValue.length; i += 2) {
      h.put(nameValue[i], nameValue[i + 1]);
    }
    return h;
  }
}
