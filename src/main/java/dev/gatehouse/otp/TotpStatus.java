package dev.gatehouse.otp;

import java.time.Instant;

/**
 * What {@code totp status} may show: never the key.
 *
 * @param enrollment null when not configured (then the other fields are defaults)
 */
public record TotpStatus(
    Enrollment.Status enrollment,
    String issuer,
    String account,
    TotpParameters params,
    Instant since,
    int failures,
    int maxFailures,
    Instant lockedUntil,
    int recoveryCodesLeft) {}
