package dev.gatehouse.trust;

import java.util.Optional;

/** How much an agent may do alone in a domain (DESIGN §10). */
public enum Level {
  /** 0: nothing runs; the agent is told how the owner can raise the level. */
  NONE,
  /** 1: nothing runs; the agent is told what would have been done. */
  INFORM,
  /** 2: the call waits for the owner's approval of that one request. */
  SUGGEST,
  /** 3: the call runs, and the owner is notified. */
  ACT_AND_REPORT,
  /** 4: the call runs. */
  FULL;

  public int number() {
    return ordinal();
  }

  public static Optional<Level> of(int n) {
    return n >= 0 && n < values().length ? Optional.of(values()[n]) : Optional.empty();
  }

  /** One level down (NONE stays NONE). */
  public Level lower() {
    return this == NONE ? NONE : values()[ordinal() - 1];
  }
}
