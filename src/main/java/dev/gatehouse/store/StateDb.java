package dev.gatehouse.store;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The relational state that changes (agent usage, pairing, trust, approvals, owner-plane
 * accounts and sessions): {@code state.db} in the home ({@link SqliteStateDb}), or a shared
 * PostgreSQL database ({@link PgStateDb}). Stores write SQL both engines understand.
 *
 * <p>Contract, the same for both: {@link #transaction} runs its work as the only writer of
 * this state at that moment (across every process and replica using it), atomically, and
 * durably once it returns; {@link #read} sees one consistent snapshot and may not write.
 */
public interface StateDb extends AutoCloseable {
  String FILE = "state.db";

  /** A unit of work on the connection, inside a transaction. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Opens (creating and migrating) the embedded {@code state.db} at {@code file}. */
  static StateDb open(Path file) throws IOException {
    return SqliteStateDb.open(file);
  }

  /** A consistent copy of the embedded database {@code file} at {@code dest}, taken while others write. */
  static void snapshot(Path file, Path dest) throws IOException {
    SqliteStateDb.snapshot(file, dest);
  }

  /** What errors call this state: {@code state.db}, or the shared database by its URL (no credentials). */
  String name();

  /** Runs {@code work} as the only writer, in one transaction. */
  <T> T transaction(Work<T> work) throws SQLException;

  /** Runs {@code work}, which only reads, on one consistent snapshot. */
  <T> T read(Work<T> work) throws SQLException;

  /**
   * {@code sql} prepared once on the current connection, for use inside {@link #transaction}
   * or {@link #read} only (the statement is shared: set every parameter, and do not close it).
   */
  PreparedStatement prepared(String sql) throws SQLException;

  /** For the daemon: moves the engine's housekeeping off the callers' path, where it has any. */
  default void checkpointInBackground(Duration every) throws SQLException {}

  @Override
  void close();
}
