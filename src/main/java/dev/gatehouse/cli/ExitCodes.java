package dev.gatehouse.cli;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.otp.VerifyOutcome;

/** The exit codes (a contract, DESIGN.md §3), and the one mapping to them. */
public final class ExitCodes {
  public static final int OK = 0;
  /** The check said no: bad code, tampered log, denied. */
  public static final int NO = 1;
  /** Bad usage or bad input: a clear message, nothing changed. */
  public static final int BAD_INPUT = 2;
  /** Locked out or rate limited. */
  public static final int LOCKED = 3;
  /** Not configured, or the daemon is unreachable. */
  public static final int NOT_CONFIGURED = 4;

  private ExitCodes() {}

  public static int of(GatehouseException e) {
    return switch (e) {
      case BadInputException b -> BAD_INPUT;
      case RefusedException r -> NO;
      case NotConfiguredException n -> NOT_CONFIGURED;
    };
  }

  public static int of(VerifyOutcome outcome) {
    return switch (outcome) {
      case VerifyOutcome.Accepted a -> OK;
      case VerifyOutcome.Rejected r -> NO;
      case VerifyOutcome.LockedOut l -> LOCKED;
    };
  }
}
