package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.otp.OtpAuthUri;
import dev.gatehouse.owner.OwnerAccounts;
import dev.gatehouse.owner.OwnerAuth;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestHome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** `gatehouse user` as the owner uses it, over a real home; logins checked through OwnerAccounts. */
class UserCliTest extends CliTestBase {
  static final String PW = "a long enough password";

  @BeforeEach
  void initHome() {
    assertThat(run("init")).isZero();
  }

  int addWithStdin(String name, String role, String password) {
    stdin = (password + "\n").getBytes(StandardCharsets.UTF_8);
    return run("user", "add", name, "--role", role, "--password-stdin");
  }

  /** Enrolls {@code name}'s app without a terminal, confirms it, and returns its key. */
  OtpAuthUri enrollUser(String name) {
    assertThat(run("user", "totp", name)).as(err).isZero();
    assertThat(out).contains("gatehouse user totp " + name + " --confirm CODE");
    OtpAuthUri uri = printedUri();
    assertThat(run("user", "totp", name, "--confirm", code(uri))).as(err).isZero();
    assertThat(out).contains("Confirmed: the TOTP key of user " + name + " is active.").contains("Recovery codes");
    clock.advance(Duration.ofSeconds(30));
    return uri;
  }

  OwnerAuth.LoginResult login(String name, String password, String code) {
    try (Gatehouse g = TestHome.open(home, clock)) {
      return g.ownerAccounts().login(name, password.toCharArray(), code, "127.0.0.1");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void add_totp_then_theUserCanLogIn() {
    assertThat(addWithStdin("alice", "operator", PW)).as(err).isZero();
    assertThat(out).contains("Added user alice (operator).").contains("gatehouse user totp alice");
    assertThat(login("alice", PW, "123456")).isInstanceOf(OwnerAuth.LoginResult.Refused.class); // no TOTP yet

    OtpAuthUri uri = enrollUser("alice");
    assertThat(uri.account()).isEqualTo("alice");

    assertThat(login("alice", PW, code(uri))).isInstanceOf(OwnerAuth.LoginResult.Granted.class);
  }

  @Test
  void add_atATerminal_asksTwice_andRefusesAMismatchOrAShortPassword() {
    assertThat(run(typing(PW, PW + "x"), "user", "add", "bob", "--role", "viewer")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("the two entries differ");
    assertThat(run(typing("short", "short"), "user", "add", "bob", "--role", "viewer"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("at least 12 characters").doesNotContain("short\n");
    assertThat(run("user", "list")).isZero();
    assertThat(out).contains("No users");

    assertThat(run(typing(PW, PW), "user", "add", "bob", "--role", "viewer")).as(err).isZero();
    assertThat(run("user", "list")).isZero();
    assertThat(out).contains("bob").contains("viewer");
  }

  @Test
  void add_refusesBadNamesRolesAndDuplicates_withoutAsking() {
    assertThat(addWithStdin("Bob!", "viewer", PW)).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("is not a user name");
    assertThat(addWithStdin("bob", "root", PW)).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("unknown role 'root'").contains("viewer, operator, admin or owner");
    assertThat(run("user", "add", "bob")).isEqualTo(ExitCodes.BAD_INPUT); // --role is required
    assertThat(addWithStdin("bob", "viewer", PW)).isZero();
    assertThat(addWithStdin("bob", "admin", PW)).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("already exists");
    assertThat(run("user", "add", "carol", "--role", "viewer")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("--password-stdin");
  }

  @Test
  void list_showsRoleTotpAndCreated_neverTheHash() throws Exception {
    addWithStdin("bob", "owner", PW);
    addWithStdin("alice", "viewer", PW);
    enrollUser("bob");

    assertThat(run("user", "list")).isZero();
    assertThat(out).contains("NAME").contains("ROLE").contains("TOTP").contains("CREATED")
        .containsPattern("alice\\s+viewer\\s+none\\s+2026-11-22T10:00")
        .containsPattern("bob\\s+owner\\s+active").doesNotContain("argon2");
    assertThat(run("user", "list", "--json")).isZero();
    JsonNode list = new ObjectMapper().readTree(out);
    assertThat(list).hasSize(2);
    assertThat(list.get(1).get("name").asText()).isEqualTo("bob");
    assertThat(list.get(1).get("totp").asBoolean()).isTrue();
    assertThat(list.get(0).get("role").asText()).isEqualTo("viewer");
    assertThat(out).doesNotContain("argon2").doesNotContain("hash");
  }

  @Test
  void passwd_changesThePassword_andEndsSessions() {
    addWithStdin("alice", "admin", PW);
    OtpAuthUri uri = enrollUser("alice");
    String access;
    try (Gatehouse g = TestHome.open(home, clock)) {
      var r = (OwnerAuth.LoginResult.Granted) g.ownerAccounts().login("alice", PW.toCharArray(), code(uri), "::1");
      access = r.tokens().accessToken();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    clock.advance(Duration.ofSeconds(30));

    stdin = "another long password\n".getBytes(StandardCharsets.UTF_8);
    assertThat(run("user", "passwd", "alice", "--password-stdin")).as(err).isZero();
    assertThat(out).contains("their sessions have ended");

    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.ownerAccounts().authenticate(access)).isEmpty();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(login("alice", PW, code(uri))).isInstanceOf(OwnerAuth.LoginResult.Refused.class);
    assertThat(login("alice", "another long password", code(uri))).isInstanceOf(OwnerAuth.LoginResult.Granted.class);
    assertThat(run("user", "passwd", "nobody", "--password-stdin")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("no user nobody");
  }

  @Test
  void remove_deletesTheUserAndTheirKey() throws Exception {
    addWithStdin("alice", "admin", PW);
    enrollUser("alice");

    assertThat(run("user", "remove", "alice")).as(err).isZero();
    assertThat(out).contains("Removed user alice");
    assertThat(run("user", "list")).isZero();
    assertThat(out).contains("No users");
    try (Gatehouse g = TestHome.open(home, clock)) {
      assertThat(g.vault().contains(OwnerAccounts.totpEntry("alice"))).isFalse();
    }
    assertThat(run("user", "remove", "alice")).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void totp_whileActive_isRefused_andResetReplacesIt() {
    addWithStdin("alice", "admin", PW);
    OtpAuthUri first = enrollUser("alice");

    assertThat(run("user", "totp", "alice")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("--reset");
    assertThat(run("user", "totp", "alice", "--reset")).as(err).isZero();
    assertThat(out).contains("Removed the TOTP key of user alice");
    OtpAuthUri second = printedUri();
    assertThat(second.secret()).isNotEqualTo(first.secret());
    assertThat(run("user", "totp", "alice", "--confirm", code(second))).as(err).isZero();
    clock.advance(Duration.ofSeconds(30));
    assertThat(login("alice", PW, code(first))).isInstanceOf(OwnerAuth.LoginResult.Refused.class);
    assertThat(login("alice", PW, code(second))).isInstanceOf(OwnerAuth.LoginResult.Granted.class);
  }

  @Test
  void totp_atATerminal_confirmsAtThePrompt_likeTotpSetup() {
    addWithStdin("alice", "viewer", PW);
    // the prompt's answer is computed when asked: the key is printed before it
    Terminal person = new Terminal() {
      @Override
      public boolean interactive() {
        return true;
      }

      @Override
      public String readLine(String prompt) {
        return code(printed());
      }

      @Override
      public char[] readSecret(String prompt) {
        throw new AssertionError("asked for a secret: " + prompt);
      }
    };
    assertThat(run(person, "user", "totp", "alice")).as(err).isZero();
    assertThat(out).contains("Scan this QR code").contains("Account:  alice")
        .contains("Confirmed: the TOTP key of user alice is active.");
  }

  OtpAuthUri printed() {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("otpauth URI: (\\S+)").matcher(liveOut.toString());
    assertThat(m.find()).isTrue();
    return OtpAuthUri.parse(m.group(1));
  }

  @Test
  void totp_ofAnUnknownUser_isRefused() {
    assertThat(run("user", "totp", "nobody")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err).contains("no user nobody");
    assertThat(run("user", "totp", "nobody", "--confirm", "123456")).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void thePassword_neverReachesTheAuditLogOrOutput() throws Exception {
    String canary = "Canary-User-PW-4411";
    addWithStdin("alice", "admin", canary);
    stdin = (canary + "2\n").getBytes(StandardCharsets.UTF_8);
    run("user", "passwd", "alice", "--password-stdin");
    assertThat(out + err).doesNotContain(canary);
    assertThat(AgentCalls.auditText(home)).doesNotContain(canary).contains("user.add").contains("user.passwd");
    for (String file : new String[] {"state.db", "state.db-wal"}) {
      if (Files.exists(home.resolve(file))) {
        assertThat(new String(Files.readAllBytes(home.resolve(file)), StandardCharsets.ISO_8859_1))
            .doesNotContain(canary);
      }
    }
  }
}
