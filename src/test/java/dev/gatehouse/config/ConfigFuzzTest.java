package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.testing.FuzzInput;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for {@code gatehouse.yaml} ({@link Config}, {@link Section}, {@link YamlTree}).
 * Contract: a {@link Config} or a {@link ConfigException} that names the file, never another
 * exception, never a hang.
 */
class ConfigFuzzTest {
  private static final String FILE = "/home/x/.gatehouse/gatehouse.yaml";

  @FuzzTest
  @Timeout(10)
  void parse_anyText_isConfigOrConfigException(byte[] data) {
    try {
      assertThat(Config.parse(FILE, FuzzInput.text(data))).isNotNull();
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith(FILE);
      assertThat(e.line()).isNotNegative();
    }
  }
}
