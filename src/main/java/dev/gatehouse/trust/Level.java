package dev.gatehouse.trust;

import java.util.Arrays;
import java.util.Locale;
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

  /** The name in commands and JSON: {@code none}, {@code inform}, {@code suggest}, {@code act-and-report}, {@code full}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** A level as the owner writes it: its number {@code 0}-{@code 4} or its {@link #wire()} name. */
  public static Optional<Level> parse(String s) {
    if (s != null && s.length() == 1 && s.charAt(0) >= '0' && s.charAt(0) <= '9') {
      return of(s.charAt(0) - '0');
    }
    return Arrays.stream(values()).filter(l -> l.wire().equals(s)).findFirst();
  }

  /** "0 none, 1 inform, ..." for error messages and help. */
  public static String names() {
    return String.join(", ", Arrays.stream(values()).map(l -> l.number() + " " + l.wire()).toList());
  }

  /** One level down (NONE stays NONE). */
  public Level lower() {
    return this == NONE ? NONE : values()[ordinal() - 1];
  }
}
