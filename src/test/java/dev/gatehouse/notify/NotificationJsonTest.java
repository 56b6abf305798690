package dev.gatehouse.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class NotificationJsonTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Whatever text a producer puts in (quotes, controls, any Unicode), the JSON reads back as exactly that. */
  @Property(tries = 500)
  void json_anyNotification_readsBackExactly(@ForAll String event, @ForAll long seconds, @ForAll String summary,
      @ForAll @Size(max = 8) Map<String, String> fields) throws Exception {
    Instant time = Instant.ofEpochSecond(Math.floorMod(seconds, 400L * 365 * 86400));
    Notification n = new Notification(event, time, summary, fields);

    JsonNode json = JSON.readTree(n.json());

    assertThat(json.fieldNames()).toIterable().containsExactly("event", "time", "summary", "fields");
    assertThat(json.get("event").asText()).isEqualTo(event);
    assertThat(Instant.parse(json.get("time").asText())).isEqualTo(time);
    assertThat(json.get("summary").asText()).isEqualTo(summary);
    assertThat(JSON.convertValue(json.get("fields"), new TypeReference<Map<String, String>>() { })).isEqualTo(fields);
    assertThat(n.json()).isEqualTo(new Notification(event, time, summary, fields).json()); // the bytes signed are stable
  }

  @Test
  void json_knownAnswer() {
    Notification n = new Notification("trust.changed", Instant.parse("2026-12-06T15:00:00Z"), "shell: 3 -> 2",
        Map.of("to", "2", "domain", "shell", "from", "3"));
    assertThat(new String(n.json(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"event\":\"trust.changed\","
        + "\"time\":\"2026-12-06T15:00:00Z\",\"summary\":\"shell: 3 -> 2\",\"fields\":{\"domain\":\"shell\",\"from\":"
        + "\"3\",\"to\":\"2\"}}");
  }
}
