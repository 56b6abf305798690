package dev.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.config.Config;
import dev.gatehouse.testing.TestCertificates;
import dev.gatehouse.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS to the database as storage.tls configures it, against a real server offering TLS. */
class PgTlsTest {
  @TempDir
  Path temp;

  static Config.Storage.Postgres storage(TestPostgres.Database d, String host, Config.Storage.TlsMode mode,
      Path rootCert) {
    return new Config.Storage.Postgres(host, d.port(), d.name(), d.user(), "postgres.password", mode,
        Optional.ofNullable(rootCert));
  }

  static boolean encrypted(PgStateDb db) throws Exception {
    return db.read(c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
        return rs.next() && rs.getBoolean(1);
      }
    });
  }

  @Test
  void verifyFull_withTheServersRoot_connectsOverTls() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    TestPostgres.Database d = pg.newDatabase();
    for (String host : new String[] {"127.0.0.1", "localhost"}) {
      Config.Storage.Postgres s = storage(d, host, Config.Storage.TlsMode.VERIFY_FULL, pg.serverCertificate());
      try (PgStateDb db = PgStateDb.open(connector(s, d))) {
        assertThat(encrypted(db)).as(host).isTrue();
      }
    }
  }

  @Test
  void verifyFull_withAnotherRoot_isRefused_andDisableIsPlain() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    TestPostgres.Database d = pg.newDatabase();
    Path other = TestCertificates.make(temp, "other", "EC", 30).certificate();
    Config.Storage.Postgres wrong = storage(d, "127.0.0.1", Config.Storage.TlsMode.VERIFY_FULL, other);
    assertThatThrownBy(() -> PgStateDb.open(connector(wrong, d)))
        .isInstanceOf(IOException.class).hasMessageContaining("SSL")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(d.password()));
    Config.Storage.Postgres plain = storage(d, "127.0.0.1", Config.Storage.TlsMode.DISABLE, null);
    try (PgStateDb db = PgStateDb.open(connector(plain, d))) {
      assertThat(encrypted(db)).isFalse();
    }
  }

  private static PgConnector connector(Config.Storage.Postgres s, TestPostgres.Database d) {
    return PgConnector.fixed(s.jdbcUrl(), s.connectionProperties(d.password().toCharArray()));
  }
}
