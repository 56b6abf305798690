package dev.gatehouse.trust;

/**
 * The trust levels the broker consults on every allowed call, and where it reports evidence
 * against an agent (DESIGN §10). Levels live in {@code state.db}: a change made by the CLI
 * counts at the next call of a running daemon.
 */
public interface Trust {
  /** The current level of {@code domain}. */
  Level level(Domain domain);

  /**
   * A policy refusal of one of {@code agent}'s calls in {@code domain}, or an owner's denial
   * of its request: {@code kind} is e.g. {@code path-refused}, {@code bad-parameters},
   * {@code egress-denied}, {@code secret-echo}, {@code owner-denied}. Enough of them within
   * the window lowers the domain one level (audited, notified); never raises it.
   */
  void evidence(Domain domain, String agent, String kind);
}
