package dev.gatehouse.otp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Replay and lockout state in {@code otp-state.json} (mode 0600) in the home; format in
 * docs/files.md. Each save and delete is atomic and durable when it returns; the home lock
 * makes a read-check-write exclusive ({@link AttemptStore#underLock}).
 */
public final class FileAttemptStore implements AttemptStore.Held {
  private static final int VERSION = 1;
  private final Path file;

  public FileAttemptStore(Path file) {
    this.file = file;
  }

  @Override
  public AttemptState load() throws IOException {
    JsonNode n = JsonFiles.read(file, VERSION);
    if (n == null) {
      return AttemptState.INITIAL;
    }
    JsonNode step = n.get("last_step");
    if (step == null || !(step.isNull() || step.isIntegralNumber())) {
      throw JsonFiles.damaged(file, "field 'last_step' is missing or not a number");
    }
    int failures = JsonFiles.integer(file, n, "failures");
    if (failures < 0) {
      throw JsonFiles.damaged(file, "field 'failures' is negative");
    }
    Instant lockedUntil = JsonFiles.instant(file, n, "locked_until");
    return new AttemptState(step.isNull() ? Long.MIN_VALUE : step.asLong(), failures, lockedUntil);
  }

  @Override
  public void save(AttemptState s) throws IOException {
    ObjectNode n = JsonFiles.JSON.createObjectNode();
    n.put("v", VERSION);
    if (s.lastAcceptedStep() == Long.MIN_VALUE) {
      n.putNull("last_step");
    } else {
      n.put("last_step", s.lastAcceptedStep());
    }
    n.put("failures", s.failures());
    n.put("locked_until", s.lockedUntil() == null ? null : s.lockedUntil().toString());
    JsonFiles.write(file, n);
  }

  @Override
  public void delete() throws IOException {
    AtomicFiles.delete(file);
  }
}
