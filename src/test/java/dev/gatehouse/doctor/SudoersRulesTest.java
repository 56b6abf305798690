package dev.gatehouse.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the commands that run Gatehouse in sudoers text, through the grammar sudo accepts. */
class SudoersRulesTest {
  private static final Path F = Path.of("/etc/sudoers.d/x");

  private static List<String> commands(String... lines) {
    return SudoersRules.parse(F, List.of(lines)).stream().map(SudoersRules.Command::text).toList();
  }

  @Test
  void parse_userSpecWithRunasAndTags_givesTheCommandAlone() {
    assertThat(commands("agent ALL=(root) NOPASSWD: /usr/local/bin/gatehouse --home /root/gh exec *"))
        .containsExactly("/usr/local/bin/gatehouse --home /root/gh exec *");
  }

  @Test
  void parse_commentsContinuationsAliasesAndLists_areFollowed() {
    assertThat(commands(
        "# agent ALL=(root) NOPASSWD: /usr/local/bin/gatehouse",
        "Defaults env_reset",
        "#includedir /etc/sudoers.d",
        "Cmnd_Alias GH = /opt/gatehouse/gatehouse \\",
        "    --home /root/gh exec *, /usr/bin/true",
        "agent, #1001 ALL = (root) NOPASSWD: /usr/bin/ls, (ALL) /usr/bin/java -jar /opt/gatehouse.jar  # trailing"))
        .containsExactly("/opt/gatehouse/gatehouse --home /root/gh exec *", "/usr/bin/java -jar /opt/gatehouse.jar");
  }

  @Test
  void parse_setenvTag_isRemembered_andNosetenvClearsIt() {
    List<SudoersRules.Command> c = SudoersRules.parse(F, List.of(
        "a ALL=(root) SETENV: NOPASSWD: /x/gatehouse --home /h exec *",
        "b ALL=(root) NOSETENV: /x/gatehouse --home /h exec *"));
    assertThat(c).extracting(SudoersRules.Command::setenv).containsExactly(true, false);
    assertThat(c.get(0).where()).isEqualTo(F + ":1");
  }

  @Test
  void expected_onlyFixedProgramAndHomeBeforeExec() {
    assertThat(SudoersRules.EXPECTED.matcher("/usr/local/bin/gatehouse --home /root/gh exec *").matches()).isTrue();
    assertThat(SudoersRules.EXPECTED.matcher("/usr/bin/java -jar /opt/g.jar --home /root/gh exec *").matches()).isTrue();
    assertThat(SudoersRules.EXPECTED.matcher("/usr/local/bin/gatehouse").matches()).as("no args: any args").isFalse();
    assertThat(SudoersRules.EXPECTED.matcher("/usr/local/bin/gatehouse *").matches()).isFalse();
    assertThat(SudoersRules.EXPECTED.matcher("/usr/local/bin/gatehouse --home /root/* exec *").matches()).isFalse();
    assertThat(SudoersRules.EXPECTED.matcher("/usr/local/bin/gatehouse --home gh exec *").matches()).isFalse();
    assertThat(SudoersRules.EXPECTED.matcher("/usr/local/bin/gatehouse --home /root/gh vault *").matches()).isFalse();
  }

  @Test
  void read_skipsFilesSudoSkips(@TempDir Path etc) throws Exception {
    Path d = Files.createDirectory(etc.resolve("sudoers.d"));
    Files.writeString(etc.resolve("sudoers"), "root ALL=(ALL) ALL\n");
    Files.writeString(d.resolve("gatehouse"), "a ALL=(root) /x/gatehouse\n");
    Files.writeString(d.resolve("gatehouse.bak"), "a ALL=(root) /y/gatehouse\n");
    Files.writeString(d.resolve("gatehouse~"), "a ALL=(root) /z/gatehouse\n");

    assertThat(SudoersRules.read(etc)).extracting(SudoersRules.Command::text).containsExactly("/x/gatehouse");
  }

  /** Whatever wildcard lands wherever before `exec` in the printed line, the line is no longer the printed shape. */
  @net.jqwik.api.Property
  void expected_aWildcardAnywhereBeforeExec_isBroader(
      @net.jqwik.api.ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 1000) int at,
      @net.jqwik.api.ForAll("wildcards") String wildcard) {
    for (String printed : List.of("/usr/local/bin/gatehouse --home /root/gh exec *",
        "/usr/bin/java -jar /opt/gatehouse/gatehouse.jar --home /root/gh exec *")) {
      int before = printed.indexOf(" exec");
      int i = at % (before + 1);
      String widened = printed.substring(0, i) + wildcard + printed.substring(i);
      assertThat(SudoersRules.EXPECTED.matcher(widened).matches()).as(widened).isFalse();
    }
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<String> wildcards() {
    return net.jqwik.api.Arbitraries.of("*", "?", "[a-z]", " *", "* ", "\\*");
  }
}
