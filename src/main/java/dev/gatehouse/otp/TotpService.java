package dev.gatehouse.otp;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.otp.CodeInput.RecoveryCode;
import dev.gatehouse.otp.CodeInput.TotpCode;
import dev.gatehouse.otp.VerifyOutcome.Accepted;
import dev.gatehouse.otp.VerifyOutcome.LockedOut;
import dev.gatehouse.otp.VerifyOutcome.Method;
import dev.gatehouse.otp.VerifyOutcome.Reason;
import dev.gatehouse.otp.VerifyOutcome.Rejected;
import dev.gatehouse.store.HomeLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The TOTP gate: enrollment, confirmation and verification of codes from the owner's app.
 *
 * <p>Guarantees, for every instance over the same stores (and so across processes, and across
 * hosts where the attempt store is shared, see {@link AttemptStore}):
 * <ul>
 *   <li>A code is normalized, then checked for form, before anything else; malformed input
 *       changes nothing.
 *   <li>A TOTP time step, once accepted, is never accepted again (the last accepted step is
 *       persisted before the acceptance is returned); a recovery code works once.
 *   <li>After {@code maxFailures} consecutive failures every attempt, even a valid code, is
 *       refused until the lockout ends; a success resets the count.
 *   <li>Each read-check-write, and every change to the enrollment, happens in one
 *       {@link AttemptStore#exclusive} section, so parallel attempts are serialized: one valid
 *       code succeeds exactly once, and parallel wrong codes buy no extra tries.
 *   <li>An attempt's decision is recorded in the audit log after its new state is durable and
 *       before it is returned.
 *   <li>If the state cannot be read or written, the code is refused (fail closed).
 *   <li>Comparisons are constant-time; codes never appear in events or messages.
 * </ul>
 */
public final class TotpService {
  private static final int KEY_BYTES = 20; // 160 bits, RFC 4226 §4 R6's recommendation

  private final EnrollmentStore enrollments;
  private final AttemptStore attempts;
  private final TotpPolicy policy;
  private final Clock clock;
  private final SecureRandom random;
  private final AuditLog audit;

  public TotpService(EnrollmentStore enrollments, AttemptStore attempts, TotpPolicy policy, Clock clock,
      SecureRandom random, AuditLog audit) {
    this.enrollments = enrollments;
    this.attempts = attempts;
    this.policy = policy;
    this.clock = clock;
    this.random = random;
    this.audit = audit;
  }

  /** Over embedded stores: {@code attempts} made exclusive by the home's {@code lock} (one host). */
  public TotpService(EnrollmentStore enrollments, AttemptStore.Held attempts, HomeLock lock, TotpPolicy policy,
      Clock clock, SecureRandom random, AuditLog audit) {
    this(enrollments, AttemptStore.underLock(lock, attempts), policy, clock, random, audit);
  }

  /** The result of confirming a pending key: on acceptance, the recovery codes to show once. */
  public record Confirmation(VerifyOutcome outcome, List<String> recoveryCodes) {
    @Override
    public String toString() {
      return "Confirmation[" + outcome + ", " + recoveryCodes.size() + " recovery codes]";
    }
  }

  /**
   * Creates a new pending key for {@code account} (replacing a pending one). Refused while a
   * key is active: the owner resets first, deliberately.
   */
  public OtpAuthUri beginEnrollment(String account, String actor) {
    return exclusively(held -> {
      Optional<Enrollment> existing = enrollments.load();
      if (existing.isPresent() && existing.get().status() == Enrollment.Status.ACTIVE) {
        throw new BadInputException("TOTP is already active (since " + existing.get().activatedAt()
            + "); to enroll a new device, run `gatehouse totp reset` first");
      }
      byte[] key = new byte[KEY_BYTES];
      random.nextBytes(key);
      try {
        Enrollment pending = new Enrollment(Enrollment.Status.PENDING, policy.issuer(), account, key,
            policy.newKeys(), clock.instant(), null, List.of());
        record("totp.setup", actor, "pending", Map.of("replaced_pending", Boolean.toString(existing.isPresent())));
        enrollments.save(pending);
        return pending.uri();
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    });
  }

  /** Checks a code against the pending key; on success the key becomes active. */
  public Confirmation confirm(String rawCode, String actor) {
    CodeInput code = CodeInput.parse(rawCode);
    if (!(code instanceof TotpCode)) {
      throw new BadInputException("confirm with a code from the authenticator app, not a recovery code");
    }
    return exclusively(held -> {
      Enrollment e = enrollments.load()
          .orElseThrow(() -> new NotConfiguredException("no TOTP key is pending; start with `gatehouse totp setup`"));
      if (e.status() == Enrollment.Status.ACTIVE) {
        throw new BadInputException("TOTP is already active; nothing to confirm");
      }
      List<String> recovery = List.of();
      Enrollment activated = null;
      VerifyOutcome outcome = check(held, e, code, "totp.confirm", actor);
      if (outcome instanceof Accepted) {
        recovery = RecoveryCodes.generate(random);
        List<RecoveryCodes.Hashed> hashed = new ArrayList<>();
        for (String c : recovery) {
          hashed.add(RecoveryCodes.hash(c, random));
        }
        activated = e.activated(clock.instant(), hashed);
        enrollments.save(activated);
      }
      return new Confirmation(
          activated == null ? outcome : new Accepted(Method.TOTP, activated.recoveryCodes().size()), recovery);
    });
  }

  /** Checks a code (or a recovery code) against the active key and spends it if right. */
  public VerifyOutcome verify(String rawCode, String actor) {
    CodeInput code = CodeInput.parse(rawCode);
    return exclusively(held -> {
      Enrollment e = enrollments.load()
          .filter(x -> x.status() == Enrollment.Status.ACTIVE)
          .orElseThrow(() -> new NotConfiguredException("TOTP is not configured; set it up with `gatehouse totp setup`"));
      return check(held, e, code, "totp.verify", actor);
    });
  }

  public TotpStatus status() {
    return exclusively(held -> {
      Optional<Enrollment> e = enrollments.load();
      AttemptState s = held.load();
      Instant now = clock.instant();
      boolean locked = s.lockedAt(now);
      int failures = s.lockedUntil() != null && !locked ? 0 : s.failures();
      return e.map(x -> new TotpStatus(x.status(), x.issuer(), x.account(), x.params(),
              x.status() == Enrollment.Status.ACTIVE ? x.activatedAt() : x.createdAt(),
              failures, policy.maxFailures(), locked ? s.lockedUntil() : null, x.recoveryCodes().size()))
          .orElseGet(() -> new TotpStatus(null, policy.issuer(), null, policy.newKeys(), null,
              failures, policy.maxFailures(), locked ? s.lockedUntil() : null, 0));
    });
  }

  /** Removes the key, the recovery codes and the replay and lockout state. */
  public boolean reset(String actor) {
    return exclusively(held -> {
      boolean existed = enrollments.load().isPresent();
      record("totp.reset", actor, existed ? "removed" : "nothing", Map.of());
      enrollments.delete();
      held.delete();
      return existed;
    });
  }

  /**
   * The check itself, inside the caller's exclusive section. The new state is durable, then
   * the decision is recorded, then it is returned: a code is spent before anyone can act on it.
   */
  private VerifyOutcome check(AttemptStore.Held held, Enrollment e, CodeInput code, String eventType,
      String actor) throws IOException {
    Instant now = clock.instant();
    AttemptState state = held.load();
    if (state.lockedAt(now)) {
      Map<String, String> locked = Map.of("locked_until", state.lockedUntil().toString());
      held.whenDurable(() -> record(eventType, actor, "locked", locked));
      return new LockedOut(state.lockedUntil());
    }
    if (state.lockedUntil() != null) {
      state = new AttemptState(state.lastAcceptedStep(), 0, null); // the lockout is over: a fresh count
    }

    Method method;
    Reason failure = null;
    long acceptedStep = state.lastAcceptedStep();
    List<RecoveryCodes.Hashed> remaining = e.recoveryCodes();
    switch (code) {
      case TotpCode totp -> {
        method = Method.TOTP;
        if (totp.digits().length() != e.params().digits()) {
          throw new BadInputException("this authenticator gives " + e.params().digits() + "-digit codes");
        }
        long matched = matchingStep(e, totp, now);
        if (matched == Long.MIN_VALUE) {
          failure = Reason.INVALID;
        } else if (matched <= state.lastAcceptedStep()) {
          failure = Reason.REPLAYED;
        } else {
          acceptedStep = matched;
        }
      }
      case RecoveryCode recovery -> {
        method = Method.RECOVERY_CODE;
        int index = matchingRecoveryCode(e.recoveryCodes(), recovery);
        if (index < 0) {
          failure = Reason.INVALID;
        } else {
          remaining = new ArrayList<>(e.recoveryCodes());
          remaining.remove(index);
        }
      }
    }

    Map<String, String> details = new LinkedHashMap<>();
    details.put("method", method.name().toLowerCase(Locale.ROOT));
    if (failure == null) {
      details.put("recovery_codes_left", Integer.toString(remaining.size()));
      if (remaining != e.recoveryCodes()) {
        enrollments.save(e.withRecoveryCodes(remaining)); // spent before anyone acts on it
      }
      held.save(new AttemptState(acceptedStep, 0, null));
      held.whenDurable(() -> record(eventType, actor, "accepted", details));
      return new Accepted(method, remaining.size());
    }
    int failures = state.failures() + 1;
    Instant lockedUntil = failures >= policy.maxFailures() ? now.plus(policy.lockout()) : null;
    details.put("reason", failure.name().toLowerCase(Locale.ROOT));
    details.put("failures", Integer.toString(failures));
    if (lockedUntil != null) {
      details.put("locked_until", lockedUntil.toString());
    }
    held.save(new AttemptState(state.lastAcceptedStep(), lockedUntil == null ? failures : 0, lockedUntil));
    held.whenDurable(() -> record(eventType, actor, "rejected", details));
    return new Rejected(failure, Math.max(0, policy.maxFailures() - failures), lockedUntil);
  }

  /** The highest step within the skew window whose code equals {@code code}; every candidate is compared. */
  private long matchingStep(Enrollment e, TotpCode code, Instant now) {
    byte[] given = code.digits().getBytes(StandardCharsets.US_ASCII);
    byte[] key = e.secret();
    try {
      long current = Hotp.timeStep(now, e.params().periodSeconds());
      long matched = Long.MIN_VALUE;
      for (long step = current - policy.skewSteps(); step <= current + policy.skewSteps(); step++) {
        byte[] expected = Hotp.code(key, step, e.params().digits(), e.params().algorithm())
            .getBytes(StandardCharsets.US_ASCII);
        if (MessageDigest.isEqual(expected, given)) {
          matched = Math.max(matched, step);
        }
      }
      return matched;
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static int matchingRecoveryCode(List<RecoveryCodes.Hashed> codes, RecoveryCode code) {
    int found = -1;
    for (int i = 0; i < codes.size(); i++) {
      if (RecoveryCodes.matches(codes.get(i), code)) {
        found = i;
      }
    }
    return found;
  }

  private void record(String type, String actor, String outcome, Map<String, String> details) {
    audit.record(new AuditEvent(type, actor, "totp", outcome, details));
  }

  private <T> T exclusively(AttemptStore.Section<T> section) {
    try {
      return attempts.exclusive(section);
    } catch (IOException e) {
      throw new RefusedException("TOTP state cannot be read or written (" + e.getMessage()
          + "); refusing, to fail closed. See \"Recovering TOTP\" in README.md", e);
    }
  }
}
