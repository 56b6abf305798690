package dev.gatehouse.owner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.Hotp;
import dev.gatehouse.otp.TotpParameters;
import dev.gatehouse.owner.OwnerAuth.LoginResult;
import dev.gatehouse.owner.OwnerAuth.LoginResult.Granted;
import dev.gatehouse.owner.OwnerAuth.LoginResult.Refused;
import dev.gatehouse.owner.OwnerAuth.Tokens;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.Codes;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accounts and sessions over a real home (vault, state.db, audit log), time moved by hand. */
class OwnerAccountsTest {
  static final String ALICE = "alice";
  static final String PASSWORD = "correct horse battery";
  static final String FROM = "192.0.2.10";
  static final Refused REFUSED = new Refused(null);

  @TempDir
  Path temp;

  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MINUTES));
  Path home;
  Gatehouse g;
  OwnerAccounts accounts;
  final Map<String, byte[]> keys = new HashMap<>();

  @BeforeEach
  void open() throws Exception {
    home = newHome();
    reopen();
  }

  /** A new home; the PostgreSQL run's has its state in a database. */
  Path newHome() throws Exception {
    return TestHome.create(temp);
  }

  /** A new composition over the same home: what a restarted daemon sees. */
  void reopen() throws IOException {
    if (g != null) {
      g.close();
    }
    g = TestHome.open(home, clock);
    accounts = g.ownerAccounts();
  }

  @AfterEach
  void close() {
    g.close();
  }

  /** Adds {@code name} and enrolls their authenticator; the clock moves past the confirming step. */
  void addWithTotp(String name, Role role) {
    accounts.add(name, role, PASSWORD.toCharArray(), "cli:test");
    byte[] key = accounts.beginTotp(name, "cli:test").secret();
    keys.put(name, key);
    assertThat(accounts.confirmTotp(name, code(name), "cli:test").recoveryCodes()).hasSize(10);
    clock.advance(Duration.ofSeconds(30)); // the confirmation spent the current step
  }

  String code(String name) {
    return Hotp.totp(keys.get(name), clock.instant(), TotpParameters.DEFAULT);
  }

  String wrongCode(String name, int n) {
    return Codes.wrong(keys.get(name), clock.instant(), TotpParameters.DEFAULT, n);
  }

  LoginResult login(String name, String password, String code) {
    return accounts.login(name, password.toCharArray(), code, FROM);
  }

  Tokens loginOk(String name) {
    LoginResult r = login(name, PASSWORD, code(name));
    assertThat(r).isInstanceOf(Granted.class);
    clock.advance(Duration.ofSeconds(30)); // the next login needs a new step
    return ((Granted) r).tokens();
  }

  /**
   * The audit log's text once everything recorded so far is on disk: refused logins are
   * recorded eventually, and a durable record behind them waits for them (one ordered queue).
   */
  String audit() throws Exception {
    g.audit().record(new dev.gatehouse.audit.AuditEvent("test.sync", "test", "audit", "synced", java.util.Map.of()));
    return auditText();
  }

  /** The audit log's lines; the PostgreSQL run reads them from the database. */
  String auditText() throws Exception {
    return AgentCalls.auditText(home);
  }

  @Test
  void login_withPasswordAndCode_grantsTokensForANewSession() throws Exception {
    addWithTotp(ALICE, Role.OPERATOR);
    Instant at = clock.instant();

    Tokens t = loginOk(ALICE);

    assertThat(t.expiresIn()).isEqualTo(OwnerAuth.ACCESS_TTL);
    assertThat(t.accessToken()).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(t.refreshToken());
    assertThat(t.refreshToken()).matches("[A-Za-z0-9_-]{43}");
    OwnerSession s = accounts.authenticate(t.accessToken()).orElseThrow();
    assertThat(s.user()).isEqualTo(ALICE);
    assertThat(s.role()).isEqualTo(Role.OPERATOR);
    assertThat(s.started()).isEqualTo(at);
    assertThat(s.reauthAt()).isEqualTo(at);
    assertThat(s.csrfToken()).matches("[A-Za-z0-9_-]{43}");
    assertThat(s).isEqualTo(t.session());
    assertThat(t.toString()).doesNotContain(t.accessToken()).doesNotContain(t.refreshToken());
    assertThat(audit()).contains("owner.login").contains("\"granted\"").contains("owner:alice");
  }

  @Test
  void login_everyFailedFactor_givesTheSameRefusal_andTheAuditSaysWhich() throws Exception {
    addWithTotp(ALICE, Role.ADMIN);
    accounts.add("bob", Role.VIEWER, PASSWORD.toCharArray(), "cli:test"); // no TOTP key

    List<LoginResult> answers = new ArrayList<>();
    answers.add(login(ALICE, "wrong password!!", code(ALICE)));
    answers.add(login(ALICE, PASSWORD, wrongCode(ALICE, 0)));
    answers.add(accounts.login("nobody", PASSWORD.toCharArray(), code(ALICE), "192.0.2.11"));
    answers.add(accounts.login("bob", PASSWORD.toCharArray(), code(ALICE), "192.0.2.11"));
    answers.add(accounts.login(ALICE, PASSWORD.toCharArray(), "not a code", "192.0.2.11"));
    answers.add(accounts.login("Not A Name!", PASSWORD.toCharArray(), code(ALICE), "192.0.2.12"));
    answers.add(accounts.login(null, null, null, null));

    assertThat(answers).allSatisfy(a -> assertThat(a).isEqualTo(REFUSED));
    String log = audit();
    for (String reason : List.of("bad-password", "bad-code", "unknown-user", "no-totp")) {
      assertThat(log).contains("\"" + reason + "\"");
    }
    assertThat(log).doesNotContain("Not A Name!").doesNotContain("nobody");
  }

  @Test
  void accessToken_worksUntil15Minutes_thenNot() {
    addWithTotp(ALICE, Role.VIEWER);
    Instant at = clock.instant();
    Tokens t = loginOk(ALICE);

    clock.set(at.plus(Duration.ofMinutes(15)).minusSeconds(1));
    assertThat(accounts.authenticate(t.accessToken())).isPresent();
    clock.set(at.plus(Duration.ofMinutes(15)));
    assertThat(accounts.authenticate(t.accessToken())).isEmpty();
  }

  @Test
  void tokens_ofTheWrongKind_orUnknown_areNotAccepted() {
    addWithTotp(ALICE, Role.VIEWER);
    Tokens t = loginOk(ALICE);

    assertThat(accounts.authenticate(t.refreshToken())).isEmpty();
    assertThat(accounts.refresh(t.accessToken(), FROM)).isEmpty();
    assertThat(accounts.authenticate(t.accessToken().substring(1) + "A")).isEmpty();
    assertThat(accounts.authenticate("")).isEmpty();
    assertThat(accounts.authenticate(null)).isEmpty();
    assertThat(accounts.authenticate(t.accessToken())).isPresent(); // none of that ended the session
    assertThat(accounts.refresh(t.refreshToken(), FROM)).isPresent();
  }

  @Test
  void refresh_rotates_andTheNewPairWorks() throws Exception {
    addWithTotp(ALICE, Role.VIEWER);
    Tokens first = loginOk(ALICE);
    clock.advance(Duration.ofMinutes(10));

    Tokens second = accounts.refresh(first.refreshToken(), FROM).orElseThrow();

    assertThat(second.refreshToken()).isNotEqualTo(first.refreshToken());
    assertThat(second.accessToken()).isNotEqualTo(first.accessToken());
    assertThat(second.session().sessionId()).isEqualTo(first.session().sessionId());
    assertThat(accounts.authenticate(second.accessToken())).isPresent();
    assertThat(second.expiresIn()).isEqualTo(OwnerAuth.ACCESS_TTL);
    Tokens third = accounts.refresh(second.refreshToken(), FROM).orElseThrow();
    assertThat(accounts.authenticate(third.accessToken())).isPresent();
    assertThat(audit()).contains("owner.refresh").contains("\"rotated\"");
  }

  @Test
  void refresh_after30IdleMinutes_isRefused_andEndsTheSession() {
    addWithTotp(ALICE, Role.VIEWER);
    Tokens t = loginOk(ALICE);
    Tokens kept = accounts.refresh(t.refreshToken(), FROM).orElseThrow();
    Instant issued = clock.instant();

    clock.set(issued.plus(OwnerAuth.REFRESH_IDLE).minusSeconds(1));
    Tokens alive = accounts.refresh(kept.refreshToken(), FROM).orElseThrow();
    clock.advance(OwnerAuth.REFRESH_IDLE);
    assertThat(accounts.refresh(alive.refreshToken(), FROM)).isEmpty();
  }

  @Test
  void refresh_stopsAt24HoursFromLogin_howeverOftenItIsUsed() {
    addWithTotp(ALICE, Role.VIEWER);
    Instant login = clock.instant();
    Tokens t = loginOk(ALICE);
    Instant end = login.plus(OwnerAuth.REFRESH_ABSOLUTE);

    while (clock.instant().plus(Duration.ofMinutes(20)).isBefore(end)) {
      clock.advance(Duration.ofMinutes(20));
      t = accounts.refresh(t.refreshToken(), FROM).orElseThrow();
      assertThat(accounts.authenticate(t.accessToken())).isPresent();
    }
    clock.set(end.minus(Duration.ofMinutes(10)));
    t = accounts.refresh(t.refreshToken(), FROM).orElseThrow();
    // the last pair ends with the session, not 15 or 30 minutes after its issue
    assertThat(t.expiresIn()).isEqualTo(Duration.ofMinutes(10));
    clock.set(end.minusSeconds(1));
    String lastAccess = t.accessToken();
    assertThat(accounts.authenticate(lastAccess)).isPresent();
    clock.set(end);
    assertThat(accounts.authenticate(lastAccess)).isEmpty();
    assertThat(accounts.refresh(t.refreshToken(), FROM)).isEmpty();
  }

  @Test
  void refresh_withASpentToken_revokesTheWholeFamily() throws Exception {
    addWithTotp(ALICE, Role.VIEWER);
    Tokens stolen = loginOk(ALICE);
    Tokens newer = accounts.refresh(stolen.refreshToken(), FROM).orElseThrow();
    Tokens newest = accounts.refresh(newer.refreshToken(), FROM).orElseThrow();
    Tokens other = loginOk(ALICE); // another session of the same user is not this family

    assertThat(accounts.refresh(stolen.refreshToken(), "198.51.100.7")).isEmpty();

    assertThat(accounts.authenticate(newest.accessToken())).isEmpty();
    assertThat(accounts.refresh(newest.refreshToken(), FROM)).isEmpty();
    assertThat(accounts.authenticate(other.accessToken())).isPresent();
    assertThat(audit()).contains("owner.refresh-reuse").contains("\"revoked\"").contains("198.51.100.7");
  }

  @Test
  void everyLogin_makesANewSessionId() {
    addWithTotp(ALICE, Role.VIEWER);
    Set<String> ids = new HashSet<>();
    Set<String> csrf = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      Tokens t = loginOk(ALICE);
      ids.add(t.session().sessionId());
      csrf.add(t.session().csrfToken());
    }
    assertThat(ids).hasSize(4);
    assertThat(csrf).hasSize(4);
  }

  @Test
  void login_sixthInAMinuteFromOneAddress_isRateLimited_anotherAddressIsNot() throws Exception {
    addWithTotp(ALICE, Role.VIEWER);
    for (int i = 0; i < 5; i++) {
      assertThat(accounts.login("nobody", "x".toCharArray(), "123456", FROM)).isEqualTo(REFUSED);
      clock.advance(Duration.ofSeconds(1));
    }
    LoginResult sixth = login(ALICE, PASSWORD, code(ALICE)); // even with the right password and code

    assertThat(sixth).isInstanceOf(Refused.class);
    assertThat(((Refused) sixth).retryAfter()).isEqualTo(Duration.ofSeconds(55));
    assertThat(accounts.login(ALICE, PASSWORD.toCharArray(), code(ALICE), "192.0.2.99")).isInstanceOf(Granted.class);
    assertThat(audit()).contains("\"rate-limited\"");
    clock.advance(Duration.ofSeconds(55));
    assertThat(login(ALICE, PASSWORD, code(ALICE))).isInstanceOf(Granted.class);
  }

  @Test
  void userTotp_locksAfterTheMaxFailures_evenAcrossANewInstance() throws Exception {
    addWithTotp(ALICE, Role.VIEWER);
    int max = g.config().totp().maxFailures();
    for (int i = 0; i < max; i++) {
      assertThat(accounts.login(ALICE, PASSWORD.toCharArray(), wrongCode(ALICE, i), "192.0.2." + i))
          .isEqualTo(REFUSED);
    }
    reopen();

    assertThat(accounts.login(ALICE, PASSWORD.toCharArray(), code(ALICE), "192.0.2.50")).isEqualTo(REFUSED);
    assertThat(accounts.totpStatus(ALICE).lockedUntil()).isNotNull();
    assertThat(audit()).contains("\"locked\"");
    clock.advance(g.config().totp().lockout());
    assertThat(accounts.login(ALICE, PASSWORD.toCharArray(), code(ALICE), "192.0.2.51")).isInstanceOf(Granted.class);
  }

  @Test
  void userTotp_isPerUser() {
    addWithTotp(ALICE, Role.VIEWER);
    addWithTotp("bob", Role.VIEWER);
    for (int i = 0; i < g.config().totp().maxFailures(); i++) {
      accounts.login(ALICE, PASSWORD.toCharArray(), wrongCode(ALICE, i), "192.0.2." + i);
    }
    assertThat(accounts.login("bob", PASSWORD.toCharArray(), code("bob"), "192.0.2.60")).isInstanceOf(Granted.class);
    assertThat(accounts.login(ALICE, PASSWORD.toCharArray(), code("bob"), "192.0.2.61")).isEqualTo(REFUSED);
  }

  @Test
  void login_aStepAcceptedOnce_isNotAcceptedAgain() {
    addWithTotp(ALICE, Role.VIEWER);
    String c = code(ALICE);
    assertThat(login(ALICE, PASSWORD, c)).isInstanceOf(Granted.class);
    assertThat(login(ALICE, PASSWORD, c)).isEqualTo(REFUSED);
  }

  @Test
  void login_inParallel_withOneCode_isGrantedExactlyOnce() throws Exception {
    addWithTotp(ALICE, Role.VIEWER);
    String c = code(ALICE);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<LoginResult>> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String from = "192.0.2." + (100 + i);
        answers.add(pool.submit(() -> accounts.login(ALICE, PASSWORD.toCharArray(), c, from)));
      }
      int granted = 0;
      for (var a : answers) {
        granted += a.get() instanceof Granted ? 1 : 0;
      }
      assertThat(granted).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void passwd_endsEverySessionOfTheUser_andOnlyTheNewPasswordWorks() {
    addWithTotp(ALICE, Role.ADMIN);
    addWithTotp("bob", Role.ADMIN);
    Tokens a1 = loginOk(ALICE);
    Tokens a2 = loginOk(ALICE);
    Tokens b = loginOk("bob");

    accounts.passwd(ALICE, "a new long password".toCharArray(), "cli:test");

    assertThat(accounts.authenticate(a1.accessToken())).isEmpty();
    assertThat(accounts.authenticate(a2.accessToken())).isEmpty();
    assertThat(accounts.refresh(a2.refreshToken(), FROM)).isEmpty();
    assertThat(accounts.authenticate(b.accessToken())).isPresent();
    assertThat(login(ALICE, PASSWORD, code(ALICE))).isEqualTo(REFUSED);
    assertThat(login(ALICE, "a new long password", code(ALICE))).isInstanceOf(Granted.class);
  }

  @Test
  void remove_endsSessions_andDeletesTheTotpKeyAndState_soARecreatedUserInheritsNothing() throws Exception {
    addWithTotp(ALICE, Role.OWNER);
    Tokens t = loginOk(ALICE);
    accounts.login(ALICE, PASSWORD.toCharArray(), wrongCode(ALICE, 0), FROM);

    accounts.remove(ALICE, "cli:test");

    assertThat(accounts.authenticate(t.accessToken())).isEmpty();
    assertThat(accounts.refresh(t.refreshToken(), FROM)).isEmpty();
    assertThat(g.vault().contains(OwnerAccounts.totpEntry(ALICE))).isFalse();
    assertThat(count("SELECT COUNT(*) FROM owner_totp_attempts")).isZero();
    assertThat(accounts.list()).isEmpty();
    assertThat(accounts.hasOwner()).isFalse();

    accounts.add(ALICE, Role.VIEWER, PASSWORD.toCharArray(), "cli:test");
    assertThat(accounts.find(ALICE).orElseThrow().totpActive()).isFalse();
    assertThat(login(ALICE, PASSWORD, code(ALICE))).isEqualTo(REFUSED); // the old key is gone
    assertThatThrownBy(() -> accounts.remove("nobody", "cli:test")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("no user nobody");
  }

  @Test
  void reauth_withACode_movesReauthAt_aWrongCodeDoesNot() throws Exception {
    addWithTotp(ALICE, Role.ADMIN);
    Tokens t = loginOk(ALICE);
    Instant loginAt = t.session().reauthAt();
    clock.advance(Duration.ofMinutes(7));
    assertThat(t.session().recentlyReauthenticated(clock.instant())).isFalse();

    assertThat(accounts.reauth(t.session(), wrongCode(ALICE, 0), FROM)).isEmpty();
    assertThat(accounts.authenticate(t.accessToken()).orElseThrow().reauthAt()).isEqualTo(loginAt);

    Instant now = clock.instant();
    OwnerSession s = accounts.reauth(t.session(), code(ALICE), FROM).orElseThrow();
    assertThat(s.reauthAt()).isEqualTo(now);
    assertThat(s.recentlyReauthenticated(now)).isTrue();
    assertThat(accounts.authenticate(t.accessToken()).orElseThrow().reauthAt()).isEqualTo(now);
    assertThat(audit()).contains("owner.reauth").contains("\"accepted\"");
  }

  @Test
  void reauth_ofAnEndedSession_isRefused() {
    addWithTotp(ALICE, Role.ADMIN);
    Tokens t = loginOk(ALICE);
    accounts.logout(t.accessToken(), null);
    assertThat(accounts.reauth(t.session(), code(ALICE), FROM)).isEmpty();
  }

  @Test
  void logout_endsTheSession() {
    addWithTotp(ALICE, Role.VIEWER);
    Tokens t = loginOk(ALICE);
    Tokens other = loginOk(ALICE);

    accounts.logout(t.accessToken(), t.refreshToken());

    assertThat(accounts.authenticate(t.accessToken())).isEmpty();
    assertThat(accounts.refresh(t.refreshToken(), FROM)).isEmpty();
    assertThat(accounts.authenticate(other.accessToken())).isPresent();
    accounts.logout(null, other.refreshToken());
    assertThat(accounts.authenticate(other.accessToken())).isEmpty();
  }

  @Test
  void add_refusesBadNamesTakenNamesAndShortPasswords_clearly() {
    accounts.add(ALICE, Role.VIEWER, PASSWORD.toCharArray(), "cli:test");
    for (String bad : List.of("", "Alice", "1alice", "a b", "../x", "a".repeat(33), "al\u0131ce")) {
      assertThatThrownBy(() -> accounts.add(bad, Role.VIEWER, PASSWORD.toCharArray(), "cli:test"))
          .isInstanceOf(BadInputException.class).hasMessageContaining("user name");
    }
    assertThatThrownBy(() -> accounts.add(ALICE, Role.VIEWER, PASSWORD.toCharArray(), "cli:test"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("already exists");
    assertThatThrownBy(() -> accounts.add("bob", Role.VIEWER, "short-canary".substring(1).toCharArray(), "cli:test"))
        .isInstanceOf(BadInputException.class).hasMessage("a user's password has at least 12 characters");
    assertThat(accounts.list()).extracting(OwnerAccounts.User::name).containsExactly(ALICE);
  }

  @Test
  void add_ofAnExistingName_changesNothing_itsTotpKeyStays() {
    addWithTotp(ALICE, Role.ADMIN);
    assertThatThrownBy(() -> accounts.add(ALICE, Role.OWNER, "another password".toCharArray(), "cli:test"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("already exists");
    assertThat(accounts.find(ALICE).orElseThrow().role()).isEqualTo(Role.ADMIN);
    assertThat(login(ALICE, PASSWORD, code(ALICE))).isInstanceOf(Granted.class);
  }

  @Test
  void list_showsRolesAndTotp_neverTheHash() {
    addWithTotp("bob", Role.OWNER);
    accounts.add(ALICE, Role.VIEWER, PASSWORD.toCharArray(), "cli:test");

    assertThat(accounts.list()).extracting(u -> u.name() + " " + u.role().id() + " " + u.totpActive())
        .containsExactly("alice viewer false", "bob owner true");
    assertThat(accounts.list().toString()).doesNotContain("argon2");
    assertThat(accounts.hasOwner()).isTrue();
  }

  @Test
  void beginTotp_whileActive_isRefused_untilReset() {
    addWithTotp(ALICE, Role.VIEWER);
    assertThatThrownBy(() -> accounts.beginTotp(ALICE, "cli:test")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("gatehouse user totp alice --reset");
    assertThat(accounts.resetTotp(ALICE, "cli:test")).isTrue();
    assertThat(login(ALICE, PASSWORD, code(ALICE))).isEqualTo(REFUSED);
    assertThat(accounts.beginTotp(ALICE, "cli:test").account()).isEqualTo(ALICE);
  }

  @Test
  void removedUser_tokensStopAtOnce() {
    addWithTotp(ALICE, Role.OWNER);
    Tokens t = loginOk(ALICE);
    accounts.remove(ALICE, "cli:test");
    assertThat(accounts.authenticate(t.accessToken())).isEmpty();
  }

  @Test
  void canaries_passwordCodeAndTokens_neverReachAuditStateDbOrMessages() throws Exception {
    String canaryPassword = "Canary-PW-7f3b9e21";
    accounts.add(ALICE, Role.ADMIN, canaryPassword.toCharArray(), "cli:test");
    keys.put(ALICE, accounts.beginTotp(ALICE, "cli:test").secret());
    accounts.confirmTotp(ALICE, code(ALICE), "cli:test");
    clock.advance(Duration.ofSeconds(30));
    String before = homeText();
    String found = null;
    for (int n = 0; found == null; n++) {
      String c = wrongCode(ALICE, n);
      found = before.contains(c) ? null : c;
    }
    String canaryCode = found;
    List<String> messages = new ArrayList<>();

    accounts.login(ALICE, canaryPassword.toCharArray(), canaryCode, FROM); // right password, wrong code
    accounts.login(ALICE, (canaryPassword + "x").toCharArray(), code(ALICE), FROM);
    accounts.login(canaryPassword, canaryPassword.toCharArray(), canaryCode, FROM); // a password in the name field
    String good = code(ALICE);
    Tokens t = ((Granted) accounts.login(ALICE, canaryPassword.toCharArray(), good, FROM)).tokens();
    clock.advance(Duration.ofSeconds(30));
    Tokens r = accounts.refresh(t.refreshToken(), FROM).orElseThrow();
    accounts.refresh(t.refreshToken(), FROM); // reuse
    accounts.reauth(t.session(), canaryCode, FROM);
    for (Runnable attempt : List.<Runnable>of(
        () -> accounts.add("bob", Role.VIEWER, canaryPassword.substring(0, 11).toCharArray(), "cli:test"),
        () -> accounts.add(canaryPassword, Role.VIEWER, canaryPassword.toCharArray(), "cli:test"),
        () -> accounts.confirmTotp(ALICE, canaryCode + canaryPassword, "cli:test"),
        () -> accounts.passwd("nobody", canaryPassword.toCharArray(), "cli:test"))) {
      try {
        attempt.run();
      } catch (RuntimeException e) {
        messages.add(String.valueOf(e.getMessage()));
      }
    }
    g.close();
    g = TestHome.open(home, clock);

    String after = homeText();
    assertThat(messages).hasSize(4);
    for (String secret : List.of(canaryPassword, canaryCode, t.accessToken(), t.refreshToken(), r.accessToken(),
        r.refreshToken())) {
      assertThat(after).doesNotContain(secret);
      assertThat(messages).allSatisfy(m -> assertThat(m).doesNotContain(secret));
    }
    if (!before.contains(good)) {
      assertThat(after).doesNotContain(good);
    }
    assertThat(audit()).contains("\"bad-code\"").contains("\"bad-password\"").contains("\"unknown-user\"");
  }

  @Test
  void stateDb_holdsOnlyTokenHashes() throws Exception {
    addWithTotp(ALICE, Role.VIEWER);
    Tokens t = loginOk(ALICE);
    List<String> hashes = new ArrayList<>();
    g.stateDb().read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT token_sha256 FROM owner_tokens")) {
        while (rs.next()) {
          hashes.add(rs.getString(1));
        }
      }
      return null;
    });
    assertThat(hashes).containsExactlyInAnyOrder(
        dev.gatehouse.Sha256.hex(t.accessToken().getBytes(StandardCharsets.UTF_8)),
        dev.gatehouse.Sha256.hex(t.refreshToken().getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void passwordHash_isSelfDescribingArgon2id() throws Exception {
    accounts.add(ALICE, Role.VIEWER, PASSWORD.toCharArray(), "cli:test");
    String stored = g.stateDb().read(c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT password_hash FROM owner_users WHERE name = 'alice'")) {
        rs.next();
        return rs.getString(1);
      }
    });
    Matcher m = Pattern.compile("\\$argon2id\\$v=19\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}")
        .matcher(stored);
    assertThat(m.matches()).isTrue();
    assertThat(m.group(1)).isEqualTo(Integer.toString(TestHome.FAST_KDF.memoryKiB())); // the vault's parameters
  }

  long count(String sql) throws Exception {
    return g.stateDb().read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /** Every file of the home (audit log, state.db and its WAL, vault, config) as Latin-1 text. */
  String homeText() throws Exception {
    StringBuilder all = new StringBuilder();
    try (var files = Files.walk(home)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        all.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    assertThat(all.toString()).contains("owner_tokens"); // state.db is among them
    return all.toString();
  }
}
