package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.exec.Approvals;
import dev.gatehouse.exec.ExecGate;
import dev.gatehouse.exec.RunResult;
import dev.gatehouse.otp.VerifyOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The privileged-exec gate's face: one owner code, one exact command, once. */
@Command(name = "exec", mixinStandardHelpOptions = true,
    description = {"Run one command allowed by exec.yaml, after the owner's code is verified by Gatehouse itself.",
        "  exec --code [CODE] -- CMD [ARG]... verify the code, run the command once",
        "  exec --request -- CMD [ARG]...     ask the owner; prints a request id and the exact command",
        "  exec --approve ID --code [CODE]    the owner approves that request (within "
            + "120 s; the run must follow within 120 s)",
        "  exec --run ID                      run the approved command once (by the user who asked)",
        "No shell is used: ; && $(...) * and quotes reach the command as literal arguments. The command runs with "
            + "PATH only, in /, with a 5-minute timeout; its output and exit code are passed through.",
        "The code: leave CODE out to be asked for it without echo, or write - to pipe it in (`--code -`). A code "
            + "typed on the command line can be read by other local users until it is spent."})
final class ExecCommand extends HomeCommand {
  @Option(names = "--code", paramLabel = "CODE", arity = "0..1", fallbackValue = Secrets.ASK,
      description = "A code from the owner's authenticator app; none: ask for it; -: read it from standard input.")
  String code;

  @Option(names = "--request", description = "Ask for approval instead of giving a code.")
  boolean request;

  @Option(names = "--approve", paramLabel = "ID", description = "Approve request ID (with --code).")
  String approve;

  @Option(names = "--run", paramLabel = "ID", description = "Run approved request ID.")
  String run;

  @Parameters(paramLabel = "CMD", description = "The command and its arguments, after --.")
  List<String> argv = new ArrayList<>();

  @Override
  Integer execute() throws Exception {
    refuseLateHomeOptions();
    int modes = (approve != null ? 1 : 0) + (run != null ? 1 : 0) + (request ? 1 : 0)
        + (code != null && approve == null ? 1 : 0);
    if (modes != 1) {
      throw new BadInputException("use exactly one of: --code [CODE] -- CMD..., --request -- CMD..., --approve ID "
          + "--code [CODE], --run ID");
    }
    boolean needsArgv = request || (code != null && approve == null);
    if (needsArgv == argv.isEmpty()) {
      throw new BadInputException(needsArgv ? "give the command after --, e.g. exec --code -- /usr/bin/systemctl "
          + "restart jellyfin" : "--approve and --run take no command: the request holds it");
    }
    if (approve != null && code == null) {
      throw new BadInputException("--approve needs --code: a code from the owner's authenticator app");
    }
    // Before the vault is opened: unsealing takes seconds, and a code typed in argv is readable that long.
    String given = Secrets.readCode(env(), code, "the code from your authenticator app", err());
    Gatehouse g = openUnsealed();
    ExecGate gate = g.execGate();
    String who = requester();
    if (request) {
      Approvals.Request r = gate.request(argv, who);
      out().println("Request " + r.id() + " by " + who + ", valid until " + Outcomes.time(r.expiresAt()) + ":");
      out().println("  " + String.join(" ", quoted(r.argv())));
      out().println("The owner approves it with: gatehouse exec --approve " + r.id() + " --code");
      out().println("Then run it with: gatehouse exec --run " + r.id());
      return ExitCodes.OK;
    }
    if (approve != null) {
      VerifyOutcome v = gate.approve(approve, given, who);
      if (!(v instanceof VerifyOutcome.Accepted)) {
        err().println(Outcomes.describe(v));
        return ExitCodes.of(v);
      }
      out().println("Approved request " + approve + "; it can run once, within 120 s.");
      return ExitCodes.OK;
    }
    if (run != null) {
      return passThrough(gate.runApproved(run, who).result());
    }
    ExecGate.Outcome outcome = gate.runWithCode(argv, given, who);
    if (outcome instanceof ExecGate.CodeRefused refused) {
      err().println(Outcomes.describe(refused.outcome()));
      return ExitCodes.of(refused.outcome());
    }
    return passThrough(((ExecGate.Ran) outcome).result());
  }

  /** The command's output and exit code, as if it had run directly; truncation and timeout said on stderr. */
  private Integer passThrough(RunResult r) {
    out().print(new String(r.stdout(), StandardCharsets.UTF_8));
    out().flush();
    err().print(new String(r.stderr(), StandardCharsets.UTF_8));
    if (r.stdoutTruncated()) {
      err().println("gatehouse: standard output truncated after " + r.stdout().length + " bytes");
    }
    if (r.stderrTruncated()) {
      err().println("gatehouse: standard error truncated after " + r.stderr().length + " bytes");
    }
    if (r.timedOut()) {
      err().println("gatehouse: the command ran past its timeout and was killed, with everything it started");
    }
    err().flush();
    return r.exitCode();
  }

  /** Under sudo, the user who ran sudo (sudo sets SUDO_USER and the caller cannot); else this user. */
  private String requester() {
    String sudoUser = env().env().get("SUDO_USER");
    if ("root".equals(env().userName()) && sudoUser != null && sudoUser.matches("[a-z_][a-z0-9_-]{0,31}")) {
      return "sudo:" + sudoUser;
    }
    return env().actor();
  }

  /**
   * The sudoers rule fixes --home before `exec` and allows anything after it: an option given
   * after `exec` could point root at a home the agent prepared, so it is refused.
   */
  private void refuseLateHomeOptions() {
    var parsed = spec.commandLine().getParseResult();
    if (parsed != null && (parsed.hasMatchedOption("--home") || parsed.hasMatchedOption("--password-file"))) {
      throw new BadInputException("give --home and --password-file before `exec`, not after it");
    }
  }

  private static List<String> quoted(List<String> argv) {
    List<String> out = new ArrayList<>();
    for (String a : argv) {
      out.add(a.matches("[A-Za-z0-9_./:=@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
    }
    return out;
  }
}
