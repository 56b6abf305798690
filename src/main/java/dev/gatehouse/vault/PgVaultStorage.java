package dev.gatehouse.vault;

import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.PgConnector;
import dev.gatehouse.store.PgStateDb;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The vault shared by several daemons, in the table {@code vault_images} of their PostgreSQL
 * database ({@code db/postgresql/V5__vault.sql}): the newest row holds the image, byte for byte
 * what {@code vault.gh} would hold, so the database sees only public metadata and ciphertext.
 *
 * <p>{@link #lock} takes a session-level advisory lock ({@value #LOCK_NAME}) on this storage's
 * connection, held until the {@link Locked} is closed: the read, the ledger's records and the
 * write of a change happen under it, so replicas' read-modify-writes serialize. (A
 * transaction-scoped lock would end at the write's commit, before the ledger's
 * {@code committed} record, which must be made under the same lock.) A write is one
 * transaction that checks the newest generation is still the one read (compare and set),
 * inserts the new row and deletes the older ones; a write that finds another generation in
 * place (only possible for a writer that bypassed the lock) changes nothing and is refused.
 *
 * <p>The {@link #stamp} is the newest row's generation and row version ({@code xmin}), one
 * query on the primary key per call: a row written, deleted or edited in place by anyone is a
 * new stamp, so every replica sees another's change at its very next lookup.
 *
 * <p>One connection, opened on first use through a {@link PgConnector} (the password is read
 * from this replica's own vault then, and not kept); a connection that breaks is discarded and
 * the next call connects afresh, with the password the vault holds then. The schema is
 * migrated on the first connection.
 *
 * <p>{@link #joining} is the same vault inside a caller's open transaction instead (how
 * {@code gatehouse migrate} moves a vault with the rest of a home, all or nothing): its lock is
 * transaction-scoped, held until the caller's transaction ends, and its write neither commits
 * nor rolls back: the row is visible to others once, and only if, the caller commits.
 */
public final class PgVaultStorage implements VaultStorage {
  static final String LOCK_NAME = "gh-vault";
  /** The advisory lock key of the vault's writers: "gh-vault" in ASCII. */
  public static final long LOCK = 0x67682d7661756c74L;

  private final String url;
  private final PgConnector connector;
  private final Connection joined; // the caller's connection in its open transaction, or null
  private final ReentrantLock threads = new ReentrantLock();
  private Connection connection; // guarded by threads
  private boolean migrated; // guarded by threads
  private final java.util.concurrent.atomic.AtomicLong stampReads = new java.util.concurrent.atomic.AtomicLong();

  /** The vault of the database {@code connector} reaches, asked for the properties at each connection. */
  public PgVaultStorage(PgConnector connector) {
    this(connector, null);
  }

  private PgVaultStorage(PgConnector connector, Connection joined) {
    this.url = connector.url();
    this.connector = connector;
    this.joined = joined;
    this.connection = joined;
  }

  /**
   * The vault of the database at {@code url} inside the caller's open transaction on {@code c}
   * (auto-commit off; its schema migrated): the caller commits or rolls back, and closes {@code c}.
   */
  public static PgVaultStorage joining(String url, Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      throw new IllegalStateException("the vault joins a transaction the caller has begun");
    }
    return new PgVaultStorage(new PgConnector(url, () -> {
      throw new IllegalStateException("a joined vault uses the caller's connection only");
    }), c);
  }

  @Override
  public String name() {
    return "the database's vault";
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public boolean exists() throws IOException {
    return call(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM vault_images LIMIT 1");
          ResultSet r = s.executeQuery()) {
        return r.next();
      }
    });
  }

  @Override
  public Object stamp() throws IOException {
    stampReads.incrementAndGet();
    return call(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT generation, xmin::text FROM vault_images ORDER BY generation DESC LIMIT 1");
          ResultSet r = s.executeQuery()) {
        return r.next() ? List.of(r.getLong(1), r.getString(2)) : null;
      }
    });
  }

  /** How many times {@link #stamp} has asked the database: one round trip each, what a call's lookups cost. */
  public long stampReads() {
    return stampReads.get();
  }

  @Override
  public byte[] read() throws IOException {
    return call(PgVaultStorage::newest);
  }

  /** The newest image; its authenticated header must state its row's generation. */
  private static byte[] newest(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT generation, image FROM vault_images ORDER BY generation DESC LIMIT 1");
        ResultSet r = s.executeQuery()) {
      if (!r.next()) {
        throw new NotConfiguredException("the database holds no vault yet; a replica creates it from its vault.gh "
            + "when first unsealed");
      }
      long generation = r.getLong(1);
      byte[] image = r.getBytes(2);
      if (headerGeneration(image) != generation) {
        throw new RefusedException(Vault.WRONG_OR_DAMAGED); // a row edited by hand: its MAC'd header disagrees
      }
      return image;
    }
  }

  /** The generation line 1 states ({@code gatehouse-vault 2 N}); -1 when it does not parse. */
  private static long headerGeneration(byte[] image) {
    int end = 0;
    while (end < image.length && end < 64 && image[end] != '\n') {
      end++;
    }
    String line = new String(image, 0, end, StandardCharsets.US_ASCII);
    if (!line.startsWith(VaultFormat.MAGIC_V2)) {
      return -1;
    }
    try {
      return Long.parseLong(line.substring(VaultFormat.MAGIC_V2.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public Locked lock() throws IOException {
    threads.lock();
    try {
      call(c -> {
        try (PreparedStatement s = c.prepareStatement(joined == null ? "SELECT pg_advisory_lock(?)"
            : "SELECT pg_advisory_xact_lock(?)")) { // joined: held until the caller's transaction ends
          s.setLong(1, LOCK);
          s.execute();
        }
        return null;
      });
    } catch (IOException | RuntimeException e) {
      threads.unlock();
      throw e;
    }
    Connection session = connection;
    return new Locked() {
      private boolean open = true;

      /** The lock belongs to the session that took it: on another connection, nothing is locked. */
      private void stillLocked() throws IOException {
        if (connection != session) {
          throw new IOException("the connection to the database's vault broke while this replica held its lock; "
              + "nothing more is done under it");
        }
      }

      @Override
      public boolean exists() throws IOException {
        stillLocked();
        return PgVaultStorage.this.exists();
      }

      @Override
      public byte[] read() throws IOException {
        stillLocked();
        return PgVaultStorage.this.read();
      }

      @Override
      public void write(long from, long generation, byte[] bytes) throws IOException {
        if (headerGeneration(bytes) != generation) {
          throw new IllegalArgumentException("the image's header states another generation");
        }
        stillLocked();
        boolean own = joined == null; // else the caller's transaction, which it commits or rolls back
        call(c -> {
          if (own) {
            c.setAutoCommit(false);
          }
          try {
            try (PreparedStatement s = c.prepareStatement("SELECT max(generation) FROM vault_images");
                ResultSet r = s.executeQuery()) {
              r.next();
              long current = r.getObject(1) == null ? -1 : r.getLong(1);
              if (current != from) {
                throw lostRace(current, from);
              }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO vault_images (generation, image) VALUES (?, ?)")) {
              s.setLong(1, generation);
              s.setBytes(2, bytes);
              s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM vault_images WHERE generation < ?")) {
              s.setLong(1, generation);
              s.executeUpdate();
            }
            if (own) {
              c.commit();
            }
            return null;
          } catch (SQLException | RuntimeException e) {
            if (own) {
              try {
                c.rollback();
              } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
              }
            }
            if (e instanceof SQLException q && "23505".equals(q.getSQLState())) {
              throw lostRace(generation, from); // that generation exists already
            }
            throw e;
          } finally {
            if (own && !c.isClosed()) {
              c.setAutoCommit(true);
            }
          }
        });
      }

      @Override
      public void close() throws IOException {
        if (!open) {
          return;
        }
        open = false;
        try {
          if (connection != session || joined != null) {
            return; // the session that held the lock is gone, and the lock with it; or it ends with the transaction
          }
          call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
              s.setLong(1, LOCK);
              s.execute();
            }
            return null;
          });
        } catch (IOException | RuntimeException e) {
          discard(); // ending the session releases the lock
          throw e;
        } finally {
          threads.unlock();
        }
      }
    };
  }

  private static RefusedException lostRace(long current, long from) {
    return new RefusedException("the database's vault changed while this replica changed it (it holds generation "
        + current + ", not " + from + " as read); nothing was written, try again");
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} on the connection; a failure of the database is an IOException naming it, never the password. */
  private <T> T call(Work<T> work) throws IOException {
    threads.lock();
    try {
      Connection c = connection();
      try {
        return work.run(c);
      } catch (SQLException e) {
        if (broken(c, e)) {
          discard();
        }
        throw new IOException("the database's vault cannot be read or written (" + url + "): " + e.getMessage(), e);
      }
    } finally {
      threads.unlock();
    }
  }

  private Connection connection() throws IOException {
    if (connection == null) {
      if (!migrated) {
        PgStateDb.migrate(connector);
        migrated = true;
      }
      try {
        connection = connector.connect();
      } catch (SQLException e) {
        throw new IOException("cannot connect to " + url + ": " + e.getMessage(), e);
      }
    }
    return connection;
  }

  /** Whether the failure means the connection is no longer usable: {@link dev.gatehouse.store.PgPool#broken}. */
  private static boolean broken(Connection c, SQLException e) {
    return dev.gatehouse.store.PgPool.broken(c, e);
  }

  private void discard() {
    if (joined != null) {
      return; // the caller's connection: it closes it
    }
    threads.lock();
    try {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException ignored) {
          // already gone
        }
        connection = null;
      }
    } finally {
      threads.unlock();
    }
  }

  /** Closes the connection (and so releases any lock it held); a joined storage's is the caller's to close. */
  public void close() {
    discard();
  }
}
