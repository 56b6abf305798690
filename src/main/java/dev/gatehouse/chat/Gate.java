package dev.gatehouse.chat;

/** The chat gate: asked about every incoming message before anything reaches the model. */
public interface Gate {
  /**
   * Decides about {@code message} received on {@code channel}; the decision is in the audit
   * log before it is returned.
   *
   * @throws dev.gatehouse.error.RefusedException if the decision cannot be recorded (nothing may be forwarded then)
   */
  GateAnswer decide(String channel, GateMessage message);
}
