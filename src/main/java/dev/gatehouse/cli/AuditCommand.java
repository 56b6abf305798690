package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.InclusionEvidence;
import dev.gatehouse.audit.PgAuditRows;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "The tamper-evident audit log: verify it, read it, prove an entry, keep a checkpoint.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Tail.class, AuditCommand.Prove.class,
        AuditCommand.ShowCheckpoint.class, AuditCommand.Hash.class, AuditCommand.Export.class})
final class AuditCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The audit folder of the home, which must hold a log. */
  static Path auditDir(HomeCommand c) {
    return auditDir(c.open());
  }

  /** The audit folder of {@code g}'s home, which must hold a log. */
  static Path auditDir(Gatehouse g) {
    Path dir = g.home().file(Gatehouse.AUDIT_DIR);
    if (!Files.exists(dir.resolve(FileAuditLog.VERIFIER_FILE))) {
      throw new NotConfiguredException("this home has no audit log yet; it starts with `gatehouse init`");
    }
    return dir;
  }

  /** Whether the home keeps its state, the audit log among it, in PostgreSQL ({@code storage.backend: postgres}). */
  static boolean onPostgres(Gatehouse g) {
    return g.config().storage().backend() == Config.Storage.Backend.POSTGRES;
  }

  /**
   * A connection to the home's PostgreSQL database, with the password from the entry
   * {@code storage.password_secret} of this replica's vault.gh (so the vault is unsealed first),
   * as the daemon reads it: the shared vault may hold a stale copy of it (migrate copies vault.gh).
   */
  static Connection database(HomeCommand c, Gatehouse g) throws IOException {
    Config.Storage.Postgres db = g.config().storage().postgres().orElseThrow();
    c.unseal(g);
    char[] password;
    try (SecretValue v = g.localVault().reveal(db.passwordSecret(), SecretAccess.get()).orElseThrow(() ->
        new NotConfiguredException("vault.gh has no entry " + db.passwordSecret() + " (storage.password_secret): add "
            + "it with `gatehouse storage password`"))) {
      byte[] bytes = v.bytes(SecretAccess.get());
      java.nio.CharBuffer chars = StandardCharsets.UTF_8.decode(java.nio.ByteBuffer.wrap(bytes));
      Arrays.fill(bytes, (byte) 0);
      password = new char[chars.remaining()];
      chars.get(password);
      Arrays.fill(chars.array(), '\0');
    }
    try {
      return DriverManager.getConnection(db.jdbcUrl(), db.connectionProperties(password));
    } catch (SQLException e) {
      throw new RefusedException("cannot connect to the database " + db.jdbcUrl() + ": " + e.getMessage(), e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Prove the log intact, or name the first bad entry.",
          "Checks every entry's hash, the chain, the Merkle root against the latest signed checkpoint, and with "
              + "--checkpoint an older checkpoint kept elsewhere (a consistency proof: catches a rewritten or "
              + "truncated history even if every hash was recomputed). Exit 0 intact, 1 not."})
  static final class Verify extends HomeCommand {
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "An older checkpoint (from `audit checkpoint`), "
        + "or a file witness's file of them: every one must be a prefix of today's log.")
    Path checkpoint;

    @Override
    Integer execute() throws IOException {
      List<String> older = List.of();
      if (checkpoint != null) {
        try {
          older = Checkpoint.splitNotes(Files.readString(checkpoint, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
          throw new BadInputException("--checkpoint " + checkpoint + " does not exist");
        }
        if (older.isEmpty()) {
          throw new BadInputException("--checkpoint " + checkpoint + " is empty");
        }
      }
      AuditVerifier.Result r;
      Gatehouse g = open();
      if (onPostgres(g)) {
        try (Connection c = database(this, g)) {
          r = PgAuditRows.verify(c, older);
        } catch (SQLException e) {
          throw new RefusedException("cannot read the audit log in the database: " + e.getMessage(), e);
        }
      } else {
        Path dir = auditDir(g);
        r = AuditVerifier.verifyAll(dir, AuditVerifier.verifierKey(dir), older);
      }
      if (!r.intact()) {
        err().println("gatehouse: audit log NOT intact: " + r.problem());
        return ExitCodes.NO;
      }
      out().println("audit log intact: " + r.entries() + " entries, root " + AuditVerifier.b64(r.root()));
      if (r.latest() != null) {
        out().println("latest signed checkpoint: size " + r.latest().size() + ", signature and root verified");
      } else {
        out().println("no signed checkpoint yet");
      }
      if (r.older() != null && older.size() == 1) {
        out().println("older checkpoint (size " + r.older().size() + "): consistent with today's log");
      } else if (r.older() != null) {
        out().println(older.size() + " older checkpoints (the last at size " + r.older().size()
            + "): each consistent with today's log");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"Write the audit log kept in PostgreSQL into DIR as the files of a home's audit/ folder.",
          "Every entry as segment-NNNNNN.jsonl, the latest signed checkpoint and signing-key.pub, from one snapshot "
              + "(replicas may append meanwhile). The export is then verified; `audit verify` in a copy of it, or "
              + "any reader of docs/audit-format.md, checks it offline. DIR must be new or empty."})
  static final class Export extends HomeCommand {
    @Parameters(paramLabel = "DIR", description = "Where to write (created 0700; refused unless empty).")
    Path target;

    @Override
    Integer execute() throws IOException {
      if (Files.isDirectory(target)) {
        try (var listing = Files.list(target)) {
          if (listing.findAny().isPresent()) {
            throw new BadInputException(target + " is not empty: `audit export` writes into a new or empty folder");
          }
        }
      } else if (Files.exists(target)) {
        throw new BadInputException(target + " exists and is not a folder");
      }
      Gatehouse g = open();
      if (!onPostgres(g)) {
        throw new NotConfiguredException("this home's audit log is already files, in " + g.home().file(Gatehouse.AUDIT_DIR)
            + "; `audit export` reads the log of a home whose storage is PostgreSQL (storage.backend: postgres)");
      }
      PgAuditRows.Exported e;
      try (Connection c = database(this, g)) {
        e = PgAuditRows.export(c, target, g.config().audit().segmentMaxBytes());
      } catch (SQLException ex) {
        throw new RefusedException("cannot read the audit log in the database: " + ex.getMessage(), ex);
      }
      out().println("exported " + e.entries() + " entries in " + e.segments() + " segment(s) to " + target
          + (e.checkpoint() ? ", with the latest signed checkpoint" : ", no signed checkpoint yet"));
      AuditVerifier.Result r = AuditVerifier.verify(target, AuditVerifier.verifierKey(target), null);
      if (!r.intact()) {
        err().println("gatehouse: the exported audit log is NOT intact: " + r.problem());
        return ExitCodes.NO;
      }
      out().println("verified: intact, root " + AuditVerifier.b64(r.root()));
      return ExitCodes.OK;
    }
  }

  @Command(name = "tail", mixinStandardHelpOptions = true, description = "Print the last entries (JSON Lines).")
  static final class Tail extends HomeCommand {
    @Option(names = "-n", paramLabel = "N", description = "How many (default 10).")
    int count = 10;

    @Option(names = "--type", paramLabel = "T", description = "Only entries of this type (e.g. totp.verify).")
    String type;

    @Option(names = "--follow", description = "Keep printing new entries until interrupted.")
    boolean follow;

    @Override
    Integer execute() throws Exception {
      if (count < 0) {
        throw new BadInputException("-n must be 0 or more");
      }
      Gatehouse g = open();
      Connection db = onPostgres(g) ? database(this, g) : null;
      try {
        Path dir = db == null ? auditDir(g) : null;
        Deque<String> last = new ArrayDeque<>();
        long seen = printNew(dir, db, 0, line -> {
          last.add(line);
          if (last.size() > count) {
            last.removeFirst();
          }
        });
        last.forEach(out()::println);
        out().flush();
        while (follow) {
          Thread.sleep(500); // polling for a person watching; nothing depends on its timing
          seen = printNew(dir, db, seen, line -> out().println(line));
          out().flush();
        }
        return ExitCodes.OK;
      } catch (SQLException e) {
        throw new RefusedException("cannot read the audit log in the database: " + e.getMessage(), e);
      } finally {
        if (db != null) {
          db.close();
        }
      }
    }

    /** Prints the entries from seq {@code skip} on (of the files in {@code dir}, or else of {@code db}); the seq after them. */
    private long printNew(Path dir, Connection db, long skip, java.util.function.Consumer<String> sink)
        throws IOException, SQLException {
      List<byte[]> lines = dir != null ? AuditVerifier.scan(dir, false, true, -1).lines() : PgAuditRows.lines(db, skip);
      int from = dir != null ? (int) skip : 0;
      for (int i = from; i < lines.size(); i++) {
        String line = new String(lines.get(i), StandardCharsets.US_ASCII);
        AuditRecord r = AuditRecord.parse(lines.get(i));
        if (type == null || (r != null && r.type().equals(type))) {
          sink.accept(line);
        }
      }
      return dir != null ? lines.size() : skip + lines.size();
    }
  }

  @Command(name = "prove", mixinStandardHelpOptions = true,
      description = {"Print an RFC 6962 inclusion proof for entry SEQ, as JSON, verifiable offline.",
          "The proof is against the latest signed checkpoint when it covers SEQ (the checkpoint is included)."})
  static final class Prove extends HomeCommand {
    @Parameters(paramLabel = "SEQ")
    long seq;

    @Override
    Integer execute() throws IOException {
      Gatehouse g = open();
      InclusionEvidence evidence;
      if (onPostgres(g)) {
        try (Connection c = database(this, g)) {
          evidence = PgAuditRows.evidence(c, seq);
        } catch (SQLException e) {
          throw new RefusedException("cannot read the audit log in the database: " + e.getMessage(), e);
        }
      } else {
        Path dir = auditDir(g);
        evidence = InclusionEvidence.of(dir, AuditVerifier.verifierKey(dir), seq);
      }
      out().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(evidence.toJson()));
      return ExitCodes.OK;
    }
  }

  @Command(name = "checkpoint", mixinStandardHelpOptions = true,
      description = {"Print the latest signed checkpoint (a C2SP signed note), to keep somewhere else.",
          "Its verifier key goes to stderr. Later, `audit verify --checkpoint FILE` proves the log still extends it."})
  static final class ShowCheckpoint extends HomeCommand {
    @Override
    Integer execute() throws IOException {
      Gatehouse g = open();
      if (onPostgres(g)) {
        PgAuditRows.Latest latest;
        try (Connection c = database(this, g)) {
          latest = PgAuditRows.latest(c);
        } catch (SQLException e) {
          throw new RefusedException("cannot read the audit log in the database: " + e.getMessage(), e);
        }
        if (latest.checkpoint() == null) {
          throw new NotConfiguredException("no checkpoint yet");
        }
        out().print(latest.note());
        err().println("verifier key: " + latest.key().text());
        return ExitCodes.OK;
      }
      Path dir = auditDir(g);
      Checkpoint.Verifier key = AuditVerifier.verifierKey(dir);
      if (AuditVerifier.latestCheckpoint(dir, key) == null) {
        throw new NotConfiguredException("no checkpoint yet");
      }
      out().print(Files.readString(dir.resolve(FileAuditLog.CHECKPOINT_FILE), StandardCharsets.UTF_8));
      err().println("verifier key: " + key.text());
      return ExitCodes.OK;
    }
  }

  @Command(name = "hash", mixinStandardHelpOptions = true,
      description = {"Print the tag that stands for a secret value in the log (value on standard input).",
          "Search the log for it to find where the value was used; the log never holds the value itself."})
  static final class Hash extends HomeCommand {
    @Override
    Integer execute() throws IOException {
      Gatehouse g = openUnsealed();
      byte[] value = Secrets.readStdin(env().stdin(), "the value");
      try {
        out().println(g.redactor().tag(new String(value, StandardCharsets.UTF_8)));
      } finally {
        Arrays.fill(value, (byte) 0);
      }
      return ExitCodes.OK;
    }
  }
}
