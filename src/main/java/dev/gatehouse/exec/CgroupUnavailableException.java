package dev.gatehouse.exec;

import java.io.IOException;

/**
 * A command could not be given a cgroup of its own (see {@link CommandRunner}), so nothing
 * could guarantee that its descendants end with it. The command was not run.
 */
public final class CgroupUnavailableException extends IOException {
  public CgroupUnavailableException(String message) {
    super(message);
  }
}
