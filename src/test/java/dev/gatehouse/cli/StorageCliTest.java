package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.testing.PgDatabases;
import dev.gatehouse.testing.TestCertificates;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code gatehouse storage password}: the database role's password changed in PostgreSQL, then
 * given to a replica, whose vault.gh holds it, against a real server over TLS as configured.
 */
class StorageCliTest extends CliTestBase {
  TestPostgres pg;
  TestPostgres.Database db;

  @BeforeEach
  void homeOnPostgres() throws Exception {
    pg = TestPostgres.shared();
    db = pg.newDatabaseWithOwnRole();
    assertThat(run("init")).isZero();
    stdin = db.password().getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", PgDatabases.PASSWORD_ENTRY)).as(err).isZero();
    storage(pg.serverCertificate());
    assertThat(run("vault", "list")).as("the database in use: schema, shared vault, audit log").as(err).isZero();
  }

  /** Adds (or rewrites) the storage: section: the test database, verify-full against {@code rootCert}. */
  private void storage(Path rootCert) throws Exception {
    Path config = home.resolve("gatehouse.yaml");
    String text = Files.readString(config);
    int at = text.indexOf("\nstorage:");
    Files.writeString(config, (at < 0 ? text : text.substring(0, at)) + """

        storage:
          backend: postgres
          url: postgresql://127.0.0.1:%d/%s
          user: %s
          password_secret: %s
          tls:
            mode: verify-full
            root_cert: %s
        """.formatted(db.port(), db.name(), db.user(), PgDatabases.PASSWORD_ENTRY, rootCert));
  }

  private byte[] vaultGh() throws Exception {
    return Files.readAllBytes(home.resolve(Gatehouse.VAULT_FILE));
  }

  private static String canary() {
    byte[] b = new byte[12];
    new SecureRandom().nextBytes(b);
    return "canary-" + HexFormat.of().formatHex(b);
  }

  /** {@code text} holds {@code secret} in none of the forms a careless write would leave: text, hex, base64. */
  private static void assertNoTrace(String where, String text, String secret) {
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    assertThat(text).as(where).doesNotContain(secret).doesNotContain(HexFormat.of().formatHex(bytes))
        .doesNotContain(Base64.getEncoder().withoutPadding().encodeToString(bytes));
  }

  @Test
  void password_afterAlterRole_isStoredInVaultGh_andANewGatehouseConnectsWithIt() throws Exception {
    String canary = canary();
    TestPostgres.Database changed = pg.changePassword(db, canary);
    assertThat(run("vault", "list")).as("vault.gh still holds the old password").isNotZero();
    assertThat(err).contains("password authentication failed");

    stdin = (canary + "\n").getBytes(StandardCharsets.UTF_8);
    assertThat(run("storage", "password", "--password-stdin")).as(err).isZero();
    assertThat(out).contains("logs in to jdbc:postgresql://127.0.0.1:" + db.port() + "/" + db.name() + " as " + db.user())
        .contains("it replaced postgres.password in " + home.resolve("vault.gh")).contains("run this on each");
    String printed = out + err;

    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.stateDb()).as("a new Gatehouse on the home connects").isNotNull();
      try (SecretValue v = g.localVault().reveal(PgDatabases.PASSWORD_ENTRY, SecretAccess.get()).orElseThrow()) {
        assertThat(new String(v.bytes(SecretAccess.get()), StandardCharsets.UTF_8)).isEqualTo(canary);
      }
    }
    assertThat(run("audit", "verify")).as("the audit commands read the password from vault.gh too").as(err).isZero();
    assertThat(run("audit", "tail", "--type", "storage.password")).as(err).isZero();
    assertThat(out).contains("\"replaced\"").contains("\"target\":\"postgres.password\"").contains("vault.gh");
    printed += out + err;

    assertNoTrace("stdout and stderr", printed, canary);
    assertNoTrace("the shared audit log", PgDatabases.auditText(changed), canary);
    assertNoTrace("every row of the database", PgDatabases.databaseText(changed), canary);
    try (Stream<Path> files = Files.walk(home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (!f.equals(home.resolve(Gatehouse.VAULT_FILE))) {
          assertNoTrace(f.toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1), canary);
        }
      }
    }

    String typed = canary();
    pg.changePassword(db, typed);
    assertThat(run(typing(typed), "storage", "password")).as("at a no-echo prompt, asked once: the login checks it")
        .as(err).isZero();
    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.stateDb()).isNotNull();
    }
  }

  @Test
  void password_thatDoesNotLogIn_isRefused_andVaultGhIsUnchanged() throws Exception {
    byte[] before = vaultGh();
    String wrong = canary();
    stdin = wrong.getBytes(StandardCharsets.UTF_8);
    assertThat(run("storage", "password", "--password-stdin")).isEqualTo(ExitCodes.NO);
    assertThat(err).contains("the new password does not connect to").contains("password authentication failed")
        .contains("nothing was changed");
    assertNoTrace("stderr", out + err, wrong);
    assertThat(vaultGh()).isEqualTo(before);
    assertThat(run("audit", "tail", "--type", "storage.password")).as(err).isZero();
    assertThat(out).as("nothing recorded").isBlank();

    stdin = db.password().getBytes(StandardCharsets.UTF_8);
    assertThat(run("storage", "password")).as("no terminal, no --password-stdin").isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("--password-stdin");
    assertThat(run(typing(""), "storage", "password")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("no password given");
    assertThat(vaultGh()).isEqualTo(before);
  }

  @Test
  void password_isCheckedOverTheConfiguredTls_andAnUnreachableDatabaseRefusesIt() throws Exception {
    byte[] before = vaultGh();
    Path otherRoot = TestCertificates.make(temp, "other", "EC", 30).certificate();
    storage(otherRoot);
    stdin = db.password().getBytes(StandardCharsets.UTF_8);
    assertThat(run("storage", "password", "--password-stdin")).as("the right password, a server TLS does not trust")
        .isEqualTo(ExitCodes.NO);
    assertThat(err).contains("(TLS verify-full)").contains("SSL").contains("nothing was changed");
    assertThat(vaultGh()).isEqualTo(before);

    storage(pg.serverCertificate());
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config).replace(":" + db.port() + "/", ":" + closed + "/"));
    assertThat(run("storage", "password", "--password-stdin")).isEqualTo(ExitCodes.NO);
    assertThat(err).contains("127.0.0.1:" + closed).contains("nothing was changed");
    assertNoTrace("stderr", err, db.password());
    assertThat(vaultGh()).isEqualTo(before);
  }

  @Test
  void password_onAnEmbeddedHome_isRefused_namingVaultAdd() throws Exception {
    home = temp.resolve("embedded");
    assertThat(run("init")).isZero();
    byte[] before = vaultGh();
    stdin = "a-password".getBytes(StandardCharsets.UTF_8);
    assertThat(run("storage", "password", "--password-stdin")).isEqualTo(ExitCodes.NOT_CONFIGURED);
    assertThat(err).contains("storage is embedded").contains("gatehouse vault add --replace NAME");
    assertThat(vaultGh()).isEqualTo(before);
    assertThat(Files.readString(home.resolve("gatehouse.yaml"))).doesNotContain("\nstorage:");
  }

  @Test
  void storage_withoutASubcommand_printsItsUsage() {
    assertThat(run("storage")).isZero();
    assertThat(out).contains("password");
    assertThat(List.of(out.split("\n"))).anyMatch(l -> l.strip().startsWith("password"));
  }
}
