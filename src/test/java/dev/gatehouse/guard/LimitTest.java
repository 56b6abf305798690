package dev.gatehouse.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LimitTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "60/minute|60|60|60/minute",
      "10/second|10|1|10/second",
      "1000/hour|1000|3600|1000/hour",
      "3/day|3|86400|3/day",
      "5/10s|5|10|5/10s",
      "5/1s|5|1|5/second",
      "5/60s|5|60|5/minute",
      "5/90s|5|90|5/90s",
      "5/120s|5|120|5/2m",
      "100/15m|100|900|100/15m",
      "100/60m|100|3600|100/hour",
      "7/2h|7|7200|7/2h",
      "7/24h|7|86400|7/day",
      "1/1d|1|86400|1/day",
      "100000/second|100000|1|100000/second",
  })
  void parse_validForms_giveMaxWindowAndCanonicalText(String text, int max, long seconds, String canonical) {
    Limit limit = Limit.parse(text);
    assertThat(limit.max()).isEqualTo(max);
    assertThat(limit.window()).isEqualTo(Duration.ofSeconds(seconds));
    assertThat(limit).hasToString(canonical);
    assertThat(Limit.parse(canonical)).isEqualTo(limit);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "60|limit \"60\": write max/window",
      "60/minute/2|limit \"60/minute/2\": write max/window",
      "''|limit \"\": write max/window",
      "/minute|the max must be a decimal number 1 to 100000",
      "0/minute|the max must be a decimal number 1 to 100000",
      "-1/minute|the max must be a decimal number 1 to 100000",
      "+1/minute|the max must be a decimal number 1 to 100000",
      "060/minute|the max must be a decimal number 1 to 100000",
      "100001/minute|the max must be a decimal number 1 to 100000",
      "99999999999999999999/minute|the max must be a decimal number 1 to 100000",
      "1.5/minute|the max must be a decimal number 1 to 100000",
      "60 /minute|the max must be a decimal number 1 to 100000",
      "60/|the window must be",
      "60/minutes|the window must be",
      "60/Minute|the window must be",
      "60/ minute|the window must be",
      "60/min|the window must be",
      "60/week|the window must be",
      "5/0s|the window must be",
      "5/010s|the window must be",
      "5/10|the window must be",
      "5/s|the window must be",
      "5/10ms|the window must be",
      "5/1.5s|the window must be",
      "5/25h|the window must be",
      "5/86401s|the window must be",
      "5/2d|the window must be",
      "5/999999d|the window must be",
      "5/-10s|the window must be",
  })
  void parse_malformed_isRefusedNamingTheText(String text, String message) {
    assertThatThrownBy(() -> Limit.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("limit \"" + text + "\": ")
        .hasMessageContaining(message);
  }

  @Test
  void parse_controlCharacters_areEscapedInTheMessage() {
    assertThatThrownBy(() -> Limit.parse("5/10s\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("limit \"5/10s\\u000a\": ");
  }

  @Test
  void parse_null_isRefused() {
    assertThatThrownBy(() -> Limit.parse(null)).isInstanceOf(NullPointerException.class);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "0|PT1M|max is 1 to 100000, not 0",
      "-5|PT1M|max is 1 to 100000, not -5",
      "100001|PT1M|max is 1 to 100000, not 100001",
      "1|PT0S|window is a whole number of seconds from 1 s to 1 day, not PT0S",
      "1|PT0.999S|window is a whole number of seconds from 1 s to 1 day, not PT0.999S",
      "1|PT1.5S|window is a whole number of seconds from 1 s to 1 day, not PT1.5S",
      "1|PT-1S|window is a whole number of seconds from 1 s to 1 day, not PT-1S",
      "1|PT24H1S|window is a whole number of seconds from 1 s to 1 day, not PT24H1S",
  })
  void constructor_outOfRange_isRefused(int max, String window, String message) {
    assertThatThrownBy(() -> new Limit(max, Duration.parse(window)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void constructor_bounds_areAccepted() {
    assertThat(new Limit(1, Duration.ofSeconds(1))).hasToString("1/second");
    assertThat(new Limit(Limit.MAX_MAX, Limit.MAX_WINDOW)).hasToString("100000/day");
    assertThatThrownBy(() -> new Limit(1, null)).isInstanceOf(NullPointerException.class);
  }

  @Property
  void toString_thenParse_isTheSameLimit(
      @ForAll @IntRange(min = 1, max = Limit.MAX_MAX) int max,
      @ForAll @IntRange(min = 1, max = 86_400) int seconds) {
    Limit limit = new Limit(max, Duration.ofSeconds(seconds));
    assertThat(Limit.parse(limit.toString())).isEqualTo(limit);
  }
}
