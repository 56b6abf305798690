package dev.gatehouse.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditVaultLedger;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.VaultWrites;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a process that adds entries in a loop, at random moments: after each kill the
 * vault opens and holds every entry whose add had returned; with the audit log attached, the
 * file in place is always one the log knows (current, or the last one intended) and is never
 * refused as rolled back.
 */
class VaultCrashTest {
  private static final int KILLS = 50;
  private static final int HOME_KILLS = 30;

  @TempDir
  Path temp;

  @Test
  void sigkillDuringAdds_losesNoEntryWhoseAddReturned() throws Exception {
    Path file = temp.resolve("vault.gh");
    new Vault(file, new SecureRandom(), Clock.systemUTC()).create(new Credential.Password("pw".toCharArray()),
        VaultTest.FAST);
    String java = ProcessHandle.current().info().command().orElseThrow();
    Random random = new Random();
    Set<String> returned = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < KILLS; i++) {
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          VaultAddLoop.class.getName(), file.toString(), "run" + i).redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      Thread.sleep(random.nextInt(150)); // spreads the kills over the loop; not a wait for correctness
      child.toHandle().destroyForcibly(); // SIGKILL; unlike Process.destroyForcibly it leaves the pipe readable
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("added ")) {
          returned.add(line.substring(6));
        }
      }
      Vault v = new Vault(file, new SecureRandom(), Clock.systemUTC());
      v.unseal(new Credential.Password("pw".toCharArray()));
      Set<String> present = new HashSet<>();
      v.list().forEach(e -> present.add(e.name()));
      for (String name : returned) {
        if (!present.contains(name)) {
          problems.add("after kill " + i + ": " + name + " is missing");
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(returned).as("the loop really added entries").hasSizeGreaterThan(KILLS / 2);
  }

  @Test
  void sigkillDuringAuditedAdds_neverLeavesAVaultTheLogRefusesOrDoesNotKnow() throws Exception {
    Path dir = temp.resolve("gh");
    Gatehouse.init(dir, new Credential.Password("pw".toCharArray()), VaultTest.FAST, Clock.systemUTC(),
        new SecureRandom()).close();
    String java = ProcessHandle.current().info().command().orElseThrow();
    Random random = new Random();
    Set<String> returned = new HashSet<>();
    List<String> problems = new ArrayList<>();
    Map<VaultWrites.Verdict, Integer> seen = new EnumMap<>(VaultWrites.Verdict.class);
    for (int i = 0; i < HOME_KILLS; i++) {
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          GatehouseAddLoop.class.getName(), dir.toString(), "run" + i).redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      Thread.sleep(random.nextInt(600)); // spreads the kills over the loop; not a wait for correctness
      child.toHandle().destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("added ")) {
          returned.add(line.substring(6));
        }
      }
      try (Gatehouse g = Gatehouse.open(dir, Clock.systemUTC(), new SecureRandom())) {
        AuditVaultLedger.Standing s = g.unsealForInspection(new Credential.Password("pw".toCharArray()), "cli:crash-test");
        seen.merge(s.verdict(), 1, Integer::sum);
        if (!Set.of(VaultWrites.Verdict.CURRENT, VaultWrites.Verdict.COMPLETED, VaultWrites.Verdict.NOT_CARRIED_OUT)
            .contains(s.verdict())) {
          problems.add("after kill " + i + ": " + s.verdict() + " for " + s.present() + ", the log knows " + s.known());
          continue;
        }
        g.finishInspection(); // the opening every command makes: records what it learned
        Set<String> present = new HashSet<>();
        g.vault().list().forEach(e -> present.add(e.name()));
        for (String name : returned) {
          if (!present.contains(name)) {
            problems.add("after kill " + i + ": " + name + " is missing");
          }
        }
      }
      try (Gatehouse g = Gatehouse.open(dir, Clock.systemUTC(), new SecureRandom())) {
        assertThat(g.unsealForInspection(new Credential.Password("pw".toCharArray()), "cli:crash-test")
            .verdict())
            .as("after the opening reconciled, kill %d", i).isEqualTo(VaultWrites.Verdict.CURRENT);
      }
    }
    assertThat(problems).isEmpty();
    assertThat(returned).as("the loop really added entries").isNotEmpty();
    // An add spends most of its time between its intent and its completion being recorded;
    // 30 kills all missing that span has a negligible chance.
    assertThat(seen.keySet()).as("some kills landed between an intent and its completion: %s", seen)
        .containsAnyOf(VaultWrites.Verdict.COMPLETED, VaultWrites.Verdict.NOT_CARRIED_OUT);
    Path audit = dir.resolve(Gatehouse.AUDIT_DIR);
    assertThat(AuditVerifier.verify(audit, AuditVerifier.verifierKey(audit), null).problem()).isNull();
    System.out.println("verdicts after a kill: " + seen);
  }
}
