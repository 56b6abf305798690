package dev.gatehouse.metrics;

/**
 * {@link Metrics} that passes everything to whatever {@link #to} set last ({@link Metrics#NONE}
 * until then): the composition root hands this to what it builds early (the audit log opens
 * when the vault is unsealed), and {@code serve} points it at the registry it scrapes.
 */
public final class MetricsRelay implements Metrics {
  private volatile Metrics target = Metrics.NONE;

  public void to(Metrics target) {
    this.target = target;
  }

  @Override
  public void call(String action, Outcome outcome, String cause, long nanos) {
    target.call(action, outcome, cause, nanos);
  }

  @Override
  public void auditAppend(long nanos) {
    target.auditAppend(nanos);
  }

  @Override
  public void auditBatch(int entries, long nanos) {
    target.auditBatch(entries, nanos);
  }

  @Override
  public void lockout() {
    target.lockout();
  }
}
