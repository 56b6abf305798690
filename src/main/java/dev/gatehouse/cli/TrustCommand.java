package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.trust.Domain;
import dev.gatehouse.trust.Level;
import dev.gatehouse.trust.TrustStore;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Trust levels per domain (DESIGN §10): how much agents may do without asking you. */
@Command(name = "trust", mixinStandardHelpOptions = true,
    description = {"Trust levels: per domain, how much agents may do without asking you. "
        + "0 none: nothing runs; 1 inform: nothing runs, the agent is told what would have; 2 suggest: each call "
        + "waits for your approval (`gatehouse approvals`); 3 act-and-report: it runs and you are notified; "
        + "4 full: it runs.",
        "Domains: messaging, files, web, shell, finance, calendar, email, integrations, system. "
            + "Levels live in state.db (or the shared database): a change counts at the next call, no reload needed. Gatehouse lowers a "
            + "domain one level by itself after repeated refusals or denials (trust.demote_after); it never raises one. "
            + "Every change is audited and can be rolled back."},
    subcommands = {TrustCommand.Show.class, TrustCommand.Set.class, TrustCommand.History.class,
        TrustCommand.Rollback.class})
final class TrustCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static Domain domain(String text) {
    return Domain.parse(text).orElseThrow(() -> new BadInputException("unknown domain " + quote(text)
        + "; the domains are " + Domain.names()));
  }

  static Level level(String text) {
    return Level.parse(text).orElseThrow(() -> new BadInputException("unknown level " + quote(text)
        + "; a level is a number or a name: " + Level.names()));
  }

  private static String quote(String text) {
    return "'" + SafeText.terminal(text) + "'";
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = {"Each domain: its level, its last change (when, by whom, why), and the evidence for raising "
          + "it since that change: requests you approved, requests you denied, and policy refusals of agents' calls.",
          "Approved suggestions and no denials are the case for a higher level. Needs no password."})
  static final class Show extends HomeCommand {
    @Option(names = "--json", description = "A JSON array, one object per domain: domain, level, name, changed, "
        + "changed_by, change, reason, evidence {since, approved, denied, refused}.")
    boolean json;

    @Override
    Integer execute() throws Exception {
      TrustStore trust = openForState().trust();
      boolean setUp = trust.isSetUp();
      List<TrustStore.DomainTrust> all = trust.overview();
      if (json) {
        ArrayNode a = SafeText.json().createArrayNode();
        for (TrustStore.DomainTrust d : all) {
          ObjectNode n = a.addObject();
          n.put("domain", d.domain().wire());
          n.put("level", d.level().number());
          n.put("name", d.level().wire());
          n.put("changed", d.lastChange().map(c -> c.time().toString()).orElse(null));
          n.put("changed_by", d.lastChange().map(TrustStore.Change::who).orElse(null));
          if (d.lastChange().isPresent()) {
            n.put("change", d.lastChange().get().id());
          } else {
            n.putNull("change");
          }
          n.put("reason", d.lastChange().map(TrustStore.Change::reason).orElse(null));
          ObjectNode e = n.putObject("evidence");
          e.put("since", d.forRaising().since().map(Object::toString).orElse(null));
          e.put("approved", d.forRaising().approved());
          e.put("denied", d.forRaising().denied());
          e.put("refused", d.forRaising().refused());
        }
        out().println(SafeText.json().writerWithDefaultPrettyPrinter().writeValueAsString(a));
        return ExitCodes.OK;
      }
      if (!setUp) {
        out().println("Trust levels are not set up in this home yet (it was made before them): every domain counts "
            + "as 0 (none).");
        out().println("The daemon's first start (`gatehouse serve`) keeps the domains your services use at 4 (full) "
            + "and sets the others to 0.");
        return ExitCodes.OK;
      }
      out().printf("%-13s %-18s %-21s %-7s %-16s %s%n", "DOMAIN", "LEVEL", "CHANGED", "CHANGE", "BY",
          "FOR RAISING (since the change)");
      for (TrustStore.DomainTrust d : all) {
        TrustStore.RaisingEvidence e = d.forRaising();
        out().printf("%-13s %-18s %-21s %-7s %-16s %d approved, %d denied, %d refused%n", d.domain().wire(),
            d.level().number() + " " + d.level().wire(),
            d.lastChange().map(c -> Outcomes.time(c.time())).orElse("-"),
            d.lastChange().map(c -> "#" + c.id()).orElse("-"),
            SafeText.terminal(d.lastChange().map(TrustStore.Change::who).orElse("-")),
            e.approved(), e.denied(), e.refused());
      }
      out().println("Change one with `gatehouse trust set DOMAIN LEVEL --reason TEXT`; see why with "
          + "`gatehouse trust history`.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = {"Set DOMAIN to LEVEL, for the reason you give; audited, and counts at the next call.",
          "Undo it with `gatehouse trust rollback ID` (the id is printed)."})
  static final class Set extends HomeCommand {
    @Parameters(index = "0", paramLabel = "DOMAIN",
        description = "messaging, files, web, shell, finance, calendar, email, integrations or system.")
    String domain;

    @Parameters(index = "1", paramLabel = "LEVEL",
        description = "0-4 or a name: none, inform, suggest, act-and-report, full.")
    String level;

    @Option(names = "--reason", paramLabel = "TEXT", required = true,
        description = "Why (1-" + TrustStore.MAX_REASON_CHARS + " characters, one line); kept in the history and "
            + "the audit log.")
    String reason;

    @Override
    Integer execute() throws Exception {
      Domain d = domain(domain); // bad input is refused before the vault opens
      Level l = level(level);
      String why = TrustStore.checkReason(reason);
      TrustStore trust = openUnsealed().trust();
      long id = trust.set(d, l, env().actor(), why);
      TrustStore.Change c = trust.change(id).orElseThrow();
      out().println(d.wire() + ": " + TrustStore.describe(c.from()) + " -> " + TrustStore.describe(c.to())
          + " (change #" + id + "). It counts at the next call; no reload is needed.");
      out().println("Undo it with `gatehouse trust rollback " + id + "`.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "history", mixinStandardHelpOptions = true,
      description = {"Every change of a level, oldest first: id, time, domain, from, to, who, reason.",
          "Changes by `gatehouse` are automatic demotions; their reason names the evidence. Needs no password."})
  static final class History extends HomeCommand {
    @Option(names = "--json", description = "A JSON array: id, time, domain, from, to, who, reason, rollback_of.")
    boolean json;

    @Override
    Integer execute() throws Exception {
      List<TrustStore.Change> changes = openForState().trust().history();
      if (json) {
        ArrayNode a = SafeText.json().createArrayNode();
        for (TrustStore.Change c : changes) {
          ObjectNode n = a.addObject();
          n.put("id", c.id());
          n.put("time", c.time().toString());
          n.put("domain", c.domain().wire());
          n.put("from", c.from().number());
          n.put("to", c.to().number());
          n.put("who", c.who());
          n.put("reason", c.reason());
          if (c.rollbackOf().isPresent()) {
            n.put("rollback_of", c.rollbackOf().get());
          } else {
            n.putNull("rollback_of");
          }
        }
        out().println(SafeText.json().writerWithDefaultPrettyPrinter().writeValueAsString(a));
        return ExitCodes.OK;
      }
      if (changes.isEmpty()) {
        out().println("No trust changes yet.");
        return ExitCodes.OK;
      }
      out().printf("%-6s %-21s %-13s %-5s %-5s %-16s %s%n", "ID", "TIME", "DOMAIN", "FROM", "TO", "WHO", "REASON");
      for (TrustStore.Change c : changes) {
        out().printf("%-6s %-21s %-13s %-5d %-5d %-16s %s%n", "#" + c.id(), Outcomes.time(c.time()), c.domain().wire(),
            c.from().number(), c.to().number(), SafeText.terminal(c.who()), SafeText.terminal(c.reason()));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = {"Restore the level a domain had before change ID, as a new change (reason \"rollback of #ID\").",
          "A rollback can itself be rolled back. Exit 2 if there is no change ID."})
  static final class Rollback extends HomeCommand {
    @Parameters(paramLabel = "ID", description = "A change id as `gatehouse trust history` shows it (12 or #12).")
    String id;

    @Override
    Integer execute() throws Exception {
      long n = changeId(id);
      TrustStore trust = openUnsealed().trust();
      long made = trust.rollback(n, env().actor());
      TrustStore.Change c = trust.change(made).orElseThrow();
      out().println(c.domain().wire() + ": " + TrustStore.describe(c.from()) + " -> " + TrustStore.describe(c.to())
          + " (change #" + made + ", rollback of #" + n + "). It counts at the next call.");
      return ExitCodes.OK;
    }

    static long changeId(String text) {
      String t = text.startsWith("#") ? text.substring(1) : text;
      if (!t.matches("[1-9][0-9]{0,17}")) {
        throw new BadInputException("a change id is a positive number as `gatehouse trust history` shows it, e.g. 12");
      }
      return Long.parseLong(t);
    }
  }
}
