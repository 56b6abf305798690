package dev.gatehouse.doctor;

import java.util.List;

/** One check: the id of what it looks for, and the look. It reads; only {@link Finding.Repair}s change anything. */
public record Check(String id, Body body) {
  @FunctionalInterface
  public interface Body {
    /** The findings (none when all is well). */
    List<Finding> run(Inspection in) throws Exception;
  }
}
