package dev.gatehouse.http;

import java.util.logging.Level;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Routes the HTTP libraries' java.util.logging through SLF4J, at warnings only. */
final class Logging {
  private Logging() {}

  static synchronized void quietLibraries() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
    java.util.logging.Logger.getLogger("io.helidon").setLevel(Level.WARNING);
  }
}
