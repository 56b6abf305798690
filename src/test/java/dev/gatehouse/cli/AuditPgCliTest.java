package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditKeys;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.PgAuditLog;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.testing.TestPostgres;
import dev.gatehouse.vault.Credential;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code audit export} and {@code audit verify} for a home whose audit log is in PostgreSQL. */
class AuditPgCliTest extends CliTestBase {

  /** The verifier of the home's audit keys (the log's name in checkpoints). */
  private Checkpoint.Verifier verifier;

  /**
   * A home whose storage is {@code d}, with its password in the vault, and a log of
   * {@code entries} in {@code d} signed with the home's own audit keys (as a replica appends).
   * Returns the log's size once the home has opened it (opening may add entries of its own).
   */
  private long postgresHome(TestPostgres.Database d, int entries) throws Exception {
    assertThat(run("init")).as(err).isZero();
    stdin = d.password().getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "db.password")).as(err).isZero();
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, Files.readString(config) + "\nstorage:\n  backend: postgres\n  url: postgresql://127.0.0.1:"
        + d.port() + "/" + d.name() + "\n  user: " + d.user() + "\n  password_secret: db.password\n");
    AuditKeys keys;
    try (Gatehouse g = Gatehouse.open(home, clock, new SecureRandom());
        Credential pw = new Credential.Password("test-password".toCharArray())) {
      g.localVault().unseal(pw);
      keys = AuditKeys.loadOrCreate(g.localVault(), new SecureRandom());
    }
    verifier = keys.verifier();
    try (PgAuditLog log = PgAuditLog.open(d.connector(), clock, new Redactor(new byte[32], List.of()),
        keys.verifier(), keys.signingKey(), FileAuditLog.Settings.DEFAULT, Metrics.NONE)) {
      for (int i = 0; i < entries; i++) {
        log.record(new AuditEvent("broker.call", "agent:a", "target-" + i, "ok", Map.of()));
      }
    }
    assertThat(run("audit", "verify")).as(err).isZero(); // the home opens the log once
    return size(d);
  }

  private static long size(TestPostgres.Database d) throws Exception {
    try (Connection c = d.connect(); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT size FROM audit_head WHERE id = 1")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long seqOf(TestPostgres.Database d, String target) throws Exception {
    try (Connection c = d.connect(); Statement s = c.createStatement(); var rs = s.executeQuery(
        "SELECT seq FROM audit_entries WHERE encode(line, 'escape') LIKE '%\"target\":\"" + target + "\"%'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void export_writesTheSegmentFormat_thatVerifiesOffline() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    long total = postgresHome(d, 7);
    Path dir = temp.resolve("exported");
    assertThat(run("audit", "export", dir.toString())).as(err).isZero();
    assertThat(out).contains("exported " + total + " entries in 1 segment(s)").contains("with the latest signed checkpoint")
        .contains("verified: intact");
    AuditVerifier.Result r = AuditVerifier.verify(dir, AuditVerifier.verifierKey(dir), null);
    assertThat(r.problem()).isNull();
    assertThat(r.latest().size()).isEqualTo(total);
    assertThat(Files.readString(dir.resolve("segment-000001.jsonl"))).contains("\"target\":\"target-6\"");

    assertThat(run("audit", "export", dir.toString())).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("is not empty");
  }

  @Test
  void verify_readsTheDatabase_andNamesAChangedRowBySeq() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    long total = postgresHome(d, 5);
    assertThat(run("audit", "verify")).as(err).isZero();
    assertThat(out).contains("audit log intact: " + total + " entries").contains("signature and root verified");
    long seq = seqOf(d, "target-2");
    try (Connection c = d.connect(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE audit_entries SET line = decode(replace(encode(line, 'escape'), 'target-2', 'target-9'),"
          + " 'escape') WHERE seq = " + seq);
    }
    assertThat(run("audit", "verify")).isEqualTo(ExitCodes.NO);
    assertThat(err).startsWith("gatehouse: audit log NOT intact: seq " + seq + " (database row seq " + seq + ")")
        .contains("hash does not match");
  }

  @Test
  void tailAndCheckpoint_readTheDatabase_andAKeptCheckpointLaterVerifies() throws Exception {
    TestPostgres.Database d = TestPostgres.shared().newDatabase();
    long total = postgresHome(d, 6);
    assertThat(run("audit", "tail", "-n", "200")).as(err).isZero();
    assertThat(out).contains("\"target\":\"target-4\"").contains("\"target\":\"target-5\"")
        .contains("\"seq\":" + (total - 1) + ",");
    assertThat(out.lines().toList()).hasSize((int) total);
    assertThat(run("audit", "checkpoint")).as(err).isZero();
    assertThat(out).startsWith(verifier.name() + "\n" + total + "\n");
    assertThat(err).contains("verifier key: " + verifier.name() + "+");
    String note = out;
    long seq3 = seqOf(d, "target-3");
    assertThat(run("audit", "prove", Long.toString(seq3))).as(err).isZero();
    assertThat(out).contains("\"seq\" : " + seq3).contains("\"tree_size\" : " + total).contains("target-3")
        .contains("\"newer_than_checkpoint\" : false");
    out = note;
    Path kept = temp.resolve("kept");
    Files.writeString(kept, out);
    assertThat(run("audit", "verify", "--checkpoint", kept.toString())).as(err).isZero();
    assertThat(out).contains("older checkpoint (size " + total + "): consistent with today's log");
  }

  @Test
  void export_ofAnEmbeddedHome_isRefusedNamingItsFiles() {
    assertThat(run("init")).isZero();
    assertThat(run("audit", "export", temp.resolve("x").toString())).isEqualTo(ExitCodes.NOT_CONFIGURED);
    assertThat(err).contains("already files").contains("storage.backend: postgres");
  }
}
