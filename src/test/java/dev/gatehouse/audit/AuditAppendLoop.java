package dev.gatehouse.audit;

import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.List;

/**
 * Child process for {@link AuditCrashTest}: 8 threads append until killed, printing each seq that
 * returned, each also queueing an outcome entry ({@code recordEventually}) after its decision.
 */
public final class AuditAppendLoop {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    var key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(args[1])));
    Checkpoint.Verifier verifier = Checkpoint.Verifier.parse(args[2]);
    FileAuditLog log = FileAuditLog.open(dir, Clock.systemUTC(), new Redactor(new byte[32], List.of()), verifier, key,
        new FileAuditLog.Settings(1 << 16, java.time.Duration.ofDays(1), 50, java.time.Duration.ofSeconds(1)));
    System.out.println("ready");
    System.out.flush();
    for (int t = 0; t < 8; t++) {
      int id = t;
      new Thread(() -> {
        for (int n = 0; ; n++) {
          long seq = log.record(AuditTesting.event(args[3] + "-t" + id + "-" + n));
          synchronized (System.out) {
            System.out.println("seq " + seq + " " + args[3] + "-t" + id + "-" + n);
            System.out.flush();
          }
          // and its outcome, as the broker does: written with a later batch, forced by a later decision
          log.recordEventually(AuditTesting.event(args[3] + "-t" + id + "-" + n + "-outcome"));
        }
      }).start();
    }
  }
}
