package dev.gatehouse.audit;

/**
 * Where every capability reports its decisions, before they take effect.
 *
 * <p>Contract: {@link #record} returns only once the event is durable, and returns its
 * sequence number; if it cannot make the event durable it throws, and the caller must refuse
 * the action it was about to take (fail closed).
 */
@FunctionalInterface
public interface AuditLog {
  long record(AuditEvent event);

  /**
   * Records an event that reports on something already decided and done (an outcome, not a
   * decision), without the caller waiting for the disk: it is written with the next batch
   * (so a killed process keeps it) and made durable with the next decision's fsync, or
   * within {@link FileAuditLog#EVENTUAL_FORCE_WITHIN} when none comes. A failure to write it
   * is not the caller's to handle. By default, the same as {@link #record}.
   */
  default void recordEventually(AuditEvent event) {
    record(event);
  }

  /**
   * An audit log that keeps nothing. Stands in until the tamper-evident log exists; it is
   * never a place where a code or a secret could end up.
   */
  static AuditLog discarding() {
    return event -> 0L;
  }
}
