package dev.gatehouse.audit;

import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.store.GroupCommit;
import java.util.Map;

/**
 * How both logs ({@link FileAuditLog}, {@link PgAuditLog}) take an entry: redacted before it
 * is queued, so nothing unredacted reaches a writer; handed to the log's group commit; a
 * durable append timed for the metrics.
 */
final class Appends {
  private final GroupCommit<AuditEvent> commits;
  private final Redactor redactor;
  private final Metrics metrics;

  Appends(GroupCommit<AuditEvent> commits, Redactor redactor, Metrics metrics) {
    this.commits = commits;
    this.redactor = redactor;
    this.metrics = metrics;
  }

  /** {@link AuditLog#record}: returns once the entry is durable, with its seq. */
  long durable(AuditEvent event) {
    long began = System.nanoTime();
    long seq = commits.submit(redactor.redact(event), true).await();
    metrics.auditAppend(System.nanoTime() - began);
    return seq;
  }

  /** {@link AuditLog#recordEventually}: queued, durable with a later batch. */
  void eventually(AuditEvent event) {
    commits.submit(redactor.redact(event), false);
  }

  /** A {@value VaultWrites#TYPE} entry, durable on return. */
  void vaultWrite(String actor, String outcome, Map<String, String> details) {
    commits.submit(VaultWriteLog.vaultWriteEvent(redactor, actor, outcome, details), true).await();
  }
}
