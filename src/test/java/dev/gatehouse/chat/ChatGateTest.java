package dev.gatehouse.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Config;
import dev.gatehouse.guard.InjectionScanner;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.otp.VerifyOutcome;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate's decisions (DESIGN §9) with time under the test's control, over the real TOTP core
 * and audit log of a home. Pairing here is a small in-memory stand-in; PairingStoreTest covers
 * the real one, and ChatGateDaemonTest the two together.
 */
class ChatGateTest {
  private static final Instant START = Instant.parse("2026-12-06T10:00:05Z");
  private static final String CH = "tg";
  private static final String OWNER = "4242";

  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(START);
  private Path homeDir;
  private Gatehouse g;
  private byte[] key;
  private final MemoryPairing pairing = new MemoryPairing();
  private Config.Chat chat = Config.Chat.DEFAULT;
  private ChatGate gate;

  /** Allowed senders and pending codes, no expiry: enough to reach the gate's later steps. */
  static final class MemoryPairing implements Pairing {
    final Set<String> allowed = new HashSet<>();
    final Map<String, String> pending = new HashMap<>();

    @Override
    public boolean isAllowed(String channel, String sender) {
      return allowed.contains(channel + ":" + sender);
    }

    @Override
    public Request request(String channel, String sender, String senderName) {
      String k = channel + ":" + sender;
      if (pending.containsKey(k)) {
        return new Code(pending.get(k), Instant.MAX, false);
      }
      if (pending.size() >= 3) {
        return new Refused("pending-limit");
      }
      pending.put(k, "ABCD234" + pending.size());
      return new Code(pending.get(k), Instant.MAX, true);
    }
  }

  @BeforeEach
  void setUp() {
    homeDir = TestHome.create(temp);
    g = TestHome.open(homeDir, clock);
    OtpAuthUri uri = g.totp().beginEnrollment("owner@test", "test");
    key = uri.secret();
    g.totp().confirm(code(), "test");
    clock.advance(Duration.ofSeconds(30)); // the confirmation spent the current step
    pairing.allowed.add(CH + ":" + OWNER);
    gate = new ChatGate(pairing, g.totp(), new InjectionScanner(), g.audit(), clock, () -> chat);
  }

  @AfterEach
  void tearDown() {
    g.close();
  }

  private String code() {
    return Hotp.totp(key, clock.instant(), TotpParameters.DEFAULT);
  }

  private GateAnswer say(String sender, String text) {
    return gate.decide(CH, new GateMessage(sender, text, "Owner", true));
  }

  private GateAnswer unlock() {
    assertThat(say(OWNER, "hello").decision()).isEqualTo(Decision.CHALLENGE);
    GateAnswer a = say(OWNER, code());
    assertThat(a.decision()).isEqualTo(Decision.AUTHENTICATED);
    return a;
  }

  @Test
  void unknownSender_getsAPairingCode_andTheSameOneAgain_neverTheText() {
    GateAnswer first = say("999", "hi there");
    GateAnswer again = say("999", "hello?");

    assertThat(first.decision()).isEqualTo(Decision.PAIRING);
    assertThat(first.pairingCode()).isNotNull();
    assertThat(first.reply()).contains("gatehouse pair approve " + first.pairingCode());
    assertThat(first.text()).isNull();
    assertThat(again.pairingCode()).isEqualTo(first.pairingCode());
  }

  @Test
  void unknownSenders_beyondThePendingLimit_areDenied() {
    for (int i = 0; i < 3; i++) {
      assertThat(say("s" + i, "hi").decision()).isEqualTo(Decision.PAIRING);
    }
    GateAnswer fourth = say("s3", "hi");
    assertThat(fourth.decision()).isEqualTo(Decision.DENIED);
    assertThat(fourth.pairingCode()).isNull();
  }

  @Test
  void knownSender_withoutSession_isChallenged_andTheTextIsDropped() {
    GateAnswer a = say(OWNER, "delete all my files");

    assertThat(a.decision()).isEqualTo(Decision.CHALLENGE);
    assertThat(a.text()).isNull();
    assertThat(a.deleteMessage()).isFalse();
    assertThat(a.reply()).contains("authenticator");
  }

  @Test
  void rightCode_whileChallenged_authenticates_isDeleted_andLaterTextIsForwarded() throws Exception {
    GateAnswer auth = unlock();
    GateAnswer next = say(OWNER, "what's on my calendar?");

    assertThat(auth.deleteMessage()).isTrue();
    assertThat(auth.text()).isNull();
    assertThat(next.decision()).isEqualTo(Decision.FORWARD);
    assertThat(next.text()).isEqualTo("what's on my calendar?");
  }

  @Test
  void wrongCode_isRejected_withAttemptsLeft_andDeleted() {
    say(OWNER, "hello");
    GateAnswer a = say(OWNER, dev.gatehouse.testing.Codes.wrong(key, clock.instant()));

    assertThat(a.decision()).isEqualTo(Decision.REJECTED);
    assertThat(a.deleteMessage()).isTrue();
    assertThat(a.reply()).contains("2 attempts left");
    assertThat(a.text()).isNull();
  }

  @Test
  void codeWithSpacesOrDashes_isACode() {
    say(OWNER, "hello");
    String c = code();
    assertThat(say(OWNER, c.substring(0, 3) + " " + c.substring(3)).decision()).isEqualTo(Decision.AUTHENTICATED);
  }

  @Test
  void codeWithoutAnOpenChallenge_isNotChecked_butOpensOne_andIsDeleted() {
    String c = code();
    GateAnswer a = say(OWNER, c);

    assertThat(a.decision()).isEqualTo(Decision.CHALLENGE);
    assertThat(a.deleteMessage()).isTrue();
    assertThat(g.totp().verify(c, "test")).as("the code was not spent").isInstanceOf(VerifyOutcome.Accepted.class);
  }

  @Test
  void challengeWindow_closesAfterChallengeSeconds() {
    say(OWNER, "hello");
    clock.advance(Duration.ofSeconds(119));
    assertThat(say(OWNER, code()).decision()).as("inside the window").isEqualTo(Decision.AUTHENTICATED);

    String other = "5555";
    pairing.allowed.add(CH + ":" + other);
    say(other, "hello");
    clock.advance(Duration.ofSeconds(120));
    GateAnswer late = say(other, code());
    assertThat(late.decision()).as("at 120 s the window is closed").isEqualTo(Decision.CHALLENGE);
  }

  @Test
  void session_lastsFromLastActivity_andExpires() {
    unlock();
    clock.advance(Duration.ofMinutes(29));
    assertThat(say(OWNER, "still there").decision()).isEqualTo(Decision.FORWARD);
    clock.advance(Duration.ofMinutes(29));
    assertThat(say(OWNER, "and now").decision()).as("the clock restarted at the last message")
        .isEqualTo(Decision.FORWARD);
    clock.advance(Duration.ofMinutes(30));
    assertThat(say(OWNER, "after 30 idle minutes").decision()).isEqualTo(Decision.CHALLENGE);
  }

  @Test
  void sessionMinutes_comeFromConfig() {
    chat = new Config.Chat(Duration.ofMinutes(5), Duration.ofSeconds(60), true, Map.of(), Optional.empty());
    unlock();
    clock.advance(Duration.ofMinutes(5));
    assertThat(say(OWNER, "x").decision()).isEqualTo(Decision.CHALLENGE);
  }

  @Test
  void threeWrongCodesInChat_lockTheCli_too_andARightCodeIsThenRefused() {
    say(OWNER, "hello");
    assertThat(say(OWNER, dev.gatehouse.testing.Codes.wrong(key, clock.instant())).decision()).isEqualTo(Decision.REJECTED);
    assertThat(say(OWNER, dev.gatehouse.testing.Codes.wrong(key, clock.instant())).decision()).isEqualTo(Decision.REJECTED);
    GateAnswer third = say(OWNER, dev.gatehouse.testing.Codes.wrong(key, clock.instant()));
    assertThat(third.decision()).isEqualTo(Decision.LOCKED);
    assertThat(third.until()).isAfter(clock.instant());

    assertThat(TestHome.open(homeDir, clock).totp().verify(code(), "cli"))
        .as("the lockout is the TOTP core's, shared with `totp verify` and exec")
        .isInstanceOf(VerifyOutcome.LockedOut.class);
    say(OWNER, "hello");
    assertThat(say(OWNER, code()).decision()).isEqualTo(Decision.LOCKED);
  }

  @Test
  void aCodeSpentInChat_cannotBeSpentAgainElsewhere() {
    say(OWNER, "hello");
    String c = code();
    assertThat(say(OWNER, c).decision()).isEqualTo(Decision.AUTHENTICATED);
    assertThat(TestHome.open(homeDir, clock).totp().verify(c, "cli")).isInstanceOf(VerifyOutcome.Rejected.class);
  }

  @Test
  void aLockoutStartedOnTheCli_locksChat() {
    for (int i = 0; i < 3; i++) {
      g.totp().verify(dev.gatehouse.testing.Codes.wrong(key, clock.instant()), "cli");
    }
    say(OWNER, "hello");
    assertThat(say(OWNER, code()).decision()).isEqualTo(Decision.LOCKED);
  }

  @Test
  void recoveryCode_isRefusedOverChat_notCounted_andDeleted() {
    say(OWNER, "hello");
    GateAnswer a = say(OWNER, "abcd-efgh-ijkl-mnop");

    assertThat(a.decision()).isEqualTo(Decision.CHALLENGE);
    assertThat(a.deleteMessage()).isTrue();
    assertThat(a.reply()).contains("only on the host");
    assertThat(g.totp().status().failures()).isZero();
  }

  @Test
  void botCommandThatNeverReachesTheModel_needsPairingButNoSession() {
    GateAnswer a = gate.decide(CH, new GateMessage(OWNER, "/help", null, false));
    GateAnswer stranger = gate.decide(CH, new GateMessage("777", "/help", null, false));

    assertThat(a.decision()).isEqualTo(Decision.FORWARD);
    assertThat(stranger.decision()).isEqualTo(Decision.PAIRING);
  }

  @Test
  void gateOff_forChannel_forwardsKnownSenders_withoutSession() {
    chat = new Config.Chat(Duration.ofMinutes(30), Duration.ofSeconds(120), true, Map.of(CH, false), Optional.empty());
    assertThat(say(OWNER, "hi").decision()).isEqualTo(Decision.FORWARD);
    assertThat(say("777", "hi").decision()).as("pairing still applies").isEqualTo(Decision.PAIRING);
  }

  @Test
  void revokedSender_losesTheSession_andIsBackToPairing() {
    unlock();
    pairing.allowed.remove(CH + ":" + OWNER);
    assertThat(say(OWNER, "hi").decision()).isEqualTo(Decision.PAIRING);
    pairing.allowed.add(CH + ":" + OWNER);
    assertThat(say(OWNER, "hi").decision()).as("approved again, it proves again").isEqualTo(Decision.CHALLENGE);
  }

  @Test
  void sessionsArePerChannelAndSender() {
    unlock();
    pairing.allowed.add("discord:" + OWNER);
    assertThat(gate.decide("discord", new GateMessage(OWNER, "hi", null, true)).decision())
        .isEqualTo(Decision.CHALLENGE);
  }

  @Test
  void everyDecision_isAudited_withoutTheTextOrTheCode() throws Exception {
    String secretText = "my-canary-text-7731";
    say("999", secretText);
    say(OWNER, secretText);
    String c = code();
    GateAnswer a = say(OWNER, c);
    GateAnswer f = say(OWNER, secretText);
    g.close();

    String log = AgentCalls.auditText(homeDir);
    assertThat(log).contains("chat.message").contains("\"pairing\"").contains("\"challenge\"")
        .contains("\"authenticated\"").contains("\"forward\"");
    assertThat(log).doesNotContain(secretText).doesNotContain("\"" + c + "\"").doesNotContain("ABCD2340");
    assertThat(a.auditSeq()).isLessThan(f.auditSeq());
  }

  @Test
  void totpNotConfigured_isAChallengeThatSaysSo_failingClosed() {
    g.totp().reset("test");
    GateAnswer a = say(OWNER, "hi");
    assertThat(a.decision()).isEqualTo(Decision.CHALLENGE);
    assertThat(a.reply()).contains("totp setup");
    assertThat(a.text()).isNull();
  }
}
