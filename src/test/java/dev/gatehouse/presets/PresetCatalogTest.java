package dev.gatehouse.presets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.Service;
import dev.gatehouse.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every preset, rendered, passes the catalog's own validator (its vault entries taken as present). */
class PresetCatalogTest {

  @TempDir
  Path tmp;

  static List<String> presets() {
    return Presets.NAMES;
  }

  @ParameterizedTest
  @MethodSource("presets")
  void everyPreset_passesTheCatalogCheck(String preset) throws Exception {
    String yaml = Presets.render(preset, "svc-" + preset.charAt(0), "http://192.168.1.20:8080", List.of("192.168.1.20/32"));
    Path dir = Files.createDirectory(tmp.resolve("services"));
    Files.writeString(dir.resolve("svc-" + preset.charAt(0) + ".yaml"), yaml);

    Throwable e = catchThrowable(() -> Catalog.load(dir, entry -> true));

    assertThat(e).as(preset).isNull();
    Service s = Catalog.load(dir, entry -> true).services().get("svc-" + preset.charAt(0));
    assertThat(s.actions()).isNotEmpty();
    assertThat(s.allowPrivate()).hasSize(1);
    assertThat(s.actions().values()).as("every preset action says what it is for (it becomes the MCP tool's"
        + " description)").allSatisfy(a -> assertThat(a.description()).matches("[A-Z].{10,200}\\."));
  }

  @ParameterizedTest
  @MethodSource("presets")
  void everyVaultEntryThePresetNames_isRequiredByTheCatalog(String preset) throws Exception {
    List<String> entries = Presets.vaultEntries(preset, "x");
    assertThat(entries).isNotEmpty().allMatch(n -> n.matches("x\\.(apikey|token|user|password)"));
    Path dir = Files.createDirectory(tmp.resolve("services"));
    Files.writeString(dir.resolve("x.yaml"), Presets.render(preset, "x", "https://example.com", List.of()));
    for (String missing : entries) {
      Throwable e = catchThrowable(() -> Catalog.load(dir, entry -> !entry.equals(missing)));
      assertThat(e).as(missing).isInstanceOf(ConfigException.class).hasMessageContaining("'" + missing + "'");
    }
    assertThat(Catalog.load(dir, entries::contains).services()).containsKey("x");
  }

  @Test
  void onlyTheThreePlaceholdersAreSubstituted_andNoneIsLeft() {
    for (String p : Presets.NAMES) {
      String t = Presets.template(p);
      assertThat(t.replaceAll("\\$\\{(name|url|allow_private)\\}", "")).as(p).doesNotContain("${");
      String out = Presets.render(p, "media", "http://10.0.0.5:1234", List.of("10.0.0.5/32"));
      assertThat(out).as(p).doesNotContain("${").contains("service: media\n")
          .contains("base_url: \"http://10.0.0.5:1234\"").contains("allow_private: [\"10.0.0.5/32\"]");
      assertThat(Presets.summary(p)).as(p).isNotBlank();
    }
  }
}
