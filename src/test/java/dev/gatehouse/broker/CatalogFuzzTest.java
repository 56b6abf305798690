package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.testing.FuzzInput;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for a catalog file ({@code services/NAME.yaml}: {@link Catalog}, over
 * {@code Section} and {@code YamlTree}). Contract: a {@link Service} or a
 * {@link ConfigException} naming the file, never another exception, never a hang; and a
 * service it accepts is one the broker can build requests for.
 */
class CatalogFuzzTest {
  private static final String FILE = "services/svc.yaml";

  @FuzzTest
  @Timeout(10)
  void parse_anyText_isServiceOrConfigException(byte[] data) {
    try {
      Service s = Catalog.parse(FILE, FuzzInput.text(data), name -> !name.startsWith("missing"));
      assertThat(s.actions()).isNotEmpty();
      // What the catalog accepts, the broker can build: every path hole is filled by a
      // required, non-json parameter.
      for (Action a : s.actions().values()) {
        var holes = Catalog.HOLE.matcher(a.path());
        while (holes.find()) {
          Action.Param p = a.params().get(holes.group(1));
          assertThat(p).as("parameter of hole %s in %s", holes.group(), a.path()).isNotNull();
          assertThat(p.required()).as("%s is required", holes.group(1)).isTrue();
          assertThat(p.type()).isNotEqualTo(Action.Type.JSON);
        }
      }
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith(FILE);
    }
  }
}
