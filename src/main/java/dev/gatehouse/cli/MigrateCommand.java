package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditMigration;
import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.store.Home;
import dev.gatehouse.store.PgPool;
import dev.gatehouse.store.PgTransaction;
import dev.gatehouse.store.StateMigration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Move this home's state, audit log and vault into an empty PostgreSQL database in one transaction, "
        + "committed only once each copy is proven there (all or nothing: a failure leaves the database as it was), "
        + "then point gatehouse.yaml at it (storage: backend: postgres).",
        "Stop the daemon first. The database password is read from the vault entry --password-secret names. "
            + "See docs/storage.md."})
final class MigrateCommand extends HomeCommand {
  private static final Pattern STORAGE_LINE = Pattern.compile("(?m)^storage\\s*:");

  @Option(names = "--to", required = true, paramLabel = "BACKEND", description = "Where to: postgres.")
  String to;

  @Parameters(paramLabel = "URL", description = "postgresql://HOST[:PORT]/DATABASE (no user, password or query).")
  String url;

  @Option(names = "--user", defaultValue = "gatehouse", paramLabel = "ROLE",
      description = "The database role (default: ${DEFAULT-VALUE}).")
  String user;

  @Option(names = "--password-secret", defaultValue = "postgres.password", paramLabel = "NAME",
      description = "The vault entry holding the role's password (default: ${DEFAULT-VALUE}).")
  String passwordSecret;

  @Option(names = "--tls-mode", paramLabel = "MODE",
      description = "disable, require, verify-ca or verify-full (default: verify-full; disable for a loopback host).")
  String tlsMode;

  @Option(names = "--tls-root-cert", paramLabel = "FILE", description = "The CA certificates (PEM) the server's must chain to.")
  Path tlsRootCert;

  @Override
  Integer execute() throws Exception {
    if (!"postgres".equals(to)) {
      throw new BadInputException("--to takes postgres (the only backend a home moves to)");
    }
    String section = storageSection();
    Config.Storage.Postgres target;
    try {
      target = Config.parse("the migrate options", section).storage().postgres().orElseThrow();
    } catch (ConfigException e) {
      throw new BadInputException(e.getMessage().replace("storage.url", "URL").replace("storage.", "--"));
    }
    Gatehouse g = openUnsealed();
    Path config = g.home().file(Home.CONFIG_FILE);
    String text = Files.readString(config, StandardCharsets.UTF_8);
    if (g.config().storage().backend() != Config.Storage.Backend.EMBEDDED || STORAGE_LINE.matcher(text).find()) {
      throw new BadInputException(config + " already has a storage: section; migrate moves a home on embedded "
          + "storage, whose gatehouse.yaml has none (remove it if it says backend: embedded)");
    }
    refuseWhileServing(g);
    Map<String, Long> moved;
    AuditMigration.Moved log;
    long rows;
    String step = "checking that the target is empty";
    boolean resuming = false; // the target holds an earlier move of this home
    // One transaction for all three copies and their checks: until its commit nobody sees any of
    // it, and a failure or a kill anywhere before leaves the database as it found it.
    try (PgTransaction t = g.beginMigration(target)) {
      try {
        String occupied = occupied(t);
        if (occupied != null) {
          step = "checking whether the target holds this home";
          resuming = true;
          Optional<AuditMigration.Moved> resumed = g.resumeMoveIn(target, t);
          if (resumed.isEmpty()) {
            throw new RefusedException("the target already holds " + occupied + "; migrate moves a home into an "
                + "empty database only, and changed nothing");
          }
          step = "committing";
          t.commit();
          return finish(config, text, section, target, resumed.get());
        }
        step = "copying the state";
        moved = StateMigration.copy(g.stateDb(), t.connection());
        rows = moved.values().stream().mapToLong(Long::longValue).sum();
        // Recorded before the log moves, so the moved log holds it; and a failure after it is recorded too.
        g.audit().record(new AuditEvent("storage.migrate", env().actor(), target.jdbcUrl(), "moving",
            Map.of("rows", Long.toString(rows), "tables", Integer.toString(moved.size()))));
        step = "copying the audit log";
        log = g.copyAuditTo(t);
        step = "copying the vault";
        g.copyVaultTo(target, t);
        step = "committing";
        t.commit();
      } catch (IOException | SQLException | RuntimeException e) {
        throw failed(g, target, step, resuming, t, e);
      }
    } catch (StateMigration.NotEmpty e) {
      throw new RefusedException(e.getMessage());
    }
    writeStorageSection(config, text, section);
    out().println("moved " + rows + " rows in " + moved.size() + " tables to " + target.jdbcUrl()
        + ", each table checked equal");
    out().println("moved the audit log: " + log.entries() + " entries, verified in the database (its latest signed "
        + "checkpoint, of " + log.checkpointSize() + " entries, with it); and the vault, byte for byte");
    out().println(config + " now says storage: backend: postgres; state.db, audit/ and vault.gh stay in the home "
        + "(vault.gh opens the database: it holds its password); the other two are the copies they were, unused");
    return ExitCodes.OK;
  }

  /**
   * An earlier migrate moved this home and committed, then stopped before gatehouse.yaml (a
   * kill, or the connection lost at the commit): the database holds this home exactly, the
   * entries the home recorded since were appended to its log, and only the section is left.
   */
  private int finish(Path config, String text, String section, Config.Storage.Postgres target,
      AuditMigration.Moved log) throws IOException {
    writeStorageSection(config, text, section);
    out().println(target.jdbcUrl() + " already held this home exactly (every state table, the vault byte for byte, "
        + "and its audit log up to an earlier migrate's commit): that migrate committed, then stopped before "
        + "changing gatehouse.yaml");
    out().println("the audit log there now has all " + log.entries() + " of this home's entries, verified; "
        + config + " now says storage: backend: postgres");
    return ExitCodes.OK;
  }

  private static void writeStorageSection(Path config, String text, String section) throws IOException {
    AtomicFiles.write(config, (text + (text.endsWith("\n") ? "" : "\n") + "\n" + section)
        .getBytes(StandardCharsets.UTF_8));
  }

  /** What the target holds besides state (which {@link StateMigration#copy} checks), or null. */
  private static String occupied(PgTransaction t) throws SQLException {
    try (var s = t.connection().createStatement(); var rs = s.executeQuery("SELECT (SELECT size FROM audit_head"
        + " WHERE id = 1), (SELECT count(*) FROM audit_checkpoints), (SELECT count(*) FROM vault_images)")) {
      rs.next();
      return rs.getLong(1) > 0 || rs.getLong(2) > 0 ? "an audit log of " + rs.getLong(1) + " entries"
          : rs.getLong(3) > 0 ? "a vault" : null;
    }
  }

  /**
   * The error for a move that stopped at {@code step}: the transaction is rolled back (by the
   * caller's close), so the database holds none of the home, unless the connection broke while
   * committing, when the server may have committed or not. Recorded in the home's log, which
   * holds the {@code moving} entry by then.
   */
  private Exception failed(Gatehouse g, Config.Storage.Postgres target, String step, boolean resuming, PgTransaction t,
      Exception e) {
    if (!step.startsWith("checking")) {
      try {
        g.audit().record(new AuditEvent("storage.migrate", env().actor(), target.jdbcUrl(), "failed",
            Map.of("step", step)));
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
    }
    if (e instanceof RefusedException || e instanceof NotConfiguredException || e instanceof BadInputException) {
      return e; // says itself what is wrong; the database is left as it was all the same
    }
    String why = e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getMessage().strip().replaceAll("\\s*\\R\\s*", "; "); // the server's "Where:" lines: one line
    if (resuming) {
      return new IOException("migrate could not finish the earlier move of this home while " + step + " (" + why
          + "); the database is as that move left it (whatever was appended now is rolled back, or, if the "
          + "connection broke while committing, maybe not), and gatehouse.yaml was not changed. Run migrate again", e);
    }
    if (step.equals("committing") && e instanceof SQLException q && PgPool.broken(t.connection(), q)) {
      return new IOException("the connection to the database broke while committing the move, so whether the "
          + "database committed it is unknown (" + why + "): it holds either all of this home or none of it. "
          + "gatehouse.yaml was not changed; run migrate again: it moves the home, or, finding the database "
          + "holding it, finishes the move", e);
    }
    return new IOException("migrate failed while " + step + " (" + why + "); it was rolled back: the database "
        + "holds none of this home, and the home still uses its own storage (gatehouse.yaml was not changed). "
        + "Run migrate again once the cause is fixed", e);
  }

  /** What gatehouse.yaml gets: the same text the options were checked as. */
  private String storageSection() {
    StringBuilder b = new StringBuilder("# added by `gatehouse migrate --to postgres` (docs/storage.md)\n")
        .append("storage:\n  backend: postgres\n")
        .append("  url: ").append(yamlScalar(url)).append('\n')
        .append("  user: ").append(yamlScalar(user)).append('\n')
        .append("  password_secret: ").append(yamlScalar(passwordSecret)).append('\n');
    if (tlsMode != null || tlsRootCert != null) {
      b.append("  tls:\n");
      if (tlsMode != null) {
        b.append("    mode: ").append(yamlScalar(tlsMode)).append('\n');
      }
      if (tlsRootCert != null) {
        b.append("    root_cert: ").append(yamlScalar(tlsRootCert.toString())).append('\n');
      }
    }
    return b.toString();
  }

  /** A double-quoted YAML scalar: whatever the option holds stays one value. */
  private static String yamlScalar(String v) {
    if (v.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
      throw new BadInputException("an option holds a control character");
    }
    return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void refuseWhileServing(Gatehouse g) throws Exception {
    Path pid = g.home().file(Gatehouse.PID_FILE);
    if (!Files.exists(pid)) {
      return;
    }
    try {
      long p = Long.parseLong(Files.readString(pid, StandardCharsets.US_ASCII).strip());
      if (ProcessHandle.of(p).filter(ProcessHandle::isAlive).isPresent()) {
        throw new NotConfiguredException("the daemon (pid " + p + ") is serving this home; stop it first, so that "
            + "nothing changes while its state moves");
      }
    } catch (NumberFormatException e) {
      // a damaged pid file names no process
    }
  }
}
