package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ProblemTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @EnumSource(Problem.Kind.class)
  void json_everyKind_isAProblemDocumentWithItsTypeTitleAndStatus(Problem.Kind kind) throws Exception {
    JsonNode n = JSON.readTree(new Problem(kind, null).json(-1));

    assertThat(n.path("type").asText()).isEqualTo("https://gatehouse.dev/problems/" + kind.slug);
    assertThat(n.path("title").asText()).isEqualTo(kind.title);
    assertThat(n.path("status").asInt()).isEqualTo(kind.status);
    assertThat(n.size()).as("no detail and no audit_seq unless given").isEqualTo(3);
  }

  @Test
  void kinds_haveDistinctSlugs() {
    Set<String> slugs = new HashSet<>();
    for (Problem.Kind k : Problem.Kind.values()) {
      assertThat(slugs.add(k.slug)).as(k.slug).isTrue();
    }
  }

  @Test
  void json_detailWithQuotesBackslashesAndControlCharacters_roundTrips() throws Exception {
    String detail = "a \"quoted\" \\ back\\slash\n\t\u0000\u001f </script> \u00fc\u20ac\uD83D\uDE00";

    JsonNode n = JSON.readTree(new Problem(Problem.Kind.BAD_PARAMETERS, detail).json(42));

    assertThat(n.path("detail").asText()).isEqualTo(detail);
    assertThat(n.path("audit_seq").asLong()).isEqualTo(42);
    assertThat(n.size()).isEqualTo(5);
  }
}
