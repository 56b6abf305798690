package dev.gatehouse.vault;

/**
 * Where every vault generation is recorded before the file holding it can be seen, and
 * against which every opening of the vault is checked, so that an older copy of
 * {@code vault.gh} put in its place is refused (docs/vault-format.md, "Rollback").
 *
 * <p>{@link Vault} calls every method while it holds the vault's file lock, so the file and
 * what the ledger knows are read and changed as one step with respect to other processes.
 *
 * <p>Contract: {@link #intend} returns only once its record is durable, and throws if it
 * cannot make it so (the write is then not made). {@link #admit} throws
 * {@link dev.gatehouse.error.RefusedException} for a file older than the newest generation
 * the ledger knows, or one that differs from what it recorded for that generation; it
 * accepts the current generation, the one last intended (a write whose rename happened,
 * or, when the file is the one before it, a write a crash cut short before its rename), and
 * any generation newer than all it knows.
 */
public interface VaultLedger {
  /**
   * Checks {@code present}, the file about to be used.
   *
   * @param reconcile also record what the check learned: a write that completed, one that
   *     never reached its rename, a generation newer than any recorded (made before the
   *     ledger was attached). False for re-reads of a file that changed while open.
   */
  void admit(VaultVersion present, boolean reconcile);

  /**
   * The generation a write from {@code from} makes: above it and above every generation the
   * ledger ever named, so that no two files share one.
   */
  long generationAfter(VaultVersion from);

  /** Records that the vault is about to go from {@code from} to {@code to}; durable on return. */
  void intend(VaultVersion from, VaultVersion to);

  /** Records that {@code to} is now the file in place. */
  void committed(VaultVersion to);

  /**
   * Records the home's owner's decision that {@code present}, a file {@link #admit} refuses,
   * is the current generation from now on; {@code owner} names who decided.
   */
  void accept(VaultVersion present, String owner);
}
