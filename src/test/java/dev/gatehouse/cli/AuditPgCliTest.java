package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.PgAuditLog;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code audit export} and {@code audit verify} for a home whose audit log is in PostgreSQL. */
class AuditPgCliTest extends CliTestBase {

  /** A home whose storage is {@code d}, with its password in the vault, and a log of {@code entries} in {@code d}. */
  private void postgresHome(TestPostgres.Database d, int entries) throws Exception {
    assertThat(run("init")).as(err).isZero();
    stdin = d.password().getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "db.password")).as(err).isZero();
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config) + "\nstorage:\n  backend: postgres\n  url: postgresql://127.0.0.1:"
        + d.port() + "/" + d.name() + "\n  user: " + d.user() + "\n  password_secret: db.password\n");
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Checkpoint.Verifier verifier = Checkpoint.Verifier.of("gatehouse.audit/cli", Checkpoint.rawPublicKey(keys.getPublic()));
    try (PgAuditLog log = PgAuditLog.open(d.jdbcUrl(), d.properties(), clock, new Redactor(new byte[32], List.of()),
        verifier, keys.getPrivate(), FileAuditLog.Settings.DEFAULT, Metrics.NONE)) {
      for (int i = 0; i < entries; i++) {
        log.record(new AuditEvent("broker.call", "agent:a", "target-" + i, "ok", Map.of()));
      }
    }
  }

  @Test
  void export_writesTheSegmentFormat_thatVerifiesOffline() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    postgresHome(d, 7);
    Path dir = temp.resolve("exported");
    assertThat(run("audit", "export", dir.toString())).as(err).isZero();
    assertThat(out).contains("exported 7 entries in 1 segment(s)").contains("with the latest signed checkpoint")
        .contains("verified: intact");
    AuditVerifier.Result r = AuditVerifier.verify(dir, AuditVerifier.verifierKey(dir), null);
    assertThat(r.problem()).isNull();
    assertThat(r.latest().size()).isEqualTo(7);
    assertThat(Files.readString(dir.resolve("segment-000001.jsonl"))).contains("\"target\":\"target-6\"");

    assertThat(run("audit", "export", dir.toString())).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("is not empty");
  }

  @Test
  void verify_readsTheDatabase_andNamesAChangedRowBySeq() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    postgresHome(d, 5);
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(out).contains("audit log intact: 5 entries").contains("signature and root verified");
    try (Connection c = d.connect(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE audit_entries SET line = decode(replace(encode(line, 'escape'), 'target-2', 'target-9'),"
          + " 'escape') WHERE seq = 2");
    }
    assertThat(run("audit", "verify")).isEqualTo(ExitCodes.NO);
    assertThat(err).startsWith("gatehouse: audit log NOT intact: seq 2 (database row seq 2)")
        .contains("hash does not match");
  }

  @Test
  void tailAndCheckpoint_readTheDatabase_andAKeptCheckpointLaterVerifies() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    postgresHome(d, 6);
    assertThat(run("audit", "tail", "-n", "2")).as(err).isZero();
    assertThat(out.lines().toList()).hasSize(2).satisfies(l -> {
      assertThat(l.get(0)).contains("\"seq\":4,").contains("\"target\":\"target-4\"");
      assertThat(l.get(1)).contains("\"seq\":5,");
    });
    assertThat(run("audit", "checkpoint")).as(err).isZero();
    assertThat(out).startsWith("gatehouse.audit/cli\n6\n");
    assertThat(err).contains("verifier key: gatehouse.audit/cli+");
    String note = out;
    assertThat(run("audit", "prove", "3")).as(err).isZero();
    assertThat(out).contains("\"seq\" : 3").contains("\"tree_size\" : 6").contains("target-3")
        .contains("\"newer_than_checkpoint\" : false");
    out = note;
    Path kept = temp.resolve("kept");
    Files.writeString(kept, out);
    assertThat(run("audit", "verify", "--checkpoint", kept.toString())).as(err).isZero();
    assertThat(out).contains("older checkpoint (size 6): consistent with today's log");
  }

  @Test
  void export_ofAnEmbeddedHome_isRefusedNamingItsFiles() {
    assertThat(run("init")).isZero();
    assertThat(run("audit", "export", temp.resolve("x").toString())).isEqualTo(ExitCodes.NOT_CONFIGURED);
    assertThat(err).contains("already files").contains("storage.backend: postgres");
  }
}
