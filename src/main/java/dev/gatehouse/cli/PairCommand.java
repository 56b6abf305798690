package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.chat.PairingStore;
import dev.gatehouse.error.BadInputException;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Chat sender pairing (DESIGN §9): the owner's side of the codes unknown senders receive. */
@Command(name = "pair", mixinStandardHelpOptions = true,
    description = {"Chat sender pairing: an unknown sender's first message gets a code (8 characters, valid 1 hour, "
        + "at most 3 pending per channel); you approve or deny it here. The allowlist is in state.db (or the shared database, "
        + "docs/storage.md); every change "
        + "is audited.",
        "Sender ids and names are the chat platform's: control and invisible characters are shown as escapes."},
    subcommands = {PairCommand.ListPending.class, PairCommand.Approve.class, PairCommand.Deny.class,
        PairCommand.Revoke.class, PairCommand.ListAllowed.class})
final class PairCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static String time(Instant t) {
    return t.toString();
  }

  /** CHANNEL (a-z 0-9 _ -) then the sender's id: split at the first ':' (an id may hold more). */
  static String[] channelAndSender(String arg) {
    int colon = arg.indexOf(':');
    if (colon <= 0 || colon == arg.length() - 1) {
      throw new BadInputException("write CHANNEL:SENDER, e.g. telegram:123456789 (`gatehouse pair allowed` lists them)");
    }
    return new String[] {arg.substring(0, colon), arg.substring(colon + 1)};
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Pending pairing requests still valid: channel, sender, name, code, created, expires.")
  static final class ListPending extends HomeCommand {
    @Option(names = "--json", description = "A JSON array: channel, sender, sender_name, code, created, expires.")
    boolean json;

    @Override
    Integer execute() throws Exception {
      List<PairingStore.Pending> pending = openForState().pairing().pending();
      if (json) {
        ArrayNode a = SafeText.json().createArrayNode();
        for (PairingStore.Pending p : pending) {
          ObjectNode n = a.addObject();
          n.put("channel", p.channel());
          n.put("sender", p.sender());
          n.put("sender_name", p.senderName());
          n.put("code", p.code());
          n.put("created", time(p.created()));
          n.put("expires", time(p.expires()));
        }
        out().println(SafeText.json().writerWithDefaultPrettyPrinter().writeValueAsString(a));
        return ExitCodes.OK;
      }
      if (pending.isEmpty()) {
        out().println("No pending pairing requests.");
        return ExitCodes.OK;
      }
      out().printf("%-12s %-20s %-20s %-9s %-20s %s%n", "CHANNEL", "SENDER", "NAME", "CODE", "CREATED", "EXPIRES");
      for (PairingStore.Pending p : pending) {
        out().printf("%-12s %-20s %-20s %-9s %-20s %s%n", p.channel(), SafeText.terminal(p.sender()),
            SafeText.terminal(p.senderName()), p.code(), Outcomes.time(p.created()), Outcomes.time(p.expires()));
      }
      out().println("Approve one with `gatehouse pair approve CODE`, or refuse it with `gatehouse pair deny CODE`.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "approve", mixinStandardHelpOptions = true,
      description = {"Put the sender who received CODE on their channel's allowlist; the code is spent.",
          "Any case; exit 1 if no such code is pending (mistyped, expired, already approved or denied)."})
  static final class Approve extends HomeCommand {
    @Parameters(paramLabel = "CODE", description = "The code the sender received, e.g. K7QM2XPA.")
    String code;

    @Override
    Integer execute() throws Exception {
      String canonical = PairingStore.canonicalCode(code); // a malformed code is refused before the vault opens
      PairingStore.Allowed a = openUnsealed().pairing().approve(canonical, env().actor());
      out().println("Allowed " + a.channel() + ":" + SafeText.terminal(a.sender())
          + (a.senderName() == null ? "" : " (" + SafeText.terminal(a.senderName()) + ")")
          + ". Where the chat gate is on, they still prove a code from your authenticator app before anything "
          + "reaches the model.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "deny", mixinStandardHelpOptions = true,
      description = {"Refuse the pairing request with CODE; the code is spent and the sender stays unknown.",
          "A later message from them gets a new code (at most 5 per sender and channel in 24 hours)."})
  static final class Deny extends HomeCommand {
    @Parameters(paramLabel = "CODE", description = "The code of the request.")
    String code;

    @Override
    Integer execute() throws Exception {
      String canonical = PairingStore.canonicalCode(code);
      PairingStore.Pending p = openUnsealed().pairing().deny(canonical, env().actor());
      out().println("Denied the pairing request of " + p.channel() + ":" + SafeText.terminal(p.sender()) + ".");
      return ExitCodes.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Remove CHANNEL:SENDER from the allowlist: their next message gets a pairing code again.")
  static final class Revoke extends HomeCommand {
    @Parameters(paramLabel = "CHANNEL:SENDER", description = "As `gatehouse pair allowed` shows it, e.g. telegram:123456789.")
    String target;

    @Override
    Integer execute() throws Exception {
      String[] cs = channelAndSender(target);
      openUnsealed().pairing().revoke(cs[0], cs[1], env().actor());
      out().println("Revoked " + cs[0] + ":" + SafeText.terminal(cs[1]) + "; their next message gets a pairing code.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "allowed", mixinStandardHelpOptions = true,
      description = "Allowed senders: channel, sender, name, approved at, approved by.")
  static final class ListAllowed extends HomeCommand {
    @Option(names = "--json", description = "A JSON array: channel, sender, sender_name, approved_at, approved_by.")
    boolean json;

    @Override
    Integer execute() throws Exception {
      List<PairingStore.Allowed> allowed = openForState().pairing().allowed();
      if (json) {
        ArrayNode a = SafeText.json().createArrayNode();
        for (PairingStore.Allowed x : allowed) {
          ObjectNode n = a.addObject();
          n.put("channel", x.channel());
          n.put("sender", x.sender());
          n.put("sender_name", x.senderName());
          n.put("approved_at", time(x.approvedAt()));
          n.put("approved_by", x.approvedBy());
        }
        out().println(SafeText.json().writerWithDefaultPrettyPrinter().writeValueAsString(a));
        return ExitCodes.OK;
      }
      if (allowed.isEmpty()) {
        out().println("No allowed senders yet: a sender's first message gets a pairing code; approve it with "
            + "`gatehouse pair approve CODE`.");
        return ExitCodes.OK;
      }
      out().printf("%-12s %-20s %-20s %-20s %s%n", "CHANNEL", "SENDER", "NAME", "APPROVED", "BY");
      for (PairingStore.Allowed x : allowed) {
        out().printf("%-12s %-20s %-20s %-20s %s%n", x.channel(), SafeText.terminal(x.sender()),
            SafeText.terminal(x.senderName()), Outcomes.time(x.approvedAt()), SafeText.terminal(x.approvedBy()));
      }
      return ExitCodes.OK;
    }
  }
}
