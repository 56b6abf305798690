package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.backup.Backup;
import dev.gatehouse.backup.Restore;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.vault.Credential;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup while the daemon answers signed calls and the vault is written (each write recorded
 * in the audit log before its file appears): the archive restores into a home whose log
 * verifies, whose vault the log accepts (no rollback refusal), and that answers a signed call.
 */
class BackupUnderLoadTest {
  static final String SECRET = "sk-backup-CANARY-41d2";

  @TempDir
  Path tmp;

  @Test
  void backupUnderLoad_restores_verifies_andAnswersASignedCall() throws Exception {
    try (DaemonHarness h = new DaemonHarness(tmp, r -> Upstreams.Reply.json(
        "{\"seen\":\"" + r.headers().getOrDefault("X-Api-Key", "none").equals(SECRET) + "\"}"))) {
      h.vaultAdd("media.key", SECRET);
      h.writeService("media", "service: media\nbase_url: " + h.upstream.url() + "\n"
          + "allow_private: [\"127.0.0.1/32\"]\nauth: { type: header, name: X-Api-Key, secret: media.key }\n"
          + "actions:\n  search: { method: GET, path: /api/search, query: { term: \"{q}\" } }\n");
      h.start("media.*");

      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger calls = new AtomicInteger();
      AtomicInteger writes = new AtomicInteger();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      CountDownLatch warm = new CountDownLatch(20);
      Thread caller = Thread.ofPlatform().start(() -> {
        try {
          while (!stop.get()) {
            assertThat(h.call("media.search", "{\"q\":\"x\"}").status()).isEqualTo(200);
            calls.incrementAndGet();
            warm.countDown();
          }
        } catch (Throwable t) {
          failed.set(t);
        }
      });
      Thread writer = Thread.ofPlatform().start(() -> {
        try {
          for (int i = 0; !stop.get(); i++) {
            h.g.vaultService().add("load." + i, ("v" + i).getBytes(StandardCharsets.UTF_8), false, "test");
            writes.incrementAndGet();
          }
        } catch (Throwable t) {
          failed.set(t);
        }
      });
      assertThat(warm.await(60, TimeUnit.SECONDS)).isTrue();
      Path archive = tmp.resolve("home.ghb");
      int callsBefore = calls.get();
      int writesBefore = writes.get();
      long started = System.nanoTime();
      Backup.Written written;
      try (Gatehouse cli = TestHome.open(h.home, h.clock)) { // another composition, as the CLI is
        written = Backup.write(cli.home(), cli.vault(), archive, new SecureRandom(), h.clock);
      }
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      int callsDuring = calls.get() - callsBefore;
      int writesDuring = writes.get() - writesBefore;
      stop.set(true);
      caller.join();
      writer.join();
      assertThat(failed.get()).isNull();
      System.out.printf("backup under load: %d files, %d bytes in %d ms (opening the home included); %d calls and %d"
          + " vault writes while it ran%n", written.files(), written.bytes(), tookMillis, callsDuring, writesDuring);

      Path restored = tmp.resolve("restored");
      Restore.Restored r = Restore.restore(archive, restored,
          vault -> new Credential.Password(TestHome.PASSWORD.toCharArray()), new SecureRandom(), h.clock);
      assertThat(r.services()).isEqualTo(1);
      assertThat(r.auditEntries()).isPositive();
      assertThat(r.vaultEntries()).isGreaterThan(2);
      assertThat(r.stateTables()).isPositive();
      AuditVerifier.Result verified = AuditVerifier.verify(restored.resolve("audit"),
          AuditVerifier.verifierKey(restored.resolve("audit")), null);
      assertThat(verified.intact()).as(verified.problem()).isTrue();
      assertThat(verified.entries()).isEqualTo(r.auditEntries());

      // The restored home opens (its vault is the one its log last recorded) and serves the same agent.
      try (Gatehouse g = TestHome.open(restored, h.clock)) {
        AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
        Daemon d = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024,
            g.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))),
            () -> new Daemon.Health(false, true, true, 1, 1));
        try {
          HttpResponse<String> answer = AgentCalls.call(d.port(), "media.search", "{\"q\":\"y\"}",
              h.agent().keyId(), h.agent().key(), h.clock.instant());
          assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
          assertThat(answer.body()).contains("\"seen\":\"true\"").doesNotContain(SECRET);
        } finally {
          d.close();
        }
      }
      AuditVerifier.Result after = AuditVerifier.verify(restored.resolve("audit"),
          AuditVerifier.verifierKey(restored.resolve("audit")), null);
      assertThat(after.intact()).as(after.problem()).isTrue();
      assertThat(after.entries()).isGreaterThan(r.auditEntries());
      try (var left = Files.list(tmp)) {
        assertThat(left.map(p -> p.getFileName().toString()).toList())
            .as("no temporary folder or file left").allMatch(n -> List.of("home", "restored", "home.ghb").contains(n));
      }
    }
  }
}
