package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.presets.Presets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceCliTest extends CliTestBase {
  /** Presets whose auth type the broker does not have yet: `service add` refuses them until it does. */

  @BeforeEach
  void initHome() {
    assertThat(run("init")).as(err).isZero();
  }

  static java.util.List<String> presets() {
    return Presets.NAMES;
  }

  Path serviceFile(String name) {
    return home.resolve("services").resolve(name + ".yaml");
  }

  @ParameterizedTest
  @MethodSource("presets")
  void addEachPreset_writesA0600File_withNameAndUrlSubstituted(String preset) throws Exception {
    int code = run("service", "add", preset, "--name", "my-" + preset, "--url", "http://192.168.1.20:8080");

    assertThat(code).as(err).isZero();
    Path f = serviceFile("my-" + preset);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent()))).isEqualTo("rwx------");
    String yaml = Files.readString(f);
    assertThat(yaml).doesNotContain("${").contains("service: my-" + preset + "\n")
        .contains("base_url: \"http://192.168.1.20:8080\"\n").contains("allow_private: [\"192.168.1.20/32\"]\n");
    for (String entry : Presets.vaultEntries(preset, "my-" + preset)) {
      assertThat(yaml).contains(entry);
      assertThat(out).contains("gatehouse vault add " + entry + "\n");
    }
    assertThat(out).contains("--allow 'my-" + preset + ".*'").contains("gatehouse reload").contains("Actions: my-" + preset + ".");
    try (var files = Files.list(f.getParent())) {
      assertThat(files.toList()).containsExactly(f); // no temp file left
    }
  }

  @Test
  void theVaultEntriesPrinted_areTheOnesThePresetNeeds() {
    assertThat(run("service", "add", "sonarr", "--name", "tv", "--url", "http://127.0.0.1:8989")).as(err).isZero();
    assertThat(out).contains("gatehouse vault add tv.apikey\n").doesNotContain("tv.user").doesNotContain("tv.token");
    assertThat(out).contains("Actions: tv.lookup, tv.series, tv.queue, tv.command.");

    assertThat(run("service", "add", "github", "--name", "gh", "--url", "https://api.github.com")).as(err).isZero();
    assertThat(out).contains("gatehouse vault add gh.token\n").doesNotContain("gh.apikey");
  }

  @Test
  void anExistingFile_isRefused_andLeftAsItWas() throws Exception {
    assertThat(run("service", "add", "jackett", "--name", "jackett", "--url", "http://127.0.0.1:9117")).isZero();
    Path f = serviceFile("jackett");
    Files.writeString(f, "# mine\n");

    assertThat(run("service", "add", "sonarr", "--name", "jackett", "--url", "http://127.0.0.1:8989"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("already exists").contains("nothing was changed");
    assertThat(Files.readString(f)).isEqualTo("# mine\n");
  }

  @Test
  void anUnknownPreset_isRefused_listingThePresets() {
    assertThat(run("service", "add", "plex", "--name", "plex", "--url", "http://127.0.0.1:32400"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("unknown preset 'plex'").contains("sonarr, radarr, jackett, qbittorrent, jellyfin,"
        + " transmission, github, generic");
    assertThat(home.resolve("services")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Sonarr", "-tv", "a.b", "a/b", "", "abcdefghijklmnopqrstuvwxyz0123456"})
  void aBadName_isRefused(String name) {
    assertThat(run("service", "add", "sonarr", "--name", name, "--url", "http://127.0.0.1:8989"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("is not a service name");
    assertThat(home.resolve("services")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://user:pw@127.0.0.1:8989", "http://0x7f.1:8989", "ftp://127.0.0.1", "127.0.0.1:8989",
      "http://localhost:8989", "http://127.0.0.1:8989/?x=1", "http://169.254.169.254", "http://0.0.0.0:80"})
  void aBadUrl_isRefused_withTheReason(String url) {
    assertThat(run("service", "add", "sonarr", "--name", "tv", "--url", url)).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).startsWith("gatehouse: --url is refused: ");
    assertThat(home.resolve("services")).doesNotExist();
  }

  @Test
  void anIpv4MappedUrl_isRefused_namingTheIpv4AddressToWrite() {
    assertThat(run("service", "add", "sonarr", "--name", "tv", "--url", "http://[::ffff:192.168.1.20]:8989"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).startsWith("gatehouse: --url is refused: ")
        .contains("is an IPv4-mapped IPv6 address; write the IPv4 address 192.168.1.20 instead");
    assertThat(home.resolve("services")).doesNotExist();
  }

  @Test
  void userinfoAndHexShorthand_sayWhatIsWrong() {
    run("service", "add", "sonarr", "--name", "tv", "--url", "http://user:pw@127.0.0.1:8989");
    assertThat(err).contains("userinfo");
    run("service", "add", "sonarr", "--name", "tv", "--url", "http://0x7f.1:8989");
    assertThat(err).contains("0x7f.1");
  }

  @Test
  void allowPrivate_isTheLoopbackOrLanAddress_andEmptyForAPublicOne() throws Exception {
    assertThat(run("service", "add", "sonarr", "--name", "lo", "--url", "http://127.0.0.1:8989")).as(err).isZero();
    assertThat(Files.readString(serviceFile("lo"))).contains("allow_private: [\"127.0.0.1/32\"]\n");
    assertThat(out).contains("loopback");

    assertThat(run("service", "add", "sonarr", "--name", "lan", "--url", "http://192.168.1.20:8989")).as(err).isZero();
    assertThat(Files.readString(serviceFile("lan"))).contains("allow_private: [\"192.168.1.20/32\"]\n");

    assertThat(run("service", "add", "github", "--name", "pub", "--url", "https://140.82.112.6")).as(err).isZero();
    assertThat(Files.readString(serviceFile("pub"))).contains("allow_private: []\n");

    assertThat(run("service", "add", "sonarr", "--name", "v6", "--url", "http://[fd00::20]:8989")).as(err).isZero();
    assertThat(Files.readString(serviceFile("v6"))).contains("allow_private: [\"fd00::20/128\"]\n");
  }

  @Test
  void aDnsName_getsNoAllowPrivate_andANoteToAddItByHand() throws Exception {
    assertThat(run("service", "add", "jellyfin", "--name", "media", "--url", "http://media.home.arpa:8096")).as(err)
        .isZero();
    assertThat(Files.readString(serviceFile("media"))).contains("allow_private: []\n");
    assertThat(out).contains("Note: ").contains("media.home.arpa").contains("allow_private by hand");
  }

  @Test
  void theWrittenFile_isAcceptedByReloadsCheck_onceTheVaultHasItsEntries() throws Exception {
    assertThat(run("service", "add", "jackett", "--name", "jackett", "--url", "http://127.0.0.1:9117")).isZero();
    stdin = "the-key\n".getBytes();
    assertThat(run("vault", "add", "jackett.apikey")).as(err).isZero();
    try (var g = dev.gatehouse.Gatehouse.open(home, clock, new java.security.SecureRandom())) {
      try (var pw = new dev.gatehouse.vault.Credential.Password("test-password".toCharArray())) {
        g.unseal(pw);
      }
      assertThat(g.loadCatalog().action("jackett.search")).isPresent();
    }
  }

  @Test
  void list_showsThePresets_andTheServicesOfTheHome() {
    assertThat(run("service", "list")).as(err).isZero();
    for (String p : Presets.NAMES) {
      assertThat(out).contains("  " + p + " ");
    }
    assertThat(out).contains("No services");

    assertThat(run("service", "add", "radarr", "--name", "movies", "--url", "http://127.0.0.1:7878")).isZero();
    assertThat(run("service", "list")).isZero();
    assertThat(out).contains("Services in ").contains("  movies\n");
  }
}
