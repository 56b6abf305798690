package dev.gatehouse.chat;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.guard.InjectionFlag;
import dev.gatehouse.guard.InjectionScanner;
import dev.gatehouse.notify.Notification;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.otp.Enrollment;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.VerifyOutcome;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The chat gate of DESIGN §9: a sender must be known (pairing), and a known sender must have
 * proved within the last {@code session_minutes} that they hold the owner's authenticator.
 * Codes go through the TOTP core, so chat shares its key, replay memory and lockout with
 * {@code totp verify} and {@code exec}. Sessions and open challenges live in memory only: a
 * restart means everyone proves again.
 *
 * <p>Every decision is in the audit log before it is returned (sender, channel, decision,
 * flag kinds); the text of a message, and above all a code, never is.
 */
public final class ChatGate implements Gate {
  /** Code-shaped: 6 to 8 digits, spaces and dashes allowed between them. */
  static final Pattern CODE_SHAPED = Pattern.compile("[0-9](?:[ -]?[0-9]){5,7}");
  /** A recovery code as `totp setup` prints it (16 base32 characters, dashes allowed). */
  static final Pattern RECOVERY_SHAPED = Pattern.compile("(?i)[a-z2-7]{4}(?:-?[a-z2-7]{4}){3}");
  /** A sender id as a platform gives it: printable, bounded. */
  static final Pattern SENDER = Pattern.compile("[\\x21-\\x7e]{1,128}");

  private final Pairing pairing;
  private final TotpService totp;
  private final InjectionScanner scanner;
  private final AuditLog audit;
  private final Clock clock;
  private final Supplier<Config.Chat> config;
  private final Notifier notifier;
  /** Last activity of each live session. */
  private final Map<Key, Instant> sessions = new ConcurrentHashMap<>();
  /** When each open challenge closes. */
  private final Map<Key, Instant> challenges = new ConcurrentHashMap<>();

  private record Key(String channel, String sender) {}

  public ChatGate(Pairing pairing, TotpService totp, InjectionScanner scanner, AuditLog audit, Clock clock,
      Supplier<Config.Chat> config) {
    this(pairing, totp, scanner, audit, clock, config, Notifier.NONE);
  }

  /**
   * @param notifier told of new pairing requests (never with the code); lockouts, wherever they
   *     start, are told by the daemon's {@link dev.gatehouse.notify.LockoutWatcher}
   */
  public ChatGate(Pairing pairing, TotpService totp, InjectionScanner scanner, AuditLog audit, Clock clock,
      Supplier<Config.Chat> config, Notifier notifier) {
    this.notifier = notifier;
    this.pairing = pairing;
    this.totp = totp;
    this.scanner = scanner;
    this.audit = audit;
    this.clock = clock;
    this.config = config;
  }

  @Override
  public GateAnswer decide(String channel, GateMessage m) {
    if (m.sender() == null || !SENDER.matcher(m.sender()).matches()) {
      throw new BadInputException("sender must be the platform's user id: 1-128 printable ASCII characters");
    }
    if (m.text() == null) {
      throw new BadInputException("text is required (an empty string for a message without text)");
    }
    Config.Chat chat = config.get();
    Key key = new Key(channel, m.sender());
    Instant now = clock.instant();

    // 1. Unknown sender: pairing.
    if (!pairing.isAllowed(channel, m.sender())) {
      sessions.remove(key); // a revoked sender's session ends with its pairing
      challenges.remove(key);
      Pairing.Request request = pairing.request(channel, m.sender(), m.senderName());
      if (request instanceof Pairing.Code c && c.issued()) {
        tell("pairing.requested", "a new sender asks to be paired on " + channel + " (`gatehouse pair list`)",
            Map.of("channel", channel, "sender", m.sender()));
      }
      return switch (request) {
        case Pairing.Code c -> answer(channel, m, Decision.PAIRING, Map.of("code", c.issued() ? "issued" : "pending"),
            "Gatehouse: this chat is not paired yet. Ask the owner to run `gatehouse pair approve " + c.code()
                + "` on the host (the code expires in an hour).", null, List.of(), false, c.code(), null);
        case Pairing.Refused r -> answer(channel, m, Decision.DENIED, Map.of("reason", r.reason()),
            "Gatehouse: pairing is not possible right now; try again later.", null, List.of(), false, null, null);
      };
    }

    // 2. Known sender with a live session, the gate off here, or a command that never reaches the model.
    boolean gateOn = chat.gateOn(channel);
    boolean live = sessions.computeIfPresent(key, (k, last) -> now.isBefore(last.plus(chat.session())) ? last : null)
        != null;
    if (!gateOn || live || !m.invokesAgent()) {
      if (live) {
        sessions.put(key, now); // the session's clock restarts
      }
      List<InjectionFlag> flags = scanner.scan(m.text());
      Map<String, String> details = new TreeMap<>();
      details.put("via", !gateOn ? "gate-off" : live ? "session" : "no-agent");
      if (!flags.isEmpty()) {
        details.put("flags", flags.stream().map(InjectionFlag::kind).collect(Collectors.joining(",")));
      }
      return answer(channel, m, Decision.FORWARD, details, null, m.text(), flags, false, null, null);
    }

    String trimmed = m.text().strip();
    boolean codeShaped = CODE_SHAPED.matcher(trimmed).matches();
    boolean open = challenges.computeIfPresent(key, (k, closes) -> now.isBefore(closes) ? closes : null) != null;

    // 3. A code while a challenge is open: the TOTP core decides.
    if (codeShaped && open) {
      return verify(channel, m, key, trimmed, chat, now);
    }

    // 4. Otherwise a challenge opens (or stays open); the text is dropped, not queued.
    Enrollment.Status enrollment = totp.status().enrollment();
    if (enrollment != Enrollment.Status.ACTIVE) {
      return answer(channel, m, Decision.CHALLENGE, Map.of("reason", "totp-not-configured"),
          "Gatehouse: this chat is gated, but the owner has not set up TOTP on the host yet (`gatehouse totp setup`)."
              + " Nothing was passed on.", null, List.of(), codeShaped, null, null);
    }
    challenges.putIfAbsent(key, now.plus(chat.challenge()));
    String reason = codeShaped ? "code-without-prompt" : RECOVERY_SHAPED.matcher(trimmed).matches()
        ? "recovery-code" : "no-session";
    String reply = switch (reason) {
      case "code-without-prompt" -> "Gatehouse: that code came before a prompt and was not used. Send a fresh code "
          + "from your authenticator app within " + chat.challenge().toSeconds() + " seconds.";
      case "recovery-code" -> "Gatehouse: recovery codes work only on the host, never in chat; it was not used. "
          + "Send the code from your authenticator app.";
      default -> "Gatehouse: this chat is locked. Send the code from your authenticator app within "
          + chat.challenge().toSeconds() + " seconds to unlock it for " + chat.session().toMinutes()
          + " minutes. Your message was not passed on.";
    };
    return answer(channel, m, Decision.CHALLENGE, Map.of("reason", reason), reply, null, List.of(),
        !reason.equals("no-session"), null, null);
  }

  private GateAnswer verify(String channel, GateMessage m, Key key, String code, Config.Chat chat, Instant now) {
    VerifyOutcome outcome;
    try {
      outcome = totp.verify(code, actor(channel, m.sender()));
    } catch (NotConfiguredException e) {
      return answer(channel, m, Decision.REJECTED, Map.of("reason", "totp-not-configured"),
          "Gatehouse: TOTP is not set up on the host.", null, List.of(), true, null, null);
    } catch (BadInputException e) {
      return answer(channel, m, Decision.REJECTED, Map.of("reason", "malformed-code"),
          "Gatehouse: " + e.getMessage() + "; that one was not counted.", null, List.of(), true, null, null);
    }
    return switch (outcome) {
      case VerifyOutcome.Accepted a -> {
        sessions.put(key, now);
        challenges.remove(key);
        yield answer(channel, m, Decision.AUTHENTICATED, Map.of(), "Gatehouse: verified. This chat is open for "
            + chat.session().toMinutes() + " minutes after your last message.", null, List.of(), true, null, null);
      }
      case VerifyOutcome.Rejected r when r.lockedUntil() != null -> {
        challenges.remove(key);
        yield answer(channel, m, Decision.LOCKED, Map.of("reason", r.reason().name().toLowerCase(java.util.Locale.ROOT)),
            "Gatehouse: wrong code; too many wrong codes, so codes are refused until " + r.lockedUntil()
                + " (everywhere, not only here).", null, List.of(), true, null, r.lockedUntil());
      }
      case VerifyOutcome.Rejected r -> answer(channel, m, Decision.REJECTED,
          Map.of("reason", r.reason().name().toLowerCase(java.util.Locale.ROOT), "attempts_left",
              Integer.toString(r.attemptsLeft())),
          "Gatehouse: " + (r.reason() == VerifyOutcome.Reason.REPLAYED ? "that code was already used" : "wrong code")
              + "; " + r.attemptsLeft() + (r.attemptsLeft() == 1 ? " attempt" : " attempts") + " left.",
          null, List.of(), true, null, null);
      case VerifyOutcome.LockedOut l -> {
        challenges.remove(key);
        yield answer(channel, m, Decision.LOCKED, Map.of(), "Gatehouse: too many wrong codes; codes are refused "
            + "until " + l.until() + ".", null, List.of(), true, null, l.until());
      }
    };
  }

  /** Records the decision, then returns it: nothing is decided that is not on record. */
  private GateAnswer answer(String channel, GateMessage m, Decision decision, Map<String, String> extra, String reply,
      String text, List<InjectionFlag> flags, boolean delete, String pairingCode, Instant until) {
    Map<String, String> details = new TreeMap<>(extra);
    details.put("sender", m.sender());
    details.put("invokes_agent", Boolean.toString(m.invokesAgent()));
    if (delete) {
      details.put("delete_message", "true");
    }
    long seq = audit.record(new AuditEvent("chat.message", "channel:" + channel, channel + ":" + m.sender(),
        decision.wire(), details));
    return new GateAnswer(decision, reply, text, flags, delete, seq, pairingCode, until);
  }

  /** Tells the owner; never fails a decision. */
  private void tell(String event, String summary, Map<String, String> fields) {
    try {
      notifier.notify(new Notification(event, clock.instant(), summary, fields));
    } catch (RuntimeException e) {
      // a notification never changes a decision
    }
  }

  private static String actor(String channel, String sender) {
    return "chat:" + channel + ":" + sender;
  }

  /** Drops sessions and challenges that have ended (they are also dropped when next looked at). */
  public void prune() {
    Instant now = clock.instant();
    Config.Chat chat = config.get();
    sessions.entrySet().removeIf(e -> !now.isBefore(e.getValue().plus(chat.session())));
    challenges.entrySet().removeIf(e -> !now.isBefore(e.getValue()));
  }
}
