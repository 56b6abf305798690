package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HomeTest {
  @TempDir
  Path temp;

  private Path create() throws Exception {
    Path dir = temp.resolve("home");
    Home.create(dir, Map.of("gatehouse.yaml", new byte[0]));
    return dir;
  }

  @Test
  void create_makesAnOwnerOnlyHome() throws Exception {
    Path dir = create();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("gatehouse.yaml"))))
        .isEqualTo("rw-------");
  }

  @Test
  void create_refusesAnExistingHome_andChangesNothing() throws Exception {
    Path dir = create();
    Files.writeString(dir.resolve("gatehouse.yaml"), "x");
    assertThatThrownBy(() -> Home.create(dir, Map.of("gatehouse.yaml", new byte[0])))
        .isInstanceOf(BadInputException.class).hasMessageContaining("already exists");
    assertThat(Files.readString(dir.resolve("gatehouse.yaml"))).isEqualTo("x");
  }

  @Test
  void create_takesOverAnEmptyFolder_tighteningItsMode() throws Exception {
    Path dir = Files.createDirectory(temp.resolve("empty"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Home.create(dir, Map.of());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
  }

  @Test
  void open_missingHome_isNotConfigured() {
    assertThatThrownBy(() -> Home.open(temp.resolve("none"))).isInstanceOf(NotConfiguredException.class)
        .hasMessageContaining("gatehouse init");
  }

  @Test
  void open_refusesAGroupReadableHome_namingTheFix() throws Exception {
    Path dir = create();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
    assertThatThrownBy(() -> Home.open(dir)).isInstanceOf(BadInputException.class)
        .hasMessage(dir + " is accessible to group or others (rwxr-x---); fix it with `chmod 700 " + dir + "`");
  }

  @Test
  void open_refusesAWorldWritableStateFile_namingTheFix() throws Exception {
    Path dir = create();
    Path f = dir.resolve("gatehouse.yaml");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThatThrownBy(() -> Home.open(dir)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("`chmod 600 " + f + "`");
  }

  @Test
  void open_refusesASymbolicLinkInside() throws Exception {
    Path dir = create();
    Files.createSymbolicLink(dir.resolve("totp.json"), temp);
    assertThatThrownBy(() -> Home.open(dir)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("symbolic link");
  }

  @Test
  void open_refusesAFileOwnedByAnotherUser() throws Exception {
    Path dir = create();
    Path f = dir.resolve("gatehouse.yaml");
    UserPrincipal other = f.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(
        System.getProperty("user.name").equals("nobody") ? "root" : "nobody");
    try {
      Files.setOwner(f, other);
    } catch (java.nio.file.FileSystemException e) {
      org.junit.jupiter.api.Assumptions.abort("cannot chown here (not root): " + e.getMessage());
    }
    assertThatThrownBy(() -> Home.open(dir)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("is owned by " + other.getName()).hasMessageContaining("chown");
  }

  @Test
  void locate_prefersTheOption_thenTheEnvironment_thenTheUserHome() {
    assertThat(Home.locate("/a", Map.of("GATEHOUSE_HOME", "/b"), "/u")).isEqualTo(Path.of("/a"));
    assertThat(Home.locate(null, Map.of("GATEHOUSE_HOME", "/b"), "/u")).isEqualTo(Path.of("/b"));
    assertThat(Home.locate(null, Map.of(), "/u")).isEqualTo(Path.of("/u/.gatehouse"));
  }
}
