package dev.gatehouse.audit;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The audit log a process holds open and writes, whichever backend keeps it: a home's files
 * ({@link FileAuditLog}) or the database the replicas share ({@link PgAuditLog}). What the
 * composition root needs of it beyond {@link VaultWriteLog}: checkpoints on demand and to a
 * witness, an entry's evidence for the dashboard, the size, and closing (a final checkpoint).
 */
public interface HeldAuditLog extends VaultWriteLog, AutoCloseable {
  /** Signs a checkpoint now if anything was appended since the latest one. */
  void checkpoint();

  /** Hands every checkpoint this process signs to {@code listener} (which only queues it); its failures are ignored. */
  void onCheckpoint(Consumer<String> listener);

  /**
   * The evidence for entry {@code seq}, against a signed checkpoint whenever the entry exists
   * (one is signed first if the latest does not cover it).
   */
  InclusionEvidence evidence(long seq) throws IOException;

  /** The log's size: every entry appended so far, by any writer. */
  long size();

  /** Writes what is queued and a final checkpoint. */
  @Override
  void close();
}
