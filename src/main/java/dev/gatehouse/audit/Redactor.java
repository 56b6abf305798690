package dev.gatehouse.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Removes secrets from an event before anything is written.
 *
 * <ul>
 *   <li>A detail under a key named like password, secret, token, key, credential, auth,
 *       bearer, apikey, cookie or session (any case, anywhere in the name) becomes
 *       {@value #REDACTED}.
 *   <li>Any vault secret value (of at least {@value #MIN_SECRET_LENGTH} characters) found
 *       anywhere in any field becomes {@code hmac-sha256:<hex>} under the log's own
 *       redaction key, so an owner who knows a value can find where it was used
 *       ({@code gatehouse audit hash}) while the log never contains it. The values are
 *       learned from every vault image the process reads or writes, before any lookup answers
 *       from it ({@link dev.gatehouse.vault.Vault#watchValues}); a value once learned stays
 *       redacted for the life of the process, even after its entry is removed or replaced.
 *   <li>Except the {@value #DIGEST_DETAIL} detail when its value is exactly 32 lower-case hex
 *       digits: a digest Gatehouse computes (the replay record of a signed request), never a
 *       caller's text, which a short secret made of hex digits could otherwise alter by
 *       chance. Any other value under that key is scrubbed as usual.
 * </ul>
 * The rules are fixed here and in the config file; no API can change them.
 */
public final class Redactor {
  public static final String REDACTED = "[REDACTED]";
  /** Shorter values would match ordinary text everywhere; they are not searched for. */
  public static final int MIN_SECRET_LENGTH = 4;
  private static final Pattern SENSITIVE_KEY =
      Pattern.compile("(?i).*(password|passwd|secret|token|key|credential|auth|bearer|apikey|cookie|session).*");

  /** The detail whose 128-bit hex digest is kept as computed. */
  public static final String DIGEST_DETAIL = "replay";
  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{32}");

  private final byte[] key;
  private volatile List<String> secrets;
  private final Set<String> known = new HashSet<>(); // what secrets holds, for addSecret; guarded by this

  /** @param secretValues the vault's values as text; longest first so a longer one wins */
  public Redactor(byte[] redactionKey, List<String> secretValues) {
    this.key = redactionKey.clone();
    List<String> s = new ArrayList<>();
    for (String v : secretValues) {
      if (v.length() >= MIN_SECRET_LENGTH) {
        s.add(v);
      }
    }
    s.sort(Comparator.comparingInt(String::length).reversed());
    this.secrets = List.copyOf(s);
    known.addAll(s);
  }

  /** Also redacts {@code value} from now on (a secret the vault holds); never forgets one. */
  public synchronized void addSecret(String value) {
    if (value.length() >= MIN_SECRET_LENGTH && known.add(value)) {
      List<String> s = new ArrayList<>(secrets);
      s.add(value);
      s.sort(Comparator.comparingInt(String::length).reversed());
      secrets = List.copyOf(s);
    }
  }

  public AuditEvent redact(AuditEvent e) {
    Map<String, String> details = new TreeMap<>();
    e.details().forEach((k, v) -> details.put(scrub(k), SENSITIVE_KEY.matcher(k).matches() ? REDACTED
        : k.equals(DIGEST_DETAIL) && isDigest(v) ? v : scrub(v)));
    return new AuditEvent(scrub(e.type()), scrub(e.actor()), scrub(e.target()), scrub(e.outcome()), details);
  }

  /** True for the form the {@value #DIGEST_DETAIL} detail keeps as written: 32 lower-case hex digits. */
  public static boolean isDigest(String value) {
    return DIGEST.matcher(value).matches();
  }

  /** The tag that stands for {@code value} in the log. */
  public String tag(String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return "hmac-sha256:" + HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private String scrub(String text) {
    String out = text;
    for (String s : secrets) {
      if (out.contains(s)) {
        out = out.replace(s, tag(s));
      }
    }
    return out;
  }
}
