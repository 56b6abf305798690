package dev.gatehouse.chat;

import java.time.Instant;

/**
 * Which chat senders are known on each channel, and the pairing codes that make a sender
 * known once the owner approves one (DESIGN §9: 8 characters from
 * {@code ABCDEFGHJKLMNPQRSTUVWXYZ23456789}, 1 hour, single use, at most 3 pending per
 * channel, compared case-insensitively). Kept in {@code state.db}; every change audited.
 */
public interface Pairing {
  /** Whether {@code sender} is on {@code channel}'s allowlist. */
  boolean isAllowed(String channel, String sender);

  /** The outcome of an unknown sender's message. */
  sealed interface Request {}

  /**
   * The sender's pending code: made now ({@code issued}) or the one already pending.
   */
  record Code(String code, Instant expires, boolean issued) implements Request {
    @Override
    public String toString() {
      return "Code[" + (issued ? "issued" : "pending") + ", expires " + expires + "]";
    }
  }

  /** No code: {@code reason} is {@code pending-limit} or {@code rate-limited}. */
  record Refused(String reason) implements Request {}

  /** The pending code for {@code sender} on {@code channel}, or a new one if allowed. */
  Request request(String channel, String sender, String senderName);
}
