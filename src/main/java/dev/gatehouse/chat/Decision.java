package dev.gatehouse.chat;

import java.util.Locale;

/** What the gate decided about one message, in the order of DESIGN §9. */
public enum Decision {
  /** Unknown sender: a pairing code was issued (or the pending one repeated). */
  PAIRING,
  /** Unknown sender, and no code can be issued now (pending limit or rate limit). */
  DENIED,
  /** The text may go to the model. */
  FORWARD,
  /** A known sender without a session: asked for a code; the text was dropped. */
  CHALLENGE,
  /** A right code: the session starts. The code message is to be deleted. */
  AUTHENTICATED,
  /** A wrong code. The code message is to be deleted. */
  REJECTED,
  /** TOTP is locked out; nothing is checked until the lockout ends. */
  LOCKED;

  /** The wire name: {@code pairing}, {@code forward}, ... */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
