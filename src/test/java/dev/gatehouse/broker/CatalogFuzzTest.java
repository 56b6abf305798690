package dev.gatehouse.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.testing.FuzzInput;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for a catalog file ({@code services/NAME.yaml}: {@link Catalog}, over
 * {@code Section} and {@code YamlTree}). Contract: a {@link Service} or a
 * {@link ConfigException} naming the file, never another exception, never a hang.
 */
class CatalogFuzzTest {
  private static final String FILE = "services/svc.yaml";

  @FuzzTest
  @Timeout(10)
  void parse_anyText_isServiceOrConfigException(byte[] data) {
    try {
      Service s = Catalog.parse(FILE, FuzzInput.text(data), name -> !name.startsWith("missing"));
      assertThat(s.actions()).isNotEmpty();
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith(FILE);
    }
  }
}
