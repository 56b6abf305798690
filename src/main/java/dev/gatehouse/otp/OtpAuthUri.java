package dev.gatehouse.otp;

import dev.gatehouse.error.BadInputException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Key URI format authenticator apps scan:
 * {@code otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30}.
 *
 * <p>Holds a key: {@link #toString()} never shows it; {@link #format()} is the one way to get
 * the URI text, for enrollment output only.
 */
public final class OtpAuthUri {
  private final String issuer;
  private final String account;
  private final byte[] secret;
  private final TotpParameters params;

  public OtpAuthUri(String issuer, String account, byte[] secret, TotpParameters params) {
    this.issuer = checkLabelPart(issuer, "issuer");
    this.account = checkLabelPart(account, "account");
    if (secret == null || secret.length < 10) {
      throw new IllegalArgumentException("a TOTP key has at least 80 bits");
    }
    this.secret = secret.clone();
    this.params = params;
  }

  private static String checkLabelPart(String value, String field) {
    if (value == null || value.isBlank() || value.indexOf(':') >= 0 || value.chars().anyMatch(Character::isISOControl)) {
      throw new BadInputException("otpauth URI: " + field + " must be non-empty, without ':' or control characters");
    }
    return value;
  }

  public String issuer() {
    return issuer;
  }

  public String account() {
    return account;
  }

  public byte[] secret() {
    return secret.clone();
  }

  public TotpParameters params() {
    return params;
  }

  /** The URI text, with the key in it. */
  public String format() {
    return "otpauth://totp/" + encode(issuer) + ":" + encode(account)
        + "?secret=" + Base32.encode(secret)
        + "&issuer=" + encode(issuer)
        + "&algorithm=" + params.algorithm().name()
        + "&digits=" + params.digits()
        + "&period=" + params.periodSeconds();
  }

  /**
   * Reads a {@code otpauth://totp/} URI. Missing algorithm, digits and period take the
   * format's defaults (SHA1, 6, 30). Errors name the field and never echo the key.
   */
  public static OtpAuthUri parse(String uri) {
    String prefix = "otpauth://totp/";
    if (uri == null || !uri.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw new BadInputException("otpauth URI: must start with " + prefix);
    }
    String rest = uri.substring(prefix.length());
    int q = rest.indexOf('?');
    if (q < 0) {
      throw new BadInputException("otpauth URI: the query with secret= is missing");
    }
    String label = decode(rest.substring(0, q), "label");
    Map<String, String> query = new HashMap<>();
    for (String pair : rest.substring(q + 1).split("&", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new BadInputException("otpauth URI: every query part must be name=value");
      }
      String name = pair.substring(0, eq).toLowerCase(Locale.ROOT);
      if (query.put(name, decode(pair.substring(eq + 1), name)) != null) {
        throw new BadInputException("otpauth URI: parameter " + name + " appears twice");
      }
    }
    String secretText = query.get("secret");
    if (secretText == null || secretText.isEmpty()) {
      throw new BadInputException("otpauth URI: secret is missing");
    }
    byte[] secret = Base32.decode(secretText, "otpauth URI: secret");
    try {
      int colon = label.indexOf(':');
      String labelIssuer = colon < 0 ? null : label.substring(0, colon);
      String account = (colon < 0 ? label : label.substring(colon + 1)).strip();
      String issuer = query.getOrDefault("issuer", labelIssuer);
      if (labelIssuer != null && !labelIssuer.equals(issuer)) {
        throw new BadInputException("otpauth URI: issuer in the label and issuer= differ");
      }
      if (issuer == null) {
        throw new BadInputException("otpauth URI: issuer is missing");
      }
      TotpParameters params = new TotpParameters(
          algorithm(query.getOrDefault("algorithm", "SHA1")),
          number(query.getOrDefault("digits", "6"), "digits"),
          number(query.getOrDefault("period", "30"), "period"));
      if (secret.length < 10) {
        throw new BadInputException("otpauth URI: secret is shorter than 80 bits");
      }
      return new OtpAuthUri(issuer, account, secret, params);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("otpauth URI: " + e.getMessage());
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  private static HashAlgorithm algorithm(String text) {
    try {
      return HashAlgorithm.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("otpauth URI: algorithm must be SHA1, SHA256 or SHA512");
    }
  }

  private static int number(String text, String field) {
    if (!text.matches("[0-9]{1,4}")) {
      throw new BadInputException("otpauth URI: " + field + " must be a number");
    }
    return Integer.parseInt(text);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String decode(String s, String field) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("otpauth URI: " + field + " has a bad %-escape");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OtpAuthUri other && issuer.equals(other.issuer) && account.equals(other.account)
        && java.security.MessageDigest.isEqual(secret, other.secret) && params.equals(other.params);
  }

  @Override
  public int hashCode() {
    return issuer.hashCode() * 31 + account.hashCode();
  }

  @Override
  public String toString() {
    return "OtpAuthUri[" + issuer + ":" + account + ", " + params + ", secret=(redacted)]";
  }
}
