package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.chat.Pairing;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** `pair` as the owner uses it, over codes a gate issued in a real home. */
class PairCliTest extends CliTestBase {
  static final String EVIL = "666\u001b]0;owned\u0007\u001b[2J\u202eevil\u200b";
  final List<String> codes = new ArrayList<>();

  @BeforeEach
  void initHome() {
    assertThat(run("init")).isZero();
  }

  /** What the gate does for an unknown sender's message, in another process. */
  String request(String channel, String sender, String name) {
    try (Gatehouse g = TestHome.open(home, clock)) {
      Pairing.Code c = (Pairing.Code) g.pairing().request(channel, sender, name);
      codes.add(c.code());
      return c.code();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  JsonNode json() throws Exception {
    return new ObjectMapper().readTree(out);
  }

  void assertNoCodeInTheAuditLog() throws Exception {
    String log = AgentCalls.auditText(home);
    for (String c : codes) {
      assertThat(log).doesNotContain(c).doesNotContain(c.toLowerCase(Locale.ROOT));
    }
  }

  @Test
  void listApproveAllowedRevoke_asTheOwnerDoes() throws Exception {
    String alice = request("telegram", "1001", "Alice");
    String bob = request("telegram", "1002", null);

    assertThat(runRaw(terminal, "pair", "list")).as("no password needed to look").isZero();
    assertThat(out).contains("CHANNEL").contains("1001").contains("Alice").contains(alice).contains(bob)
        .contains("2026-11-22T11:00:05Z");
    assertThat(run("pair", "list", "--json")).isZero();
    JsonNode list = json();
    assertThat(list).hasSize(2);
    assertThat(list.get(0).path("channel").asText()).isEqualTo("telegram");
    assertThat(list.get(0).path("sender").asText()).isEqualTo("1001");
    assertThat(list.get(0).path("sender_name").asText()).isEqualTo("Alice");
    assertThat(list.get(0).path("code").asText()).isEqualTo(alice);
    assertThat(list.get(0).path("created").asText()).isEqualTo("2026-11-22T10:00:05Z");
    assertThat(list.get(0).path("expires").asText()).isEqualTo("2026-11-22T11:00:05Z");
    assertThat(list.get(1).path("sender_name").isNull()).isTrue();

    assertThat(run("pair", "approve", " " + alice.toLowerCase(Locale.ROOT) + " ")).as(err).isZero();
    assertThat(out).contains("Allowed telegram:1001 (Alice)");
    assertThat(run("pair", "approve", alice)).as("single use").isEqualTo(1);
    assertThat(err).contains("no such pairing code is pending").doesNotContain(alice);

    assertThat(run("pair", "allowed", "--json")).isZero();
    JsonNode allowed = json();
    assertThat(allowed).hasSize(1);
    assertThat(allowed.get(0).path("channel").asText()).isEqualTo("telegram");
    assertThat(allowed.get(0).path("sender").asText()).isEqualTo("1001");
    assertThat(allowed.get(0).path("sender_name").asText()).isEqualTo("Alice");
    assertThat(allowed.get(0).path("approved_at").asText()).isEqualTo("2026-11-22T10:00:05Z");
    assertThat(allowed.get(0).path("approved_by").asText()).isEqualTo("cli:tester");
    assertThat(allowed.get(0).has("code")).isFalse();
    assertThat(run("pair", "allowed")).isZero();
    assertThat(out).contains("telegram").contains("1001").contains("Alice").contains("cli:tester");

    assertThat(run("pair", "deny", bob)).isZero();
    assertThat(out).contains("Denied the pairing request of telegram:1002");
    assertThat(run("pair", "list")).isZero();
    assertThat(out).contains("No pending pairing requests");

    assertThat(run("pair", "revoke", "telegram:1001")).isZero();
    assertThat(run("pair", "revoke", "telegram:1001")).isEqualTo(1);
    assertThat(err).contains("not on channel telegram's allowlist");
    assertThat(run("pair", "allowed", "--json")).isZero();
    assertThat(json()).isEmpty();

    assertThat(run("audit", "tail", "-n", "20")).isZero();
    assertThat(out).contains("pair.issue").contains("pair.approve").contains("pair.deny").contains("pair.revoke");
    assertThat(run("audit", "verify")).isZero();
    assertNoCodeInTheAuditLog();
  }

  @Test
  void approve_atExactlyOneHour_isRefusedAsExpired() throws Exception {
    String code = request("telegram", "1001", "Alice");
    clock.advance(Duration.ofHours(1));

    assertThat(run("pair", "list")).isZero();
    assertThat(out).contains("No pending pairing requests");
    assertThat(run("pair", "approve", code)).isEqualTo(1);
    assertThat(err).contains("expired at 2026-11-22T11:00:05Z").doesNotContain(code);
    assertThat(run("pair", "allowed")).isZero();
    assertThat(out).contains("No allowed senders yet");
    assertThat(run("audit", "tail", "--type", "pair.expire")).isZero();
    assertThat(out).contains("telegram:1001");
    assertNoCodeInTheAuditLog();
  }

  @Test
  void badInput_isExitTwo_andChangesNothing() throws Exception {
    String code = request("telegram", "1001", null);

    assertThat(run("pair", "approve", "K7QM2XP0")).isEqualTo(2);
    assertThat(err).contains("8 characters of ABCDEFGHJKLMNPQRSTUVWXYZ23456789").doesNotContain("K7QM2XP0");
    assertThat(run("pair", "deny", "short")).isEqualTo(2);
    assertThat(run("pair", "revoke", "telegram")).isEqualTo(2);
    assertThat(err).contains("CHANNEL:SENDER");
    assertThat(run("pair", "revoke", "Tele Gram:1001")).isEqualTo(2);
    assertThat(run("pair", "approve")).isEqualTo(2);
    assertThat(run("pair", "list", "--json")).isZero();
    assertThat(json()).hasSize(1);
    assertThat(json().get(0).path("code").asText()).isEqualTo(code);
  }

  @Test
  void sendersChosenText_neverReachesTheTerminalRaw() throws Exception {
    String code = request("matrix", EVIL, "Mallory\u001b[31m\u2067");

    assertThat(run("pair", "list")).isZero();
    assertThat(out).contains("666\\x1b]0;owned\\x07\\x1b[2J\\u202eevil\\u200b").contains("Mallory\\x1b[31m\\u2067");
    assertNoTerminalControls(out);
    assertThat(run("pair", "list", "--json")).isZero();
    assertThat(out.chars().allMatch(c -> c == '\n' || c >= 0x20 && c < 0x7f)).as(out).isTrue();
    assertThat(json().get(0).path("sender").asText()).isEqualTo(EVIL);

    assertThat(run("pair", "approve", code)).isZero();
    assertNoTerminalControls(out);
    assertThat(run("pair", "allowed")).isZero();
    assertNoTerminalControls(out);
    assertThat(run("pair", "allowed", "--json")).isZero();
    assertThat(out.chars().allMatch(c -> c == '\n' || c >= 0x20 && c < 0x7f)).as(out).isTrue();
    assertThat(json().get(0).path("sender").asText()).isEqualTo(EVIL);

    assertThat(run("pair", "revoke", "matrix:" + EVIL)).as("an id with ':' and anything else").isZero();
    assertNoTerminalControls(out);
  }

  private static void assertNoTerminalControls(String text) {
    assertThat(text.chars().filter(c -> c != '\n' && (Character.isISOControl(c)
        || Character.getType(c) == Character.FORMAT))).as(text).isEmpty();
  }

  @Test
  void help_namesEverySubcommand() {
    assertThat(run("pair", "--help")).isZero();
    assertThat(out).contains("list").contains("approve").contains("deny").contains("revoke").contains("allowed");
  }
}
