package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.Sha256;
import dev.gatehouse.notify.Notifier;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import dev.gatehouse.trust.ActionApprovals;
import dev.gatehouse.trust.ActionApprovals.Approval;
import dev.gatehouse.trust.Domain;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** `approvals` as the owner uses it, over approvals the broker opened in a real home. */
class ApprovalsCliTest extends CliTestBase {
  static final String EVIL = "POST https://x.example/\u001b]0;owned\u0007\u001b[2J\u202eevil\u200b";
  OtpAuthUri uri;

  @BeforeEach
  void enrollOwner() {
    uri = enroll();
  }

  /** What the broker does for a call at level 2, in another process. */
  Approval request(String agent, String action, Domain domain, String request, String summary) {
    try (Gatehouse g = TestHome.open(home, clock)) {
      return ApprovalsCommand.approvals(g).open(agent, action, domain,
          Sha256.hex(request.getBytes(StandardCharsets.UTF_8)), summary);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  ActionApprovals.Redeemed redeem(Approval a, String request) {
    try (Gatehouse g = TestHome.open(home, clock)) {
      return ApprovalsCommand.approvals(g).redeem(a.id(), a.agent(),
          Sha256.hex(request.getBytes(StandardCharsets.UTF_8)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  JsonNode json() throws Exception {
    return new ObjectMapper().readTree(out);
  }

  String fresh() {
    clock.advance(Duration.ofSeconds(30));
    return code(uri);
  }

  @Test
  void listApproveDeny_asTheOwnerDoes() throws Exception {
    Approval mail = request("bot", "mail.send", Domain.EMAIL, "r1", "POST https://mail.example/send {\"to\":\"a\"}");
    clock.advance(Duration.ofSeconds(1));
    Approval files = request("bot", "files.delete", Domain.FILES, "r2", "DELETE https://files.example/a.txt");

    assertThat(runRaw(terminal, "approvals", "list")).as("no password needed to look").isZero();
    assertThat(out).contains("ID").contains(mail.id()).contains("mail.send").contains("email").contains("pending")
        .contains("POST https://mail.example/send").contains(files.id()).contains("approvals approve ID");
    assertThat(runRaw(terminal, "approvals", "list", "--json")).isZero();
    JsonNode list = json();
    assertThat(list).hasSize(2);
    JsonNode first = list.get(0);
    assertThat(first.path("id").asText()).isEqualTo(mail.id());
    assertThat(first.path("agent").asText()).isEqualTo("bot");
    assertThat(first.path("action").asText()).isEqualTo("mail.send");
    assertThat(first.path("domain").asText()).isEqualTo("email");
    assertThat(first.path("status").asText()).isEqualTo("pending");
    assertThat(first.path("created").asText()).isEqualTo(mail.created().toString());
    assertThat(first.path("expires").asText()).isEqualTo(mail.expires().toString());
    assertThat(first.path("summary").asText()).isEqualTo("POST https://mail.example/send {\"to\":\"a\"}");

    assertThat(run("approvals", "approve", mail.id())).as(err).isZero();
    assertThat(out).contains("Approved " + mail.id()).contains("bot may run mail.send once");
    assertThat(run("approvals", "approve", mail.id())).isEqualTo(1);
    assertThat(err).contains("approved already");
    assertThat(redeem(mail, "r1")).isInstanceOf(ActionApprovals.Granted.class);

    assertThat(run("approvals", "deny", files.id(), "--reason", "not that file")).as(err).isZero();
    assertThat(out).contains("Denied " + files.id());
    assertThat(run("approvals", "deny", files.id())).isEqualTo(1);
    assertThat(redeem(files, "r2")).isEqualTo(new ActionApprovals.NotGranted("denied"));

    assertThat(run("approvals", "list", "--json")).isZero();
    assertThat(json().findValuesAsText("status")).containsExactlyInAnyOrder("denied", "used");
    assertThat(run("audit", "tail", "-n", "20")).isZero();
    assertThat(out).contains("approval.open").contains("approval.approve").contains("approval.use")
        .contains("approval.deny").contains("not that file");
    assertThat(run("audit", "verify")).isZero();
  }

  @Test
  void approve_inACodeDomain_needsAFreshCode_fromStdinOrThePrompt() throws Exception {
    Approval a = request("bot", "host.restart", Domain.SYSTEM, "r1", "POST https://host.example/restart");
    Approval b = request("bot", "host.restart", Domain.SHELL, "r2", "POST https://host.example/restart");

    assertThat(run("approvals", "approve", a.id())).isEqualTo(2);
    assertThat(err).contains("system domain need a fresh code").contains("--code");

    stdin = "000000\n".getBytes(StandardCharsets.UTF_8);
    String right = fresh();
    if (right.equals("000000")) {
      right = fresh();
    }
    assertThat(run("approvals", "approve", a.id(), "--code", "-")).isEqualTo(1);
    assertThat(err).contains("wrong code").contains("2 attempts left");

    stdin = (right + "\n").getBytes(StandardCharsets.UTF_8);
    assertThat(run("approvals", "approve", a.id(), "--code", "-")).as(err).isZero();
    assertThat(run("approvals", "approve", b.id(), "--code", "-")).as("a code works once").isEqualTo(1);
    assertThat(err).contains("already used");

    assertThat(run(typing(fresh()), "approvals", "approve", b.id(), "--code")).as(err).isZero();
    assertThat(run("approvals", "list", "--json")).isZero();
    assertThat(json().findValuesAsText("status")).containsOnly("approved");
    assertThat(AgentCalls.auditText(home)).doesNotContain(right);
  }

  @Test
  void approve_afterThreeWrongCodes_isLockedOut_exitThree() {
    Approval a = request("bot", "pay.send", Domain.FINANCE, "r1", "POST https://bank.example/pay");
    for (int i = 0; i < 3; i++) {
      stdin = "000000".getBytes(StandardCharsets.UTF_8);
      run("approvals", "approve", a.id(), "--code", "-");
    }
    assertThat(err).contains("every code is refused until");
    stdin = fresh().getBytes(StandardCharsets.UTF_8);
    assertThat(run("approvals", "approve", a.id(), "--code", "-")).isEqualTo(3);
    assertThat(err).contains("locked out");
    stdin = fresh().getBytes(StandardCharsets.UTF_8);
    assertThat(run("totp", "verify", "-")).as("the same lockout as totp verify").isEqualTo(3);
  }

  @Test
  void badInput_isExitTwo_unknownOrExpired_isExitOne() {
    Approval a = request("bot", "mail.send", Domain.EMAIL, "r1", "x");

    assertThat(run("approvals", "approve", "not-an-id")).isEqualTo(2);
    assertThat(err).contains("26 characters");
    assertThat(run("approvals", "deny", "x")).isEqualTo(2);
    assertThat(run("approvals", "approve")).isEqualTo(2);
    assertThat(run("approvals", "approve", a.id(), "--code", "abcd-efgh-ijkl-mnop")).isEqualTo(2);
    assertThat(err).contains("not a recovery code");
    assertThat(run("approvals", "deny", a.id(), "--reason", "a\nb")).isEqualTo(2);
    assertThat(run("approvals", "approve", "a".repeat(26))).isEqualTo(1);
    assertThat(err).contains("no approval");

    clock.advance(Duration.ofMinutes(15));
    assertThat(run("approvals", "approve", a.id())).isEqualTo(1);
    assertThat(err).contains("expired at");
    assertThat(run("approvals", "list", "--json")).isZero();
  }

  @Test
  void agentChosenText_neverReachesTheTerminalRaw() throws Exception {
    Approval a = request("bot", "mail.send", Domain.EMAIL, "r1", EVIL);

    assertThat(run("approvals", "list")).isZero();
    assertThat(out).doesNotContain("\u001b").doesNotContain("\u0007").doesNotContain("\u202e")
        .doesNotContain("\u200b").contains("\\x1b]0;owned\\x07\\x1b[2J\\u202eevil\\u200b");
    assertThat(run("approvals", "list", "--json")).isZero();
    assertThat(out.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f))).as(out).isTrue();
    assertThat(json().get(0).path("summary").asText()).isEqualTo(EVIL);
    assertThat(json().get(0).path("id").asText()).isEqualTo(a.id());
  }
}
