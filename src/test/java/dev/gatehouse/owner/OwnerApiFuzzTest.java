package dev.gatehouse.owner;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Problem;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for what a client of the owner API controls before any session is checked or
 * any store is reached: the login body ({@code OwnerApi.loginBody}), every other JSON body
 * ({@code OwnerApi.object}) and the audit listing's query ({@code OwnerApi.query}).
 * Contract: the parsed value, or an {@link OwnerProblem} {@code bad-request}; never another
 * exception (an HTTP 500), never a hang.
 */
class OwnerApiFuzzTest {
  /** Input: the request body as sent. */
  @FuzzTest
  @Timeout(10)
  void loginBody_anyBody_isCredentialsOrBadRequest(byte[] data) {
    try {
      OwnerApi.LoginBody b = OwnerApi.loginBody(data);
      assertThat(b.user()).isNotNull();
      assertThat(b.password()).isNotNull();
      assertThat(b.code()).isNotNull();
      assertThat(b.toString()).doesNotContain(new String(b.password())).doesNotContain(b.code().isEmpty() ? "\0" : b.code());
      b.wipe();
      assertThat(new String(b.password())).matches("\0*");
    } catch (OwnerProblem p) {
      assertThat(p.problem().kind()).isEqualTo(Problem.Kind.BAD_REQUEST);
    }
  }

  /** Input: the request body as sent. */
  @FuzzTest
  @Timeout(10)
  void object_anyBody_isObjectOrBadRequest(byte[] data) {
    try {
      var o = OwnerApi.object(new Broker.Call("POST", "x", "/v1/owner/x", null, Map.of(), data, "127.0.0.1"),
          Set.of("level", "reason", "refresh_token", "code"));
      assertThat(o.isObject()).isTrue();
      o.fieldNames().forEachRemaining(f -> assertThat(f).isIn("level", "reason", "refresh_token", "code"));
    } catch (OwnerProblem p) {
      assertThat(p.problem().kind()).isEqualTo(Problem.Kind.BAD_REQUEST);
    }
  }

  /** Input: the raw query string. */
  @FuzzTest
  @Timeout(10)
  void query_anyText_isParametersOrBadRequest(byte[] data) {
    try {
      Map<String, String> q = OwnerApi.query(new String(data, StandardCharsets.UTF_8),
          Set.of("type", "actor", "since", "limit"));
      assertThat(q.keySet()).allSatisfy(k -> assertThat(k).isIn("type", "actor", "since", "limit"));
    } catch (OwnerProblem p) {
      assertThat(p.problem().kind()).isEqualTo(Problem.Kind.BAD_REQUEST);
    }
  }
}
