package dev.gatehouse.exec;

import dev.gatehouse.Sha256;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.VerifyOutcome;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The privileged-exec gate: one fresh owner code (or one bound approval) runs one exact
 * command once. Order, always: the policy decides (a refused command never consumes or
 * counts a code); the host is checked (a cgroup of its own for the command; the sandbox if
 * the rule asks for it); the code is verified by the TOTP core (replay and lockout
 * persisted); the run is recorded in the audit log (if that fails, nothing runs); the command runs with {@link CommandRunner}'s guarantees; the
 * outcome is recorded. Nothing the caller says besides argv and the code influences it.
 */
public final class ExecGate {
  /** The gate's answer when the command ran, or why the code was not good enough. */
  public sealed interface Outcome permits Ran, CodeRefused {}

  public record Ran(RunResult result, long auditSeq) implements Outcome {}

  public record CodeRefused(VerifyOutcome outcome) implements Outcome {}

  private final ExecPolicy policy;
  private final TotpService totp;
  private final Approvals approvals;
  private final CommandRunner runner;
  private final AuditLog audit;
  private final Clock clock;

  public ExecGate(ExecPolicy policy, TotpService totp, Approvals approvals, CommandRunner runner, AuditLog audit,
      Clock clock) {
    this.policy = policy;
    this.totp = totp;
    this.approvals = approvals;
    this.runner = runner;
    this.audit = audit;
    this.clock = clock;
  }

  /** {@code exec --code CODE -- argv}: verify the code, then run argv once. */
  public Outcome runWithCode(List<String> argv, String code, String requester) throws IOException {
    ExecPolicy.Allowed allowed = allowed(argv, requester);
    checkHost(allowed);
    VerifyOutcome verified = totp.verify(code, requester);
    if (!(verified instanceof VerifyOutcome.Accepted)) {
      audit.record(new AuditEvent("exec.run", requester, allowed.argv().get(0), "code-refused", argvDetails(allowed)));
      return new CodeRefused(verified);
    }
    return run(allowed, requester, "code", null);
  }

  /** {@code exec --request -- argv}: records a request for the owner; nothing runs yet. */
  public Approvals.Request request(List<String> argv, String requester) throws IOException {
    ExecPolicy.Allowed allowed = allowed(argv, requester);
    checkHost(allowed);
    try {
      Approvals.Request r = approvals.request(allowed.argv(), requester, clock.instant());
      Map<String, String> d = argvDetails(allowed);
      d.put("request", r.id());
      d.put("expires", r.expiresAt().toString());
      audit.record(new AuditEvent("exec.request", requester, allowed.argv().get(0), "requested", d));
      return r;
    } catch (SQLException e) {
      throw new RefusedException("the request cannot be recorded (" + e.getMessage() + ")", e);
    }
  }

  /** {@code exec --approve ID --code CODE}: the owner's code approves that one request. */
  public VerifyOutcome approve(String id, String code, String approver) {
    Approvals.Request r;
    try {
      r = approvals.find(id).orElseThrow(() -> new RefusedException("no request " + id));
    } catch (SQLException e) {
      throw new RefusedException("the approvals cannot be read (" + e.getMessage() + ")", e);
    }
    if (!clock.instant().isBefore(r.expiresAt()) || r.approvedAt().isPresent()) {
      throw new RefusedException(r.approvedAt().isPresent() ? "request " + id + " is already approved"
          : "request " + id + " expired; it must be asked again");
    }
    VerifyOutcome verified = totp.verify(code, approver);
    Map<String, String> d = new TreeMap<>();
    d.put("request", id);
    d.put("argv_sha256", r.argvSha256());
    if (!(verified instanceof VerifyOutcome.Accepted)) {
      audit.record(new AuditEvent("exec.approve", approver, r.argv().get(0), "code-refused", d));
      return verified;
    }
    audit.record(new AuditEvent("exec.approve", approver, r.argv().get(0), "approved", d));
    try {
      approvals.approve(id, approver, clock.instant());
    } catch (SQLException | Approvals.Refused e) {
      throw new RefusedException(e.getMessage(), e);
    }
    return verified;
  }

  /** {@code exec --run ID}: runs the approved command once, for the user who asked. */
  public Ran runApproved(String id, String requester) throws IOException {
    List<String> argv;
    try {
      argv = approvals.take(id, requester, clock.instant());
    } catch (Approvals.Refused e) {
      audit.record(new AuditEvent("exec.run", requester, id, "denied", Map.of("reason", e.getMessage())));
      throw new RefusedException(e.getMessage());
    } catch (SQLException e) {
      throw new RefusedException("the approvals cannot be read (" + e.getMessage() + ")", e);
    }
    // The policy may have changed since the request: it is asked again.
    ExecPolicy.Allowed allowed = allowed(argv, requester);
    checkHost(allowed);
    return run(allowed, requester, "approval", id);
  }

  private ExecPolicy.Allowed allowed(List<String> argv, String requester) {
    ExecPolicy.Decision d = policy.decide(argv);
    if (d instanceof ExecPolicy.Denied denied) {
      audit.record(new AuditEvent("exec.run", requester, argv.isEmpty() ? "-" : argv.get(0), "not-allowed",
          Map.of("reason", denied.reason(), "argv", String.join(" ", argv))));
      throw new RefusedException("not allowed: " + denied.reason() + "; nothing ran and no code was used");
    }
    return (ExecPolicy.Allowed) d;
  }

  /** The host must be able to run the command at all (its own cgroup), and in a sandbox if the rule asks. */
  private void checkHost(ExecPolicy.Allowed allowed) {
    runner.cgroupProblem().ifPresent(problem -> {
      throw new RefusedException("commands cannot run here, because nothing could end what " + allowed.argv().get(0)
          + " starts: " + problem + "; nothing ran and no code was used");
    });
    if (allowed.rule().sandbox() && !runner.sandboxAvailable()) {
      throw new RefusedException("the rule for " + allowed.argv().get(0) + " asks for a sandbox and bubblewrap cannot"
          + " run here (apt-get install bubblewrap); nothing ran and no code was used");
    }
  }

  private Ran run(ExecPolicy.Allowed allowed, String requester, String via, String requestId) throws IOException {
    Map<String, String> d = argvDetails(allowed);
    d.put("via", via);
    if (requestId != null) {
      d.put("request", requestId);
    }
    long seq = audit.record(new AuditEvent("exec.run", requester, allowed.argv().get(0), "running", d));
    RunSpec spec = new RunSpec(allowed.argv(), RunSpec.DEFAULT_TIMEOUT, RunSpec.DEFAULT_MAX_OUTPUT,
        allowed.rule().sandbox());
    RunResult result = runner.run(spec);
    Map<String, String> r = new TreeMap<>();
    r.put("run_seq", Long.toString(seq));
    r.put("exit", Integer.toString(result.exitCode()));
    r.put("ms", Long.toString(result.duration().toMillis()));
    r.put("timed_out", Boolean.toString(result.timedOut()));
    r.put("stdout_bytes", Integer.toString(result.stdout().length));
    r.put("stdout_sha256", Sha256.hex(result.stdout()));
    r.put("stderr_bytes", Integer.toString(result.stderr().length));
    r.put("stderr_sha256", Sha256.hex(result.stderr()));
    r.put("truncated", Boolean.toString(result.stdoutTruncated() || result.stderrTruncated()));
    audit.record(new AuditEvent("exec.result", requester, allowed.argv().get(0), result.timedOut() ? "timed-out"
        : "exited", r));
    return new Ran(result, seq);
  }

  private static Map<String, String> argvDetails(ExecPolicy.Allowed allowed) {
    Map<String, String> d = new TreeMap<>();
    d.put("argv", String.join(" ", allowed.argv()));
    d.put("argv_sha256", Approvals.sha256(Approvals.json(allowed.argv())));
    d.put("rule_line", Integer.toString(allowed.rule().line()));
    d.put("sandbox", Boolean.toString(allowed.rule().sandbox()));
    return d;
  }

}
