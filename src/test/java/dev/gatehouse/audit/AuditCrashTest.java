package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a process with 8 concurrent appenders, 50 times at random moments: every seq whose
 * append had returned is present with its content, and the log (recovered) verifies.
 */
class AuditCrashTest {
  private static final int KILLS = 50;

  @TempDir
  Path temp;

  @Test
  void sigkillUnderEightAppenders_losesNothingThatReturned() throws Exception {
    AuditTesting t = new AuditTesting();
    Path dir = temp.resolve("audit");
    String java = ProcessHandle.current().info().command().orElseThrow();
    String key = Base64.getEncoder().encodeToString(t.keys.getPrivate().getEncoded());
    Random random = new Random();
    Map<Long, String> returned = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < KILLS; i++) {
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          AuditAppendLoop.class.getName(), dir.toString(), key, t.verifier.text(), "run" + i)
          .redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      // Each run is killed only after its first append returned, however loaded the machine:
      // a kill before any append would prove nothing.
      List<String> lines = new ArrayList<>();
      for (String line; (line = out.readLine()) != null; ) {
        lines.add(line);
        if (line.startsWith("seq ")) {
          break;
        }
      }
      Thread.sleep(random.nextInt(100)); // spreads the kills; not a wait for correctness
      child.toHandle().destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (String line; (line = out.readLine()) != null; ) {
        lines.add(line);
      }
      for (String line : lines) {
        if (line.startsWith("seq ")) {
          String[] p = line.split(" ");
          returned.put(Long.parseLong(p[1]), p[2]);
        }
      }
      // Reopening recovers a torn tail, as the next process would.
      FileAuditLog.open(dir, Clock.systemUTC(), t.redactor, t.verifier, t.keys.getPrivate(),
          FileAuditLog.Settings.DEFAULT).close();
      AuditVerifier.Scan scan = AuditVerifier.scan(dir, false, true, -1);
      if (scan.problem() != null) {
        problems.add("after kill " + i + ": " + scan.problem());
        break;
      }
      for (Map.Entry<Long, String> e : returned.entrySet()) {
        AuditRecord r = e.getKey() < scan.entries() ? AuditRecord.parse(scan.lines().get((int) (long) e.getKey())) : null;
        if (r == null || !r.target().equals(e.getValue())) {
          problems.add("after kill " + i + ": seq " + e.getKey() + " (" + e.getValue() + ") is missing");
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(returned).as("every run appended before its kill").hasSizeGreaterThanOrEqualTo(KILLS);
    assertThat(AuditVerifier.verify(dir, t.verifier, null).problem()).isNull();
  }
}
