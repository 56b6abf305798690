package dev.gatehouse.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.broker.Broker;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The mapping's rules for any answer and any parameter list, not only the examples of ToolMappingTest. */
class ToolMappingPropertiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Property
  void anyAnswer_mapsToAResult_thatIsAnErrorExactlyWhenTheStatusIsNot2xx(@ForAll @IntRange(min = 100, max = 599) int status,
      @ForAll byte[] body, @ForAll("types") String type) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", type);
    McpSchema.CallToolResult r = ToolMapping.result(new Broker.Answer(status, headers, body));
    assertThat(r.isError()).isEqualTo(status < 200 || status > 299);
    assertThat(r.content()).hasSize(1).allSatisfy(c -> assertThat(c).isInstanceOf(McpSchema.TextContent.class));
  }

  @Provide
  Arbitrary<String> types() {
    return Arbitraries.of("application/json", "application/problem+json", "text/plain", "image/png", "");
  }

  @Property
  void anyParameterList_givesASchemaWithExactlyThoseProperties(@ForAll("params") Map<String, Boolean> params) {
    ObjectNode listing = JSON.createObjectNode();
    ObjectNode a = listing.putArray("actions").addObject();
    a.put("name", "svc.act");
    ObjectNode p = a.putObject("params");
    params.forEach((name, required) -> p.putObject(name).put("type", "string").put("required", required));
    McpSchema.Tool tool = ToolMapping.tools(listing).get(0);
    Map<String, Object> schema = tool.inputSchema();
    assertThat(schema.get("type")).isEqualTo("object");
    assertThat(schema.get("additionalProperties")).isEqualTo(false);
    @SuppressWarnings("unchecked")
    Map<String, Object> properties = (Map<String, Object>) schema.get("properties");
    assertThat(properties.keySet()).containsExactlyInAnyOrderElementsOf(
        java.util.stream.Stream.concat(params.keySet().stream(), java.util.stream.Stream.of(ToolMapping.APPROVAL))
            .toList());
    assertThat(schema.get("required")).isEqualTo(params.entrySet().stream().filter(Map.Entry::getValue)
        .map(Map.Entry::getKey).toList());
  }

  @Provide
  Arbitrary<Map<String, Boolean>> params() {
    return Arbitraries.maps(Arbitraries.strings().withCharRange('a', 'z').withChars('_').ofMinLength(1).ofMaxLength(32),
        Arbitraries.of(true, false)).ofMaxSize(12).map(m -> {
          Map<String, Boolean> ordered = new java.util.LinkedHashMap<>();
          m.forEach(ordered::put);
          return ordered;
        });
  }

  @Property
  void anyArguments_becomeTheBody_withoutTheApproval(@ForAll("args") Map<String, String> args) throws Exception {
    Map<String, Object> withApproval = new TreeMap<>(args);
    withApproval.put(ToolMapping.APPROVAL, "abc");
    ToolMapping.BrokerCall call = ToolMapping.call("svc.act", withApproval);
    assertThat(JSON.readTree(call.body())).isEqualTo(JSON.valueToTree(args));
    assertThat(call.approval()).hasValue("abc");
  }

  @Provide
  Arbitrary<Map<String, String>> args() {
    return Arbitraries.maps(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
        Arbitraries.strings().ofMaxLength(20)).ofMaxSize(6);
  }
}
