package dev.gatehouse.broker;

import java.util.Locale;

/**
 * Who signed a request: an agent (calls actions) or a chat channel's adapter (asks the gate
 * about messages). A key speaks for one principal of one kind, and each signed endpoint
 * names the one kind it serves.
 */
public record Principal(Kind kind, Agent agent) {
  public enum Kind {
    AGENT, CHANNEL;

    public String noun() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Principal {
    java.util.Objects.requireNonNull(kind);
    java.util.Objects.requireNonNull(agent);
  }

  public String name() {
    return agent.name();
  }

  /** How the audit log names it: {@code agent:NAME} or {@code channel:NAME}. */
  public String actor() {
    return kind.noun() + ":" + agent.name();
  }
}
