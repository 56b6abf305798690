package dev.gatehouse.owner;

import java.util.Locale;
import java.util.Optional;

/**
 * What an owner-plane account may do (DESIGN §11), each role including the ones before it:
 * viewer (status, audit, trust), operator (+ pairing, approving suggestions), admin (+ exec
 * approvals, trust changes, agents, channels), owner (+ users, config).
 */
public enum Role {
  VIEWER, OPERATOR, ADMIN, OWNER;

  /** Whether this role includes {@code required}. */
  public boolean atLeast(Role required) {
    return compareTo(required) >= 0;
  }

  /** The name used in config, CLI and API: lower case. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code text} (case-insensitive), if any. */
  public static Optional<Role> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    for (Role r : values()) {
      if (r.id().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
