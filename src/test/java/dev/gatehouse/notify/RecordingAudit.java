package dev.gatehouse.notify;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import java.util.ArrayList;
import java.util.List;

/** Keeps every event; tests wait for the ones a background worker records. */
public final class RecordingAudit implements AuditLog {
  private final List<AuditEvent> events = new ArrayList<>(); // guarded by this

  @Override
  public synchronized long record(AuditEvent event) {
    events.add(event);
    notifyAll();
    return events.size();
  }

  public synchronized List<AuditEvent> events() {
    return List.copyOf(events);
  }

  public synchronized List<AuditEvent> ofType(String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  /** Waits (at most 30 s, then fails) until {@code count} events of {@code type} were recorded. */
  public synchronized List<AuditEvent> await(String type, int count) throws InterruptedException {
    long end = System.nanoTime() + 30_000_000_000L;
    while (ofType(type).size() < count) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new AssertionError("waited for " + count + " " + type + " events; have " + events);
      }
      wait(left);
    }
    return ofType(type);
  }
}
