package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.audit.AuditRecord;
import dev.gatehouse.audit.AuditVerifier;
import dev.gatehouse.audit.Checkpoint;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.InclusionEvidence;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
        AuditCommand.ShowCheckpoint.class, AuditCommand.Hash.class})
final class AuditCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The audit folder of the home, which must hold a log. */
  static Path auditDir(HomeCommand c) {
    Path dir = c.open().home().file(Gatehouse.AUDIT_DIR);
    if (!Files.exists(dir.resolve(FileAuditLog.VERIFIER_FILE))) {
      throw new NotConfiguredException("this home has no audit log yet; it starts with `gatehouse init`");
    }
    return dir;
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
      Path dir = auditDir(this);
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
      AuditVerifier.Result r = AuditVerifier.verifyAll(dir, AuditVerifier.verifierKey(dir), older);
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
      Path dir = auditDir(this);
      if (count < 0) {
        throw new BadInputException("-n must be 0 or more");
      }
      Deque<String> last = new ArrayDeque<>();
      long seen = printNew(dir, 0, line -> {
        last.add(line);
        if (last.size() > count) {
          last.removeFirst();
        }
      });
      last.forEach(out()::println);
      out().flush();
      while (follow) {
        Thread.sleep(500); // polling for a person watching; nothing depends on its timing
        seen = printNew(dir, seen, line -> out().println(line));
        out().flush();
      }
      return ExitCodes.OK;
    }

    private long printNew(Path dir, long skip, java.util.function.Consumer<String> sink) throws IOException {
      AuditVerifier.Scan scan = AuditVerifier.scan(dir, false, true, -1);
      List<byte[]> lines = scan.lines();
      for (int i = (int) skip; i < lines.size(); i++) {
        String line = new String(lines.get(i), StandardCharsets.US_ASCII);
        AuditRecord r = AuditRecord.parse(lines.get(i));
        if (type == null || (r != null && r.type().equals(type))) {
          sink.accept(line);
        }
      }
      return lines.size();
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
      Path dir = auditDir(this);
      InclusionEvidence evidence = InclusionEvidence.of(dir, AuditVerifier.verifierKey(dir), seq);
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
      Path dir = auditDir(this);
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
