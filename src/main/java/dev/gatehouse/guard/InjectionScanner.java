package dev.gatehouse.guard;

import java.util.List;

/**
 * Flags prompt-injection attempts in a text. It flags and never changes or blocks: callers
 * record the flags and pass the text on untouched.
 */
public final class InjectionScanner {
  /** The flags for {@code text}, at most one per kind, in a stable order; empty when clean. */
  public List<InjectionFlag> scan(String text) {
    return List.of(); // the scanner itself lands with issue 14's scanner work
  }
}
