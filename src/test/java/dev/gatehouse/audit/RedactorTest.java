package dev.gatehouse.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactorTest {
  private final Redactor redactor = new Redactor(new byte[32], List.of("sk-CANARY-1234567", "abc"));

  @Test
  void sensitiveKeyNames_areRedacted_whateverTheirCase() {
    AuditEvent e = redactor.redact(new AuditEvent("t", "a", "b", "c", Map.of("Password", "p", "X-Api-Key", "k",
        "session_id", "s", "Authorization", "Bearer x", "count", "3", "monkey", "m")));
    assertThat(e.details()).containsEntry("Password", Redactor.REDACTED).containsEntry("X-Api-Key", Redactor.REDACTED)
        .containsEntry("session_id", Redactor.REDACTED).containsEntry("Authorization", Redactor.REDACTED)
        .containsEntry("count", "3").containsEntry("monkey", Redactor.REDACTED);
  }

  @Test
  void secretValues_anywhere_becomeTheirTag() {
    String tag = redactor.tag("sk-CANARY-1234567");
    AuditEvent e = redactor.redact(new AuditEvent("t", "agent sk-CANARY-1234567", "x", "y",
        Map.of("url", "https://h/?q=sk-CANARY-1234567&z=1")));
    assertThat(e.toString()).doesNotContain("sk-CANARY-1234567");
    assertThat(e.actor()).isEqualTo("agent " + tag);
    assertThat(e.details().get("url")).isEqualTo("https://h/?q=" + tag + "&z=1");
    assertThat(tag).matches("hmac-sha256:[0-9a-f]{64}");
  }

  @Test
  void shortValues_areNotSearchedFor_andAddedSecretsAre() {
    assertThat(redactor.redact(new AuditEvent("abc", "abc", "abc", "abc", Map.of())).actor()).isEqualTo("abc");
    redactor.addSecret("new-secret-value");
    assertThat(redactor.redact(new AuditEvent("t", "new-secret-value", "x", "y", Map.of())).actor())
        .isEqualTo(redactor.tag("new-secret-value"));
  }

  @Test
  void theReplayDigest_isKeptAsComputed_butAnythingElseUnderItsKeyIsScrubbed() {
    Redactor hex = new Redactor(new byte[32], List.of("beef", "sk-CANARY-1234567"));
    String digest = "0123456789abcdefbeef0123456789ab";

    assertThat(hex.redact(new AuditEvent("t", "a", "x", "y", Map.of("replay", digest))).details())
        .containsEntry("replay", digest);
    assertThat(hex.redact(new AuditEvent("t", "a", "x", "y", Map.of("other", digest))).details().get("other"))
        .as("the same value under another key").doesNotContain("beef");
    for (String notADigest : List.of("sk-CANARY-1234567", digest.toUpperCase(java.util.Locale.ROOT) + "beef",
        digest + "0", "beef" + digest.substring(4) + " sk-CANARY-1234567")) {
      String out = hex.redact(new AuditEvent("t", "a", "x", "y", Map.of("replay", notADigest))).details().get("replay");
      assertThat(out).as(notADigest).doesNotContain("sk-CANARY-1234567").doesNotContain("beef");
    }
  }
}
