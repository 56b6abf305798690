package dev.gatehouse.audit;

import dev.gatehouse.error.RefusedException;

/**
 * Stands where the audit log will be once the vault (which holds its keys) is open. Until
 * then every record is refused: nothing takes effect unaudited.
 */
public final class DeferredAuditLog implements AuditLog {
  private volatile AuditLog target;

  public void open(AuditLog log) {
    this.target = log;
  }

  @Override
  public long record(AuditEvent event) {
    AuditLog t = target;
    if (t == null) {
      throw new RefusedException("the audit log is not open (the vault is sealed); refusing");
    }
    return t.record(event);
  }

  @Override
  public void recordEventually(AuditEvent event) {
    AuditLog t = target;
    if (t == null) {
      throw new RefusedException("the audit log is not open (the vault is sealed); refusing");
    }
    t.recordEventually(event);
  }
}
