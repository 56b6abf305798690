package dev.gatehouse.doctor;

import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * One thing {@code gatehouse doctor} found: a stable {@code id} (docs/doctor.md lists every
 * one), how bad it is, what is wrong, and what to do about it. A finding that {@code --fix}
 * may repair carries the {@link Repair}; only file modes and ownership are ever repaired.
 */
public record Finding(String id, Severity severity, String message, String fix, Repair repair) {
  /** critical: a guarantee is broken now, or Gatehouse refuses to run; warn: weaker than it should be; info: worth knowing. */
  public enum Severity {
    CRITICAL, WARN, INFO;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One change to a file's mode or owner; returns what it changed, as said to the owner. */
  @FunctionalInterface
  public interface Repair {
    String apply() throws IOException;
  }

  public Finding {
    Objects.requireNonNull(id);
    Objects.requireNonNull(severity);
    Objects.requireNonNull(message);
    Objects.requireNonNull(fix);
  }

  public static Finding critical(String id, String message, String fix) {
    return new Finding(id, Severity.CRITICAL, message, fix, null);
  }

  public static Finding warn(String id, String message, String fix) {
    return new Finding(id, Severity.WARN, message, fix, null);
  }

  public static Finding info(String id, String message, String fix) {
    return new Finding(id, Severity.INFO, message, fix, null);
  }

  public Finding repairedBy(Repair r) {
    return new Finding(id, severity, message, fix, r);
  }
}
