package dev.gatehouse.exec;

import java.io.IOException;

/**
 * A command was asked to run in the sandbox and the sandbox cannot be provided here (bubblewrap
 * is missing or cannot create its namespaces). The command was not run, sandboxed or otherwise.
 */
public final class SandboxUnavailableException extends IOException {
  public SandboxUnavailableException(String message) {
    super(message);
  }
}
