package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.ActionApprovalsStore;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.Trust;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The owner's approvals queue (DESIGN §10): broker requests waiting for a yes or a no. */
@Command(name = "approvals", mixinStandardHelpOptions = true,
    description = {"The owner's approvals queue: an agent's call in a domain at trust level 2 (suggest) waits here "
        + "until you approve or deny it. An approval covers that one request (same agent, action, parameters and "
        + "body), runs it once, and expires after trust.approval_minutes (default 15), which counts as a denial. "
        + "Every decision is audited.",
        "Summaries are the agent's request as the gateway will send it: control and invisible characters are shown "
            + "as escapes."},
    subcommands = {ApprovalsCommand.ListApprovals.class, ApprovalsCommand.Approve.class, ApprovalsCommand.Deny.class})
final class ApprovalsCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static ActionApprovalsStore approvals(Gatehouse g) throws IOException {
    return g.approvals(g.trust(), Notifier.NONE); // a denial is evidence in the home's trust store
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = {"Pending approvals (oldest first), then the 50 most recent others (newest first): id, agent, "
          + "action, domain, status, created, expires, and what the request would do.",
          "Reads state.db only: no vault password is needed (with storage: backend: postgres the vault opens "
              + "first, since it holds the database password)."})
  static final class ListApprovals extends HomeCommand {
    @Option(names = "--json", description = "A JSON array: id, agent, action, domain, status, created, expires, "
        + "summary.")
    boolean json;

    @Override
    Integer execute() throws Exception {
      Gatehouse g = openForState();
      List<Approval> all = approvals(g).list();
      if (json) {
        ArrayNode a = SafeText.json().createArrayNode();
        for (Approval x : all) {
          ObjectNode n = a.addObject();
          n.put("id", x.id());
          n.put("agent", x.agent());
          n.put("action", x.action());
          n.put("domain", x.domain().wire());
          n.put("status", x.status().wire());
          n.put("created", x.created().toString());
          n.put("expires", x.expires().toString());
          n.put("summary", x.summary());
        }
        out().println(SafeText.json().writerWithDefaultPrettyPrinter().writeValueAsString(a));
        return ExitCodes.OK;
      }
      if (all.isEmpty()) {
        out().println("No approvals: an agent's call in a domain at trust level 2 (suggest) waits here for you.");
        return ExitCodes.OK;
      }
      out().printf("%-26s %-16s %-24s %-12s %-8s %-20s %s%n", "ID", "AGENT", "ACTION", "DOMAIN", "STATUS", "CREATED",
          "EXPIRES");
      for (Approval x : all) {
        out().printf("%-26s %-16s %-24s %-12s %-8s %-20s %s%n", x.id(), SafeText.terminal(x.agent()),
            SafeText.terminal(x.action()), x.domain().wire(), x.status().wire(), Outcomes.time(x.created()),
            Outcomes.time(x.expires()));
        out().println("  " + SafeText.terminal(x.summary()));
      }
      if (all.get(0).status() == dev.gatehouse.trust.ActionApprovals.Status.PENDING) {
        List<String> withCode = g.config().trust().approveWithCode().stream().map(Domain::wire).sorted().toList();
        out().println("Approve one with `gatehouse approvals approve ID`"
            + (withCode.isEmpty() ? "" : " (add --code in the " + String.join(", ", withCode) + " domains)")
            + ", or refuse it with `gatehouse approvals deny ID [--reason TEXT]`.");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "approve", mixinStandardHelpOptions = true,
      description = {"Approve the request ID: the agent's retry of exactly that call (with the Gatehouse-Approval "
          + "header) runs once, before the approval expires.",
          "Domains in trust.approve_with_code (default shell, system, finance) need --code: a fresh code from your "
              + "authenticator app, checked like `totp verify` (same lockout). Recovery codes are not accepted here.",
          "The code: leave CODE out to be asked for it without echo, or write - to pipe it in (`--code -`).",
          "Exit 1 if no such approval is pending or the code is wrong; 3 when locked out."})
  static final class Approve extends HomeCommand {
    @Parameters(paramLabel = "ID", description = "The approval's id, as `gatehouse approvals list` shows it.")
    String id;

    @Option(names = "--code", paramLabel = "CODE", arity = "0..1", fallbackValue = Secrets.ASK,
        description = "A code from your authenticator app; none: ask for it; -: read it from standard input.")
    String code;

    @Override
    Integer execute() throws Exception {
      String canonical = ActionApprovalsStore.canonicalId(id); // malformed: refused before anything is read
      // Before the vault is opened: unsealing takes seconds, and a code typed in argv is readable that long.
      String given = Secrets.readCode(env(), code, "the code from your authenticator app", err());
      ActionApprovalsStore.Approved result = approvals(openUnsealed()).approve(canonical, given, env().actor());
      if (result instanceof ActionApprovalsStore.CodeRefused refused) {
        err().println(Outcomes.describe(refused.outcome()));
        return ExitCodes.of(refused.outcome());
      }
      Approval a = ((ActionApprovalsStore.Done) result).approval();
      out().println("Approved " + a.id() + ": " + SafeText.terminal(a.agent()) + " may run "
          + SafeText.terminal(a.action()) + " once, with exactly the parameters shown, until "
          + Outcomes.time(a.expires()) + ".");
      return ExitCodes.OK;
    }
  }

  @Command(name = "deny", mixinStandardHelpOptions = true,
      description = {"Deny the request ID (pending, or approved and not yet used): it never runs. The denial counts "
          + "as evidence against the agent in that domain (enough of it lowers the domain's trust level).",
          "Exit 1 if no such approval can be denied (unknown, used, denied or expired)."})
  static final class Deny extends HomeCommand {
    @Parameters(paramLabel = "ID", description = "The approval's id.")
    String id;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the audit log (one line, at most 500 "
        + "characters).")
    String reason;

    @Override
    Integer execute() throws Exception {
      String canonical = ActionApprovalsStore.canonicalId(id);
      Approval a = approvals(openUnsealed()).deny(canonical, env().actor(), reason);
      out().println("Denied " + a.id() + ": " + SafeText.terminal(a.agent()) + "'s " + SafeText.terminal(a.action())
          + " does not run.");
      return ExitCodes.OK;
    }
  }
}
