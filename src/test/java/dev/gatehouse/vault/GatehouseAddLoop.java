package dev.gatehouse.vault;

import dev.gatehouse.Gatehouse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * Child process for {@link VaultCrashTest}: opens a whole home (vault, audit log, ledger) and
 * adds entries through the audited service until killed, saying which returned.
 */
public final class GatehouseAddLoop {
  public static void main(String[] args) throws Exception {
    Gatehouse g = Gatehouse.open(Path.of(args[0]), Clock.systemUTC(), new SecureRandom());
    g.unseal(new Credential.Password("pw".toCharArray()));
    System.out.println("ready");
    System.out.flush();
    for (int n = 0; ; n++) {
      String name = args[1] + "-" + n;
      g.vaultService().add(name, ("value of " + name).getBytes(), false, "cli:crash-test");
      System.out.println("added " + name);
      System.out.flush();
    }
  }
}
