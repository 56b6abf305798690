package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code gatehouse backup} and {@code restore} as a user meets them, and every refusal leaving nothing behind. */
class BackupCliTest extends CliTestBase {
  Path archive;
  Path target;

  @BeforeEach
  void made() throws Exception {
    archive = temp.resolve("backup.ghb");
    target = temp.resolve("restored");
  }

  private void homeWithState() throws Exception {
    assertThat(run("init")).isZero();
    stdin = "s3cret-value".getBytes();
    assertThat(run("vault", "add", "svc.key")).as(err).isZero();
    Path services = home.resolve("services");
    Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path svc = services.resolve("media.yaml");
    Files.writeString(svc, "service: media\nbase_url: http://127.0.0.1:9/\nallow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: header, name: X-Api-Key, secret: svc.key }\nactions:\n  ping: { method: GET, path: /ping }\n");
    Files.setPosixFilePermissions(svc, PosixFilePermissions.fromString("rw-------"));
    assertThat(run("backup", archive.toString())).as(err).isZero();
    assertThat(out).contains("backup written to " + archive);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(archive))).isEqualTo("rw-------");
  }

  private int restore() {
    return run("--home", target.toString(), "restore", archive.toString());
  }

  @Test
  void backupThenRestore_saysWhatItRestored_andTheHomeWorks() throws Exception {
    homeWithState();
    assertThat(restore()).as(err).isZero();
    assertThat(out).contains("vault: ").contains("audit log intact: ").contains("services: 1").contains("state.db: ");
    for (Path p : walk(target)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
          .as(p.toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
    }
    home = target;
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(run("vault", "list")).as(err).isZero();
    assertThat(out).contains("svc.key");
    assertThat(run("service", "list")).as(err).isZero();
    assertThat(out).contains("media");
    assertThat(run("audit", "verify")).as(err).isZero();
  }

  @Test
  void restore_intoAnEmptyFolder_takesItOver() throws Exception {
    homeWithState();
    Files.createDirectory(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    assertThat(restore()).as(err).isZero();
    assertThat(target.resolve("vault.gh")).exists();
  }

  @Test
  void restore_refusesANonEmptyHome() throws Exception {
    homeWithState();
    Files.createDirectory(target);
    Files.writeString(target.resolve("keep.txt"), "mine");
    assertThat(restore()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("is not empty");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.toList()).containsExactly(target.resolve("keep.txt"));
    }
    assertNothingLeft();
  }

  @Test
  void restore_refusesAWrongPassword_andWritesNothing() throws Exception {
    homeWithState();
    Files.writeString(passwordFile, "not-the-password\n");
    assertThat(restore()).isEqualTo(ExitCodes.NO);
    assertThat(err).contains("wrong password or damaged vault file");
    assertThat(target).doesNotExist();
    assertNothingLeft();
  }

  @Test
  void restore_refusesAnyFlippedByte_andWritesNothing() throws Exception {
    homeWithState();
    byte[] good = Files.readAllBytes(archive);
    // Every byte of the header (magic, version, length, vault, wrapped key), then a stride through the chunks.
    int headerEnd = 14 + java.nio.ByteBuffer.wrap(good, 10, 4).getInt();
    List<Integer> positions = new java.util.ArrayList<>();
    for (int i = 0; i < good.length; i += i < headerEnd ? Math.max(1, headerEnd / 40) : Math.max(1, (good.length - headerEnd) / 40)) {
      positions.add(i);
    }
    positions.add(good.length - 1);
    for (int i : positions) {
      byte[] bad = good.clone();
      bad[i] ^= 0x01;
      Files.write(archive, bad);
      assertThat(restore()).as("byte %d flipped", i).isNotZero();
      assertThat(err).as("byte %d", i).containsAnyOf("not an intact Gatehouse backup", "wrong password or damaged vault file");
      assertThat(target).as("byte %d", i).doesNotExist();
      assertNothingLeft();
    }
  }

  @Test
  void restore_refusesATruncatedOrExtendedArchive() throws Exception {
    homeWithState();
    byte[] good = Files.readAllBytes(archive);
    for (int cut : new int[] {good.length - 1, good.length - 17, good.length / 2, 20, 3}) {
      Files.write(archive, java.util.Arrays.copyOf(good, cut));
      assertThat(restore()).as("cut at %d", cut).isNotZero();
      assertThat(err).contains("not an intact Gatehouse backup");
      assertThat(target).doesNotExist();
      assertNothingLeft();
    }
    Files.write(archive, java.util.Arrays.copyOf(good, good.length + 1));
    assertThat(restore()).isNotZero();
    assertThat(err).contains("bytes follow the last chunk");
    assertThat(target).doesNotExist();
  }

  @Test
  void restore_sealedVault_opensOnTheSameMachineOnly() throws Exception {
    assertThat(runRaw(terminal, "init", "--sealed", "--kdf-memory-mib", "8", "--kdf-iterations", "1")).as(err).isZero();
    assertThat(runRaw(terminal, "backup", archive.toString())).as(err).isZero();
    assertThat(runRaw(terminal, "--home", target.toString(), "restore", archive.toString())).as(err).isZero();
    assertThat(out).contains("audit log intact");
    Path other = temp.resolve("elsewhere");
    machine = "machine-id=9999\nhostname=elsewhere".getBytes();
    assertThat(runRaw(terminal, "--home", other.toString(), "restore", archive.toString())).isNotZero();
    assertThat(err).contains("the vault is locked");
    assertThat(other).doesNotExist();
  }

  @Test
  void restore_refusesAnArchiveWhoseAuditLogDoesNotVerify() throws Exception {
    assertThat(run("init")).isZero();
    Path segment = home.resolve("audit/segment-000001.jsonl");
    String log = Files.readString(segment);
    assertThat(log).contains("\"created\"");
    Files.writeString(segment, log.replaceFirst("\"created\"", "\"crEated\"")); // same length, hash no longer matches
    assertThat(run("backup", archive.toString())).as(err).isZero();
    assertThat(restore()).isEqualTo(ExitCodes.NO);
    assertThat(err).contains("audit log is not intact").contains("nothing was restored");
    assertThat(target).doesNotExist();
    assertNothingLeft();
  }

  @Test
  void backup_refusesToOverwrite() throws Exception {
    homeWithState();
    byte[] first = Files.readAllBytes(archive);
    assertThat(run("backup", archive.toString())).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("exists");
    assertThat(Files.readAllBytes(archive)).isEqualTo(first);
  }

  /** Only what the test made: no temporary folder or file of a restore or backup. */
  private void assertNothingLeft() throws Exception {
    try (Stream<Path> s = Files.list(temp)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList()).isEmpty();
    }
  }

  private static List<Path> walk(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.toList();
    }
  }
}
