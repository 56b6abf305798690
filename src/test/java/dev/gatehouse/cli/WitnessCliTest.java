package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.audit.Checkpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@code audit.witness}: each kind receives every signed checkpoint the commands make, and
 * {@code audit verify --checkpoint} accepts what it received (and refuses a log that no
 * longer extends it).
 */
class WitnessCliTest extends CliTestBase {
  private void configure(String witness) throws Exception {
    assertThat(run("init")).isZero();
    Files.writeString(home.resolve("gatehouse.yaml"), "audit:\n  checkpoint_every_entries: 2\n  witness: " + witness + "\n");
  }

  /** Three commands that write the vault: each appends entries and signs a checkpoint as it closes. */
  private void work() {
    for (String name : List.of("a.one", "a.two", "a.three")) {
      stdin = ("value-" + name).getBytes(StandardCharsets.UTF_8);
      assertThat(run("vault", "add", name)).as(err).isZero();
    }
  }

  @Test
  void fileWitness_receivesEveryCheckpoint_andVerifyAcceptsTheFile() throws Exception {
    Path witness = temp.resolve("witness.notes");
    configure("{ file: " + witness + " }");
    work();
    List<String> notes = Checkpoint.splitNotes(Files.readString(witness));
    assertThat(notes).hasSizeGreaterThanOrEqualTo(3);
    assertThat(notes.getLast()).isEqualTo(Files.readString(home.resolve("audit/checkpoint")));
    assertThat(run("audit", "verify", "--checkpoint", witness.toString())).as(err).isZero();
    assertThat(out).contains(notes.size() + " older checkpoints").contains("each consistent with today's log");
  }

  @Test
  void fileWitness_showsAHomeRolledBackToAnOlderCopy() throws Exception {
    Path witness = temp.resolve("witness.notes");
    configure("{ file: " + witness + " }");
    work();
    Path archive = temp.resolve("old.ghb");
    assertThat(run("backup", archive.toString())).as(err).isZero();
    stdin = "later".getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "b.later")).as(err).isZero(); // witnessed, then lost in the "disk failure"
    Path restored = temp.resolve("restored");
    assertThat(run("--home", restored.toString(), "restore", archive.toString())).as(err).isZero();
    home = restored;
    assertThat(run("audit", "verify")).as("the restored log is intact in itself").isZero();
    assertThat(run("audit", "verify", "--checkpoint", witness.toString())).isEqualTo(ExitCodes.NO);
    assertThat(err).contains("missing (truncated)");
  }

  @Test
  void commandWitness_getsEachNoteOnStdin() throws Exception {
    Path received = temp.resolve("from-command");
    configure("{ command: [/bin/sh, -c, \"cat >> " + received + "\"] }");
    work();
    List<String> notes = Checkpoint.splitNotes(Files.readString(received));
    assertThat(notes).hasSizeGreaterThanOrEqualTo(3);
    assertThat(run("audit", "verify", "--checkpoint", received.toString())).as(err).isZero();
  }

  @Test
  void webhookWitness_onLoopback_getsEachNote_andVerifyAcceptsEach() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/witness", x -> {
      bodies.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)
          + "|" + x.getRequestHeaders().getFirst("Content-Type"));
      x.sendResponseHeaders(204, -1);
      x.close();
    });
    server.start();
    try {
      configure("{ webhook: \"http://127.0.0.1:" + server.getAddress().getPort() + "/witness\" }");
      work();
    } finally {
      server.stop(0);
    }
    assertThat(bodies).hasSizeGreaterThanOrEqualTo(3);
    for (String b : bodies) {
      String note = b.substring(0, b.lastIndexOf('|'));
      assertThat(b).endsWith("|text/plain; charset=utf-8");
      Path f = temp.resolve("one-note");
      Files.writeString(f, note);
      assertThat(run("audit", "verify", "--checkpoint", f.toString())).as(err).isZero();
      assertThat(out).contains("consistent with today's log");
    }
  }

  @Test
  void witnessFailing_isAuditedOncePerCommand_notPerCheckpoint_andNeverFailsIt() throws Exception {
    configure("{ command: [/bin/false] }");
    work(); // three commands, each signing two checkpoints or more
    assertThat(run("audit", "tail", "-n", "1000", "--type", "audit.witness")).isZero();
    assertThat(out.lines().toList()).hasSize(3).allMatch(l -> l.contains("\"outcome\":\"failing\"")
        && l.contains("command /bin/false") && l.contains("exit code 1"));
    assertThat(run("audit", "verify")).as(err).isZero();
  }

  @Test
  void witnessConfigErrors_nameFileLineAndField() throws Exception {
    assertThat(run("init")).isZero();
    Path config = home.resolve("gatehouse.yaml");
    Files.writeString(config, "audit:\n  witness: { file: relative/notes }\n");
    assertThat(run("vault", "list")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("gatehouse.yaml:2").contains("audit.witness.file");
    Files.writeString(config, "audit:\n  witness: { file: /tmp/x, webhook: \"http://127.0.0.1:1/\" }\n");
    assertThat(run("vault", "list")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("gatehouse.yaml:2").contains("audit.witness must name exactly one of");
    Files.writeString(config, "audit:\n  witness: { webhook: \"ftp://example.com/\" }\n");
    assertThat(run("vault", "list")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("gatehouse.yaml:2").contains("audit.witness.webhook");
    Files.writeString(config, "audit:\n  witness: { file: " + home.resolve("notes") + " }\n");
    assertThat(run("vault", "list")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("audit.witness.file").contains("inside the home");
  }
}
