package dev.gatehouse.vault;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/** Child process for {@link VaultCrashTest}: adds entries until killed, saying which returned. */
public final class VaultAddLoop {
  public static void main(String[] args) throws Exception {
    Vault v = new Vault(Path.of(args[0]), new SecureRandom(), Clock.systemUTC());
    v.unseal(new Credential.Password("pw".toCharArray()));
    System.out.println("ready");
    System.out.flush();
    for (int n = 0; ; n++) {
      String name = args[1] + "-" + n;
      v.put(name, ("value of " + name).getBytes(), false);
      System.out.println("added " + name);
      System.out.flush();
    }
  }
}
