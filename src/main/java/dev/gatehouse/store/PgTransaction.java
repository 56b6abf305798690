package dev.gatehouse.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * One transaction on a PostgreSQL database, on a connection of its own, for work that must
 * land whole or not at all ({@code gatehouse migrate}: the state, the audit log and the vault).
 *
 * <p>Guarantees: the schema is brought up to date first ({@link PgStateDb#migrate}, which
 * commits on its own: tables without rows); then nothing written through {@link #connection}
 * is visible to any other session before {@link #commit} returns, and nothing of it remains
 * unless it does. {@link #close} without a commit rolls back; a process killed mid-way, or a
 * connection lost, leaves the same, since the server rolls back a transaction whose client is
 * gone. The advisory locks given to {@link #begin} are taken first, in that order, and held to
 * the end, so every replica's writer of what they guard waits for the outcome.
 */
public final class PgTransaction implements AutoCloseable {
  private final Connection connection;
  private boolean done;

  private PgTransaction(Connection connection) {
    this.connection = connection;
  }

  /** Migrates the schema, connects through {@code connector}, begins, and takes {@code locks}. */
  public static PgTransaction begin(PgConnector connector, long... locks) throws IOException {
    PgStateDb.migrate(connector);
    String url = connector.url();
    Connection c;
    try {
      c = connector.connect();
    } catch (SQLException e) {
      throw new IOException("cannot connect to " + url + ": " + e.getMessage(), e);
    }
    try {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        for (long lock : locks) {
          s.setLong(1, lock);
          s.execute();
        }
      }
      return new PgTransaction(c);
    } catch (SQLException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IOException("cannot begin a transaction at " + url + ": " + e.getMessage(), e);
    }
  }

  /** The transaction's connection: its work must neither commit nor roll back, nor change auto-commit. */
  public Connection connection() {
    return connection;
  }

  /** Makes everything written durable and visible at once, and ends the transaction. */
  public void commit() throws SQLException {
    if (done) {
      throw new IllegalStateException("the transaction has ended");
    }
    done = true;
    connection.commit();
  }

  /** Rolls back unless committed, and disconnects. */
  @Override
  public void close() {
    try {
      if (!done) {
        done = true;
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // a connection that broke: the server rolls back what its client left
    } finally {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // already gone
      }
    }
  }
}
