package dev.gatehouse.otp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The enrolled key in {@code totp.json} (mode 0600) in the home. Format version 1, documented
 * in docs/files.md. The key moves into the encrypted vault once the vault exists.
 */
public final class FileEnrollmentStore implements EnrollmentStore {
  private static final int VERSION = 1;
  private final Path file;

  public FileEnrollmentStore(Path file) {
    this.file = file;
  }

  @Override
  public Optional<Enrollment> load() throws IOException {
    JsonNode n = JsonFiles.read(file, VERSION);
    if (n == null) {
      return Optional.empty();
    }
    try {
      List<RecoveryCodes.Hashed> codes = new ArrayList<>();
      for (JsonNode c : n.path("recovery")) {
        codes.add(new RecoveryCodes.Hashed(JsonFiles.text(file, c, "salt"), JsonFiles.text(file, c, "hash")));
      }
      return Optional.of(new Enrollment(
          Enrollment.Status.valueOf(JsonFiles.text(file, n, "status").toUpperCase(Locale.ROOT)),
          JsonFiles.text(file, n, "issuer"),
          JsonFiles.text(file, n, "account"),
          Base32.decode(JsonFiles.text(file, n, "secret"), "secret"),
          new TotpParameters(HashAlgorithm.valueOf(JsonFiles.text(file, n, "algorithm")),
              JsonFiles.integer(file, n, "digits"), JsonFiles.integer(file, n, "period")),
          JsonFiles.instant(file, n, "created"),
          JsonFiles.instant(file, n, "activated"),
          codes));
    } catch (IllegalArgumentException | NullPointerException | BadInputException e) {
      throw JsonFiles.damaged(file, "a field has an impossible value");
    }
  }

  @Override
  public void save(Enrollment e) throws IOException {
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
    JsonFiles.write(file, n);
  }

  @Override
  public void delete() throws IOException {
    AtomicFiles.delete(file);
  }
}
