package dev.gatehouse.trust;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The domains trust is kept per (DESIGN §1, §10). A catalog action names one; the default is integrations. */
public enum Domain {
  MESSAGING, FILES, WEB, SHELL, FINANCE, CALENDAR, EMAIL, INTEGRATIONS, SYSTEM;

  public static final Domain DEFAULT = INTEGRATIONS;

  /** The name in files, commands and JSON: {@code messaging}, {@code files}, ... */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Domain> parse(String s) {
    return Arrays.stream(values()).filter(d -> d.wire().equals(s)).findFirst();
  }

  /** "messaging, files, ..." for error messages. */
  public static String names() {
    return String.join(", ", Arrays.stream(values()).map(Domain::wire).toList());
  }
}
