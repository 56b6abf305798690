package dev.gatehouse.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.vault.SecretAccess;
import dev.gatehouse.vault.SecretValue;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Agents and their keys, kept in the vault (entry {@code gatehouse.agent.NAME}): nothing
 * outside the vault ever holds an agent key except the one file {@link #add} writes for the
 * agent. Every change is audited first. Lookups read the vault each time, so a revocation or
 * rotation made by another process counts at the next request.
 *
 * <p>Chat channels' adapter keys are kept the same way ({@code gatehouse.channel.NAME}, by a
 * registry of {@link Principal.Kind#CHANNEL}); a name is unique across agents and channels,
 * so a key id names at most one principal.
 */
public final class AgentRegistry {
  public static final String ENTRY_PREFIX = "gatehouse.agent.";
  public static final String CHANNEL_PREFIX = "gatehouse.channel.";
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  public static final Pattern ALLOW = Pattern.compile("[a-z0-9*][a-z0-9._*-]{0,127}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vault vault;
  private final AuditLog audit;
  private final Clock clock;
  private final SecureRandom random;
  private final Duration overlap;
  private final Principal.Kind kind;
  private final String prefix;
  private final String otherPrefix;

  /** The agents' registry; {@code overlap} is how long a rotated-out key is still accepted. */
  public AgentRegistry(Vault vault, AuditLog audit, Clock clock, SecureRandom random, Duration overlap) {
    this(Principal.Kind.AGENT, vault, audit, clock, random, overlap);
  }

  /** The registry of principals of {@code kind}: agents, or chat channels' adapters. */
  public AgentRegistry(Principal.Kind kind, Vault vault, AuditLog audit, Clock clock, SecureRandom random,
      Duration overlap) {
    this.kind = kind;
    this.prefix = kind == Principal.Kind.AGENT ? ENTRY_PREFIX : CHANNEL_PREFIX;
    this.otherPrefix = kind == Principal.Kind.AGENT ? CHANNEL_PREFIX : ENTRY_PREFIX;
    this.vault = vault;
    this.audit = audit;
    this.clock = clock;
    this.random = random;
    this.overlap = overlap;
  }

  /** Creates agent {@code name} with a new 256-bit key. */
  public Agent add(String name, List<String> allow, String actor) throws IOException {
    checkName(name);
    for (String glob : allow) {
      if (!ALLOW.matcher(glob).matches()) {
        throw new BadInputException("--allow '" + glob + "' is not an action glob (service.action, * for any part)");
      }
    }
    if (vault.contains(prefix + name)) {
      throw new BadInputException(kind.noun() + " '" + name + "' already exists; `gatehouse " + kind.noun()
          + " rotate " + name + "` gives it a new key");
    }
    if (vault.contains(otherPrefix + name)) {
      throw new BadInputException("'" + name + "' is already the name of " + (kind == Principal.Kind.AGENT
          ? "a chat channel" : "an agent") + "; agents and channels need different names");
    }
    Agent agent = new Agent(name, newKeyId(name), newKey(), allow, clock.instant(), Optional.empty());
    audit.record(new AuditEvent(kind.noun() + ".add", actor, name, "added", Map.of("keyid", agent.keyId(),
        "allow", String.join(",", allow))));
    store(agent, false);
    return agent;
  }

  /** Gives agent {@code name} a new key; the old one is accepted for the overlap. */
  public Agent rotate(String name, String actor) throws IOException {
    return rotate(name, actor, agent -> { });
  }

  /** Where a new key goes once it is stored: the agent's key file. */
  @FunctionalInterface
  public interface KeyPublisher {
    void publish(Agent agent) throws IOException;
  }

  /**
   * Gives agent {@code name} a new key and hands it to {@code publish}. If that fails, the old
   * record is put back as it was (its key is not put on a clock), so a key that never reached
   * the agent cannot become the only one accepted.
   */
  public Agent rotate(String name, String actor, KeyPublisher publish) throws IOException {
    Agent old = find(name).orElseThrow(() -> unknown(name));
    Agent agent = new Agent(name, newKeyId(name), newKey(), old.allow(), old.created(),
        Optional.of(new Agent.PreviousKey(old.keyId(), old.key(), clock.instant().plus(overlap))));
    audit.record(new AuditEvent(kind.noun() + ".rotate", actor, name, "rotated", Map.of("keyid", agent.keyId(),
        "retired_keyid", old.keyId(), "old_key_accepted_until", agent.previous().orElseThrow().until().toString())));
    store(agent, true);
    try {
      publish.publish(agent);
    } catch (IOException | RuntimeException e) {
      audit.record(new AuditEvent(kind.noun() + ".rotate", actor, name, "undone", Map.of("keyid", agent.keyId(),
          "kept_keyid", old.keyId())));
      store(old, true);
      throw e;
    }
    return agent;
  }

  /** Removes agent {@code name}: its keys stop working at once. */
  public void revoke(String name, String actor) throws IOException {
    checkName(name);
    if (!vault.contains(prefix + name)) {
      throw unknown(name);
    }
    audit.record(new AuditEvent(kind.noun() + ".revoke", actor, name, "revoked", Map.of()));
    vault.remove(prefix + name);
  }

  public List<Agent> list() throws IOException {
    List<Agent> agents = new ArrayList<>();
    for (Vault.EntryInfo e : vault.list()) {
      if (e.name().startsWith(prefix)) {
        find(e.name().substring(prefix.length())).ifPresent(agents::add);
      }
    }
    return agents;
  }

  /** The agent a key id belongs to (key ids are {@code NAME.HEX}), if it exists. */
  public Optional<Agent> byKeyId(String keyId) throws IOException {
    return byKeyId(keyId, vault.view());
  }

  /** {@link #byKeyId(String)} as the vault stands in {@code view} (a view of this registry's vault). */
  public Optional<Agent> byKeyId(String keyId, Vault.View view) throws IOException {
    int dot = keyId.lastIndexOf('.');
    if (dot <= 0 || !NAME.matcher(keyId.substring(0, dot)).matches()) {
      return Optional.empty();
    }
    return find(keyId.substring(0, dot), view);
  }

  /**
   * The vault as it is now, for one call to make all its lookups through ({@link Vault#view}):
   * this registry's and the credentials'.
   */
  public Vault.View view() throws IOException {
    return vault.view();
  }

  /** Agents as read at a vault generation: re-read only when the vault changed (a revocation is a change). */
  private final java.util.concurrent.ConcurrentHashMap<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

  private record Cached(long generation, Optional<Agent> agent) {}

  public Optional<Agent> find(String name) throws IOException {
    return find(name, vault.view());
  }

  private Optional<Agent> find(String name, Vault.View view) throws IOException {
    checkName(name);
    if (view.vault() != vault) {
      throw new IllegalArgumentException("a view of another vault");
    }
    long generation = view.generation();
    Cached c = cache.get(name);
    if (c != null && c.generation() == generation) {
      return c.agent();
    }
    Optional<Agent> agent = read(name, view);
    if (cache.size() > 10_000) {
      cache.clear();
    }
    cache.put(name, new Cached(generation, agent));
    return agent;
  }

  private Optional<Agent> read(String name, Vault.View view) throws IOException {
    Optional<SecretValue> v = view.reveal(prefix + name, SecretAccess.get());
    if (v.isEmpty()) {
      return Optional.empty();
    }
    byte[] json = v.get().bytes(SecretAccess.get());
    try (SecretValue held = v.get()) {
      JsonNode n = JSON.readTree(json);
      List<String> allow = new ArrayList<>();
      n.path("allow").forEach(a -> allow.add(a.asText()));
      Optional<Agent.PreviousKey> previous = Optional.empty();
      JsonNode p = n.get("previous");
      if (p != null && !p.isNull()) {
        previous = Optional.of(new Agent.PreviousKey(p.get("keyid").asText(),
            Base64.getDecoder().decode(p.get("key").asText()), Instant.parse(p.get("until").asText())));
      }
      return Optional.of(new Agent(name, n.get("keyid").asText(), Base64.getDecoder().decode(n.get("key").asText()),
          allow, Instant.parse(n.get("created").asText()), previous));
    } finally {
      Arrays.fill(json, (byte) 0);
    }
  }

  private void store(Agent agent, boolean replace) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("keyid", agent.keyId());
    n.put("key", Base64.getEncoder().encodeToString(agent.key()));
    var allow = n.putArray("allow");
    agent.allow().forEach(allow::add);
    n.put("created", agent.created().toString());
    agent.previous().ifPresent(p -> n.putObject("previous").put("keyid", p.keyId())
        .put("key", Base64.getEncoder().encodeToString(p.key())).put("until", p.until().toString()));
    byte[] json = JSON.writeValueAsBytes(n);
    try {
      vault.put(prefix + agent.name(), json, replace);
    } finally {
      Arrays.fill(json, (byte) 0);
    }
  }

  private String newKeyId(String name) {
    byte[] id = new byte[4];
    random.nextBytes(id);
    return name + "." + HexFormat.of().formatHex(id);
  }

  private byte[] newKey() {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return key;
  }

  private void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new BadInputException("a" + (kind == Principal.Kind.AGENT ? "n agent" : " channel") + " name is 1-32 characters of a-z 0-9 _ -, starting with a letter or digit"
          + " (got '" + name + "')");
    }
  }

  private NotConfiguredException unknown(String name) {
    return new NotConfiguredException("there is no " + kind.noun() + " '" + name + "' (`gatehouse " + kind.noun()
        + " list` shows them)");
  }
}
