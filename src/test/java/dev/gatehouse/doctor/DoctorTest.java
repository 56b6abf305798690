package dev.gatehouse.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.TestHome;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the command line cannot reach: the free space the audit log's file system reports. */
class DoctorTest {
  @TempDir
  Path temp;

  private Doctor.Report run(Path home, long freeBytes) {
    return Doctor.run(new Inspection.Settings(home, Clock.systemUTC(), new SecureRandom(), Map.of(), temp.toString(),
        System.getProperty("user.name"), temp.resolve("etc"), List.of(), dir -> freeBytes, vault -> null), false, false);
  }

  /** With the master password given, as --password-file gives it. */
  private Doctor.Report runUnsealed(Path home) {
    return Doctor.run(new Inspection.Settings(home, Clock.systemUTC(), new SecureRandom(), Map.of(), temp.toString(),
        System.getProperty("user.name"), temp.resolve("etc"), List.of(), dir -> 5L << 30,
        vault -> new dev.gatehouse.vault.Credential.Password(TestHome.PASSWORD.toCharArray())), false, false);
  }

  @Test
  void storageUnreachable_onPostgres_isCriticalUntilTheDatabaseCanBeUsed() throws Exception {
    Path home = TestHome.create(temp);
    var db = dev.gatehouse.testing.PgDatabases.usePostgres(home);
    assertThat(found(runUnsealed(home), "storage.unreachable")).isEmpty();
    assertThat(found(runUnsealed(home), "trust.high")).isEmpty(); // read from the database, not skipped
    // The vault checks read vault.gh's header, which needs neither the password nor the database.
    for (Doctor.Report r : List.of(runUnsealed(home), run(home, 5L << 30))) {
      assertThat(found(r, "doctor.check_failed")).as("every check finishes on a home on postgres").isEmpty();
    }
    assertThat(found(run(home, 5L << 30), "doctor.not_checked")).as("without the password: said, not failed")
        .singleElement().satisfies(f -> assertThat(f.message()).contains("catalog.invalid"));
    // A wrong password in vault.gh, the replica's own vault, which is where it reads the database's.
    try (var g = dev.gatehouse.Gatehouse.open(home, Clock.systemUTC(), new SecureRandom());
        var pw = new dev.gatehouse.vault.Credential.Password(TestHome.PASSWORD.toCharArray())) {
      g.localVault().unseal(pw);
      g.localVault().put(dev.gatehouse.testing.PgDatabases.PASSWORD_ENTRY,
          "not-the-password".getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
    }
    List<Finding> f = found(runUnsealed(home), "storage.unreachable");
    assertThat(f).singleElement().extracting(Finding::severity).isEqualTo(Finding.Severity.CRITICAL);
    assertThat(f.get(0).message()).contains("password authentication failed").doesNotContain("not-the-password")
        .doesNotContain(db.password());
  }

  private static List<Finding> found(Doctor.Report r, String id) {
    return r.findings().stream().filter(f -> f.id().equals(id)).toList();
  }

  @Test
  void diskLow_underOneSegment_isCritical_underAGibibyte_isWarned_elseNothing() {
    Path home = TestHome.create(temp);

    Doctor.Report nearlyFull = run(home, 10L << 20);
    assertThat(found(nearlyFull, "audit.disk_low")).singleElement().extracting(Finding::severity)
        .isEqualTo(Finding.Severity.CRITICAL);
    assertThat(nearlyFull.critical()).isTrue();

    assertThat(found(run(home, 500L << 20), "audit.disk_low")).singleElement().extracting(Finding::severity)
        .isEqualTo(Finding.Severity.WARN);
    assertThat(found(run(home, 5L << 30), "audit.disk_low")).isEmpty();
  }

  @Test
  void docs_nameEveryIdTheCodeCanReport() throws Exception {
    String docs = java.nio.file.Files.readString(Path.of("docs/doctor.md"));
    java.util.Set<String> ids = new java.util.TreeSet<>();
    try (var files = java.nio.file.Files.list(Path.of("src/main/java/dev/gatehouse/doctor"))) {
      for (Path f : files.toList()) {
        var m = java.util.regex.Pattern.compile("(?:Finding\\.(?:critical|warn|info)|new Check)\\(\\s*\"([a-z_.]+)\"")
            .matcher(java.nio.file.Files.readString(f));
        while (m.find()) {
          ids.add(m.group(1));
        }
      }
    }
    assertThat(ids).hasSizeGreaterThan(25);
    assertThat(ids).allSatisfy(id -> assertThat(docs).contains("| `" + id + "` |"));
  }

  @Test
  void everyCheck_hasAUniqueId() {
    assertThat(Doctor.CHECKS).extracting(Check::id).doesNotHaveDuplicates();
  }
}
