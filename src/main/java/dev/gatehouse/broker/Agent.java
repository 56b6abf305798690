package dev.gatehouse.broker;

import dev.gatehouse.config.Globs;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An agent: a name, its current signing key, the actions it may call (globs such as
 * {@code jackett.*}), and after a rotation the previous key with the instant it stops being
 * accepted. Keys are copied in and out; {@code toString()} never shows them.
 */
public record Agent(String name, String keyId, byte[] key, List<String> allow, Instant created,
    Optional<PreviousKey> previous) {

  /** A retired key still accepted until {@code until}. */
  public record PreviousKey(String keyId, byte[] key, Instant until) {
    public PreviousKey {
      key = key.clone();
    }

    @Override
    public byte[] key() {
      return key.clone();
    }

    @Override
    public String toString() {
      return "PreviousKey[" + keyId + ", key redacted, until " + until + "]";
    }
  }

  public Agent {
    key = key.clone();
    allow = List.copyOf(allow);
  }

  @Override
  public byte[] key() {
    return key.clone();
  }

  /** The key that {@code keyId} names, if it is this agent's current key or a previous one still in its overlap. */
  public Optional<byte[]> keyFor(String keyId, Instant now) {
    if (constantTimeEquals(this.keyId, keyId)) {
      return Optional.of(key.clone());
    }
    return previous.filter(p -> constantTimeEquals(p.keyId(), keyId) && now.isBefore(p.until())).map(PreviousKey::key);
  }

  /** Whether this agent may call {@code action} ({@code service.action}). */
  public boolean allows(String action) {
    return allow.stream().anyMatch(glob -> Globs.matchesName(glob, action));
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Agent a && a.name.equals(name) && a.keyId.equals(keyId) && Arrays.equals(a.key, key);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return "Agent[" + name + ", " + keyId + ", key redacted, allow " + allow + "]";
  }
}
