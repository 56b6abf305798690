package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The optional {@code description:} of an action: kept as written, refused with file and line when unfit. */
class ActionDescriptionTest {
  private static final String FILE = "services/svc.yaml";

  private static Service parse(String action) {
    return Catalog.parse(FILE, """
        service: svc
        base_url: https://api.example.com
        auth: { type: bearer, secret: svc.token }
        actions:
          other: { path: /other }
        """ + "  " + action + "\n", name -> true);
  }

  @Test
  void description_isKept_andAbsentIsEmpty() {
    Service s = parse("read: { path: /read, description: \"Read the thing: one line, unicode é ok.\" }");
    assertThat(s.actions().get("read").description()).isEqualTo("Read the thing: one line, unicode é ok.");
    assertThat(s.actions().get("other").description()).isEmpty();
  }

  @Test
  void description_overTheLimit_isRefusedWithFileAndLine() {
    String text = "x".repeat(Action.MAX_DESCRIPTION + 1);
    assertThatThrownBy(() -> parse("read: { path: /read, description: \"" + text + "\" }"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).line()).isEqualTo(6))
        .hasMessageContaining(FILE).hasMessageContaining("description").hasMessageContaining("500");
    assertThat(parse("read: { path: /read, description: \"" + "x".repeat(Action.MAX_DESCRIPTION) + "\" }")
        .actions().get("read").description()).hasSize(Action.MAX_DESCRIPTION);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\\nb", "a\\tb", "a\\u0007b", "invoice \\u202Efdp", "a\\u200Bb", "tag\\U000E0041", "a\\u2028b"})
  void description_withControlFormatOrHiddenCharacters_isRefused(String escaped) {
    assertThatThrownBy(() -> parse("read: { path: /read, description: \"" + escaped + "\" }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("description").hasMessageContaining("control characters")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContainPattern("[\\p{Cc}\\p{Cf}]"));
  }

  @Test
  void description_mustBeText() {
    assertThatThrownBy(() -> parse("read: { path: /read, description: { a: b } }"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("description");
  }
}
