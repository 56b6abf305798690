package dev.gatehouse.otp;

import dev.gatehouse.error.BadInputException;
import java.util.Locale;

/**
 * What a person typed where a code is asked for, normalized before any other check: spaces,
 * tabs and dashes are removed (a code read as "123 456" or a recovery code with its dashes is
 * the same code; checking for replay before normalizing is how Vault's used-code cache was
 * bypassed, HCSEC-2025-17). What remains must be 6-8 ASCII digits (a TOTP code) or 16
 * base32 characters (a recovery code); anything else is bad input.
 *
 * <p>Holds a one-time code: {@code toString()} never shows it.
 */
public sealed interface CodeInput {
  /** Length of a recovery code without its dashes: 16 base32 characters = 80 bits. */
  int RECOVERY_LENGTH = 16;

  record TotpCode(String digits) implements CodeInput {
    @Override
    public String toString() {
      return "TotpCode[" + digits.length() + " digits]";
    }
  }

  /** {@code text} is lower-case base32 without dashes. */
  record RecoveryCode(String text) implements CodeInput {
    @Override
    public String toString() {
      return "RecoveryCode[redacted]";
    }
  }

  static CodeInput parse(String raw) {
    if (raw == null) {
      throw new BadInputException("no code given");
    }
    StringBuilder kept = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != ' ' && c != '\t' && c != '-') {
        kept.append(c);
      }
    }
    String s = kept.toString();
    if (s.length() >= 6 && s.length() <= 8 && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return new TotpCode(s);
    }
    if (s.length() == RECOVERY_LENGTH && s.chars().allMatch(CodeInput::isBase32)) {
      return new RecoveryCode(s.toLowerCase(Locale.ROOT));
    }
    throw new BadInputException("a code is 6 to 8 digits from the authenticator app, or a recovery code "
        + "like abcd-efgh-ijkl-mnop");
  }

  private static boolean isBase32(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
  }
}
