package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the JSON body of a broker call ({@code POST /v1/actions/SERVICE.ACTION}): the
 * parameter checks ({@code Broker.parameters}) and the upstream request built from what passes
 * them ({@code Broker.build}), without a daemon, a vault or an audit log per input (the audit
 * details made from the parameters, {@code Broker.describe}, are not covered). Each input is
 * sent to every action of a catalog that declares every parameter type, a value list, path and
 * query holes, a pass-through path, and JSON and form bodies.
 * Contract: a request or a refusal with a 4xx problem ({@code bad-request}, {@code bad-parameters},
 * {@code path-refused}), never another exception (which would be an HTTP 500), never a hang.
 */
class ActionParametersFuzzTest {
  private static final Service SERVICE = Catalog.parse("services/t.yaml", """
      service: t
      base_url: http://127.0.0.1:8080/base
      auth: { type: query, param: api_key, secret: t.key }
      actions:
        item:
          path: /items/{id}/{kind}
          params: { id: string, kind: "a|b|c", n: "integer?", on: "boolean?" }
          query: { q: "{q}", n: "{n}", on: "{on}" }
        pass:
          path: "{path}"
          allow_paths: ["/api/**", "/v2/*/info"]
        post_json:
          method: POST
          path: /things
          params: { data: json, name: "string?", count: "integer?", on: "boolean?" }
        post_form:
          method: PUT
          path: /form/{id}
          body: form
          params: { id: integer, data: "json?", s: "string?" }
      """, name -> true);
  private static final Map<String, String> SECRETS = Map.of("t.key", "secret-value");
  private static final Set<Problem.Kind> CLEAN = Set.of(Problem.Kind.BAD_REQUEST, Problem.Kind.BAD_PARAMETERS,
      Problem.Kind.PATH_REFUSED);

  /** Input: the request body as sent. */
  @FuzzTest
  @Timeout(10)
  void parametersAndBuild_anyBody_isRequestOrClientError(byte[] data) {
    for (Action action : SERVICE.actions().values()) {
      try {
        Map<String, JsonNode> params = Broker.parameters(action, data);
        Upstream.Request request = Broker.build(SERVICE, action, params, SECRETS);
        assertThat(request.uri().getHost()).isEqualTo("127.0.0.1");
        assertThat(request.uri().getRawPath()).startsWith("/base/");
      } catch (Refused r) {
        assertThat(r.problem().kind()).isIn(CLEAN);
        assertThat(r.problem().status()).isBetween(400, 499);
      }
    }
  }
}
