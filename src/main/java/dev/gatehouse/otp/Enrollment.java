package dev.gatehouse.otp;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An enrolled TOTP key. {@code PENDING} until one correct code from the owner's app confirms
 * it; only an {@code ACTIVE} key verifies codes. Holds the key: {@code toString()} redacts it
 * and the array is copied in and out.
 */
public record Enrollment(
    Status status,
    String issuer,
    String account,
    byte[] secret,
    TotpParameters params,
    Instant createdAt,
    Instant activatedAt,
    List<RecoveryCodes.Hashed> recoveryCodes) {

  public enum Status { PENDING, ACTIVE }

  public Enrollment {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(createdAt, "createdAt");
    if (secret == null || secret.length < 10) {
      throw new IllegalArgumentException("a TOTP key has at least 80 bits");
    }
    if (status == Status.ACTIVE && activatedAt == null) {
      throw new IllegalArgumentException("an active key has an activation time");
    }
    secret = secret.clone();
    recoveryCodes = List.copyOf(recoveryCodes);
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  public OtpAuthUri uri() {
    return new OtpAuthUri(issuer, account, secret, params);
  }

  public Enrollment activated(Instant at, List<RecoveryCodes.Hashed> codes) {
    return new Enrollment(Status.ACTIVE, issuer, account, secret, params, createdAt, at, codes);
  }

  public Enrollment withRecoveryCodes(List<RecoveryCodes.Hashed> codes) {
    return new Enrollment(status, issuer, account, secret, params, createdAt, activatedAt, codes);
  }

  @Override
  public String toString() {
    return "Enrollment[" + status + ", " + issuer + ":" + account + ", " + params + ", secret=(redacted), "
        + recoveryCodes.size() + " recovery codes]";
  }
}
