package dev.gatehouse.otp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** An enrollment as JSON, format version 1 (docs/files.md): the same bytes in the vault or, before it, in totp.json. */
final class EnrollmentCodec {
  static final int VERSION = 1;

  private EnrollmentCodec() {}

  static byte[] encode(Enrollment e) throws IOException {
    ObjectNode n = JsonFiles.JSON.createObjectNode();
    n.put("v", VERSION);
    n.put("status", e.status().name().toLowerCase(Locale.ROOT));
    n.put("issuer", e.issuer());
    n.put("account", e.account());
    n.put("secret", Base32.encode(e.secret()));
    n.put("algorithm", e.params().algorithm().name());
    n.put("digits", e.params().digits());
    n.put("period", e.params().periodSeconds());
    n.put("created", e.createdAt().toString());
    n.put("activated", e.activatedAt() == null ? null : e.activatedAt().toString());
    ArrayNode codes = n.putArray("recovery");
    for (RecoveryCodes.Hashed c : e.recoveryCodes()) {
      codes.addObject().put("salt", c.salt()).put("hash", c.hash());
    }
    return JsonFiles.JSON.writeValueAsBytes(n);
  }

  /** @param where names the source in error messages */
  static Enrollment decode(byte[] bytes, Path where) throws IOException {
    JsonNode n = JsonFiles.parse(bytes, where, VERSION);
    try {
      List<RecoveryCodes.Hashed> codes = new ArrayList<>();
      for (JsonNode c : n.path("recovery")) {
        codes.add(new RecoveryCodes.Hashed(JsonFiles.text(where, c, "salt"), JsonFiles.text(where, c, "hash")));
      }
      return new Enrollment(
          Enrollment.Status.valueOf(JsonFiles.text(where, n, "status").toUpperCase(Locale.ROOT)),
          JsonFiles.text(where, n, "issuer"),
          JsonFiles.text(where, n, "account"),
          Base32.decode(JsonFiles.text(where, n, "secret"), "secret"),
          new TotpParameters(HashAlgorithm.valueOf(JsonFiles.text(where, n, "algorithm")),
              JsonFiles.integer(where, n, "digits"), JsonFiles.integer(where, n, "period")),
          JsonFiles.instant(where, n, "created"),
          JsonFiles.instant(where, n, "activated"),
          codes);
    } catch (IllegalArgumentException | NullPointerException | BadInputException e) {
      throw JsonFiles.damaged(where, "a field has an impossible value");
    }
  }
}
