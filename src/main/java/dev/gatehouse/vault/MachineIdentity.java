package dev.gatehouse.vault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What ties a sealed-mode vault to one machine: {@code /etc/machine-id} and the host name.
 * Anyone who can read both on this machine (root, and usually every local user for the
 * machine id) can unseal without the master password: sealed mode trades that for
 * unattended boots.
 */
@FunctionalInterface
public interface MachineIdentity {
  /** The fingerprint bytes; throws if this machine has none. */
  byte[] fingerprint() throws IOException;

  static MachineIdentity host() {
    return () -> {
      String id = read(Path.of("/etc/machine-id"));
      if (id.isEmpty()) {
        throw new IOException("/etc/machine-id is empty; sealed mode needs a machine id (systemd-machine-id-setup)");
      }
      String host = read(Path.of("/proc/sys/kernel/hostname"));
      return ("machine-id=" + id + "\nhostname=" + host).getBytes(StandardCharsets.UTF_8);
    };
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8).strip();
  }
}
