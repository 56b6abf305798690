package dev.gatehouse.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ExecHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cgroup each command runs in: made before the program starts, removed when the run is
 * over, and a refusal (nothing run) where it cannot be made. The refusal tests always run; the
 * others need a host where commands can run (see {@link ExecHost}).
 */
class CommandRunnerCgroupTest {
  private static final Duration GRACE = Duration.ofMillis(500);

  @TempDir
  Path temp;

  private static RunSpec spec(String... argv) {
    return new RunSpec(List.of(argv), Duration.ofSeconds(30), RunSpec.DEFAULT_MAX_OUTPUT, false);
  }

  // --- refusal: always runs -------------------------------------------------------------

  @Test
  void noCgroupV2_refusesAndDoesNotRunTheCommand() throws Exception {
    CommandRunner runner = new CommandRunner(Path.of("/nonexistent/bwrap"), GRACE, () -> {
      throw new CgroupUnavailableException("this process is in no cgroup v2 hierarchy");
    });
    Path marker = temp.resolve("ran");

    assertThatThrownBy(() -> runner.run(spec("/usr/bin/touch", marker.toString())))
        .isInstanceOf(CgroupUnavailableException.class)
        .hasMessageContaining("no cgroup v2 hierarchy");
    assertThat(marker).doesNotExist();
    assertThat(runner.cgroupProblem()).hasValueSatisfying(p -> assertThat(p).contains("no cgroup v2 hierarchy"));
  }

  @Test
  void aFolderThatIsNoCgroup_refusesAndDoesNotRunTheCommand() throws Exception {
    Path notACgroup = Files.createDirectory(temp.resolve("plain"));
    CommandRunner runner = new CommandRunner(Path.of("/nonexistent/bwrap"), GRACE, () -> notACgroup);
    Path marker = temp.resolve("ran");

    assertThatThrownBy(() -> runner.run(spec("/usr/bin/touch", marker.toString())))
        .isInstanceOf(CgroupUnavailableException.class)
        .hasMessageContaining("cgroup.kill");
    assertThat(marker).doesNotExist();
    try (var left = Files.list(notACgroup)) {
      assertThat(left).as("the attempted leaf is removed").isEmpty();
    }
  }

  @Test
  void aParentThatCannotBeWritten_refusesAndDoesNotRunTheCommand() throws Exception {
    Path missing = temp.resolve("missing");
    CommandRunner runner = new CommandRunner(Path.of("/nonexistent/bwrap"), GRACE, () -> missing);
    Path marker = temp.resolve("ran");

    assertThatThrownBy(() -> runner.run(spec("/usr/bin/touch", marker.toString())))
        .isInstanceOf(CgroupUnavailableException.class)
        .hasMessageContaining("cannot create a cgroup in " + missing);
    assertThat(marker).doesNotExist();
  }

  // --- a host where commands run -------------------------------------------------------

  @Test
  void theCommand_runsInANewLeafOfGatehousesOwnCgroup_removedAfterTheRun() throws Exception {
    ExecHost.requireCgroups();
    CommandRunner runner = new CommandRunner(Path.of("/nonexistent/bwrap"), GRACE);
    Path own = Cgroup.ownFolder();

    RunResult r = runner.run(spec("/bin/sh", "-c", "grep '^0::' /proc/self/cgroup; grep '^0::' /proc/$$/cgroup"));

    List<String> lines = r.stdoutText().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).as("the command and its children: one cgroup").isEqualTo(lines.get(0));
    String leaf = lines.get(0).substring(lines.get(0).lastIndexOf('/') + 1);
    assertThat(leaf).matches(Cgroup.PREFIX + "[0-9a-f]{16}");
    assertThat(own.resolve(leaf)).as("the leaf was made under our own cgroup").doesNotExist();
    assertThat(lines.get(0)).isEqualTo(ownCgroupLine().replaceFirst("/?$", "/" + leaf));
  }

  @Test
  void cgroupProblem_isEmptyWhereCommandsRun() {
    ExecHost.requireCgroups();

    assertThat(new CommandRunner().cgroupProblem()).isEqualTo(Optional.empty());
  }

  @Test
  void ownFolder_isTheFolderOfThisProcesssCgroup() throws Exception {
    ExecHost.requireCgroups();

    Path own = Cgroup.ownFolder();

    assertThat(own.resolve("cgroup.procs")).isRegularFile();
    assertThat(Files.readAllLines(own.resolve("cgroup.procs"))).contains(Long.toString(ProcessHandle.current().pid()));
  }

  private static String ownCgroupLine() throws Exception {
    return Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::")).findFirst()
        .orElseThrow();
  }
}
