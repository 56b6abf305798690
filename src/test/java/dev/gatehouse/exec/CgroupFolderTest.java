package dev.gatehouse.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the leaves are made, from /proc/self/cgroup and /proc/self/mountinfo as the hosts
 * Gatehouse runs on write them (the mount points are folders under a temporary folder).
 */
class CgroupFolderTest {
  @TempDir
  Path temp;

  private Path dir(String rel) throws Exception {
    return Files.createDirectories(temp.resolve(rel));
  }

  @Test
  void pureCgroupV2WithSystemd_isTheSessionScope() throws Exception {
    Path scope = dir("sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope");

    Path folder = Cgroup.folderOf(List.of("0::/user.slice/user-1000.slice/session-3.scope"), List.of(
        "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
        "35 24 0:30 / " + temp + "/sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate"));

    assertThat(folder).isEqualTo(scope);
  }

  @Test
  void hybridHost_isTheUnifiedHierarchy() throws Exception {
    Path unified = dir("sys/fs/cgroup/unified");

    Path folder = Cgroup.folderOf(List.of("9:name=systemd:/", "4:memory:/process_api/b6fc", "1:cpu:/", "0::/"), List.of(
        "33 31 0:30 / " + temp + "/sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
        "41 31 0:38 / " + temp + "/sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"));

    assertThat(folder).isEqualTo(unified);
  }

  @Test
  void aBindMountedSubtree_isFoundBelowItsRoot() throws Exception {
    Path own = dir("cg/job");

    Path folder = Cgroup.folderOf(List.of("0::/docker/abc/job"), List.of(
        "50 40 0:30 /docker/abc " + temp + "/cg rw,relatime master:9 - cgroup2 cgroup2 rw"));

    assertThat(folder).isEqualTo(own);
  }

  @Test
  void octalEscapesInTheMountPoint_areDecoded() throws Exception {
    Path unified = dir("with space/unified");

    Path folder = Cgroup.folderOf(List.of("0::/"), List.of(
        "41 31 0:38 / " + temp + "/with\\040space/unified rw - cgroup2 cgroup2 rw"));

    assertThat(folder).isEqualTo(unified);
  }

  @Test
  void cgroupV1Only_orNoMount_orOutsideTheNamespace_isRefusedWithTheReason() throws Exception {
    dir("sys/fs/cgroup/unified");
    List<String> cgroup2 = List.of("41 31 0:38 / " + temp + "/sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw");

    assertThatThrownBy(() -> Cgroup.folderOf(List.of("4:memory:/x", "1:cpu:/"), cgroup2))
        .isInstanceOf(CgroupUnavailableException.class).hasMessageContaining("cgroup v1 only");
    assertThatThrownBy(() -> Cgroup.folderOf(List.of("0::/"), List.of(
        "33 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory")))
        .isInstanceOf(CgroupUnavailableException.class).hasMessageContaining("no cgroup2 file system is mounted");
    assertThatThrownBy(() -> Cgroup.folderOf(List.of("0::/../../elsewhere"), cgroup2))
        .isInstanceOf(CgroupUnavailableException.class).hasMessageContaining("outside its cgroup namespace");
    assertThatThrownBy(() -> Cgroup.folderOf(List.of("0::/system.slice/gone.service"), cgroup2))
        .isInstanceOf(CgroupUnavailableException.class).hasMessageContaining("is not visible under");
  }
}
