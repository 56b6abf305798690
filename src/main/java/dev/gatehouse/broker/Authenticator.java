package dev.gatehouse.broker;

import dev.gatehouse.guard.Limit;
import dev.gatehouse.guard.RateLimiter;
import dev.gatehouse.identity.ContentDigest;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.identity.ParsedSignature;
import dev.gatehouse.identity.SignatureException;
import dev.gatehouse.identity.SignedRequest;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The identity and input layers every signed endpoint shares (DESIGN §2, §4): the source's
 * rate limit, the RFC 9421 signature by a current key of a known principal of the kind the
 * endpoint serves, then freshness, body digest and replay. One instance is shared by all
 * endpoints, so a nonce spent on one is spent on all.
 */
public final class Authenticator {
  /** How far {@code created} may be from the gateway's clock, either way. */
  public static final Duration SKEW = Duration.ofSeconds(30);

  /**
   * A request whose signature verified: who signed it, what they signed, and the vault as it
   * stood when the request was authenticated ({@code vault}: the one view of it the request's
   * later stages, its credentials included, read through, so a request sees the vault no older
   * than when it began, for one read of the vault's generation).
   */
  public record Signed(Principal principal, ParsedSignature signature, Instant checkedAt, Vault.View vault) {
    public Signed {
      java.util.Objects.requireNonNull(vault, "vault");
    }
  }

  private final AgentRegistry agents;
  private final AgentRegistry channels;
  private final NonceStore nonces;
  private final AgentUsage usage;
  private final RateLimiter limiter;
  private final Limit perSource;
  private final Clock clock;

  public Authenticator(AgentRegistry agents, AgentRegistry channels, NonceStore nonces, AgentUsage usage,
      RateLimiter limiter, Limit perSource, Clock clock) {
    this.agents = agents;
    this.channels = channels;
    this.nonces = nonces;
    this.usage = usage;
    this.limiter = limiter;
    this.perSource = perSource;
    this.clock = clock;
  }

  /**
   * The source's limit, then the signature: the key id names a current key of a known
   * principal, and its HMAC verifies.
   *
   * @throws Refused before any signature verified: the caller is unknown
   */
  public Signed authenticate(Broker.Call call) throws Refused {
    Vault.View vault;
    try {
      // The vault as this request sees it, from here to its end; taken first, so the redaction
      // knows every value of it before any of this request's entries, a refusal's too.
      vault = agents.view();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new Refused(Problem.Kind.STORAGE_UNAVAILABLE, null); // the vault's storage (a file, or the database) failed
    } catch (RuntimeException e) {
      throw new Refused(Problem.Kind.SEALED, null);
    }
    limit(List.of(new RateLimiter.Check("source", call.remote(), perSource)));
    String input = call.headers().get("signature-input");
    String signature = call.headers().get("signature");
    if (input == null || signature == null) {
      throw new Refused(Problem.Kind.SIGNATURE_MALFORMED, "sign the request (RFC 9421, hmac-sha256); see docs/signing.md");
    }
    ParsedSignature sig;
    try {
      sig = MessageSignatures.parse(input, signature);
    } catch (SignatureException e) {
      throw new Refused(Problem.Kind.SIGNATURE_MALFORMED, e.getMessage());
    }
    Instant now = clock.instant();
    Optional<Principal> principal;
    try {
      // Names are unique across agents and channels, so at most one of the two knows the key id.
      principal = agents.byKeyId(sig.keyId(), vault).map(a -> new Principal(Principal.Kind.AGENT, a))
          .or(() -> lookup(channels, sig.keyId(), vault).map(c -> new Principal(Principal.Kind.CHANNEL, c)));
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new Refused(Problem.Kind.STORAGE_UNAVAILABLE, null); // the vault's storage (a file, or the database) failed
    } catch (RuntimeException e) {
      throw new Refused(Problem.Kind.SEALED, null);
    }
    Optional<byte[]> key = principal.flatMap(p -> p.agent().keyFor(sig.keyId(), now));
    if (key.isEmpty()) {
      throw new Refused(Problem.Kind.UNAUTHENTICATED, null);
    }
    byte[] k = key.get();
    try {
      MessageSignatures.verify(sig, new SignedRequest(call.method(), call.authority(), call.path(), call.rawQuery(),
          call.headers()), k);
    } catch (SignatureException e) {
      throw new Refused(Problem.Kind.UNAUTHENTICATED, null);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
    return new Signed(principal.get(), sig, now, vault);
  }

  /**
   * For a request whose signature verified: it must come from a principal of kind
   * {@code serves} (another kind is refused as {@link Problem.Kind#WRONG_PRINCIPAL}: its key is
   * real, so the refusal is its own), be fresh, carry its body's digest (covered by the
   * signature; only a {@code GET} with an empty body may sign no digest), and use a nonce not
   * seen before.
   * Returns the nonce's use, to be put on record before the request has any effect (an entry
   * that carries its details, or {@link NonceStore.Recording#await}).
   */
  public NonceStore.Recording admit(Signed signed, Broker.Call call, Principal.Kind serves) throws Refused {
    if (signed.principal().kind() != serves) {
      throw new Refused(Problem.Kind.WRONG_PRINCIPAL, "a " + signed.principal().kind().noun() + " key cannot call this"
          + " endpoint; it is for " + serves.noun() + " keys");
    }
    ParsedSignature sig = signed.signature();
    Instant now = signed.checkedAt();
    Instant created = Instant.ofEpochSecond(sig.created());
    if (Duration.between(created, now).abs().compareTo(SKEW) > 0) {
      throw new Refused(Problem.Kind.STALE, "created must be within " + SKEW.toSeconds() + " s of the gateway's clock");
    }
    if (sig.components().contains("content-digest")) {
      if (!ContentDigest.matches(call.headers().getOrDefault("content-digest", ""), call.body())) {
        throw new Refused(Problem.Kind.DIGEST, "send Content-Digest: sha-256=:<base64 of SHA-256(body)>:");
      }
    } else if (!call.method().equals("GET") || call.body().length != 0) {
      // Only a GET without a body may leave its body unsigned: there is nothing to bind.
      throw new Refused(Problem.Kind.DIGEST, "sign content-digest too, and send Content-Digest: "
          + "sha-256=:<base64 of SHA-256(body)>: (only a GET without a body may leave it out)");
    }
    Optional<NonceStore.Recording> recording;
    try {
      recording = nonces.use(new NonceStore.Use(sig.keyId(), sig.nonce(), sig.created(), now,
          signed.principal().actor(), call.path()));
    } catch (NonceStore.Unrecorded e) {
      // Not known to be a first use: refused as a replay record that cannot be made (503), before any effect.
      throw new Refused(Problem.Kind.AUDIT_UNAVAILABLE, "the replay record could not be consulted; retry later");
    }
    if (recording.isEmpty()) {
      throw new Refused(Problem.Kind.REPLAYED, "use a new random nonce for every request");
    }
    usage.note(usageName(signed.principal()), now);
    return recording.get();
  }

  /** Holds {@code checks} against the shared limiter. */
  public void limit(List<RateLimiter.Check> checks) throws Refused {
    if (limiter.tryAcquire(checks) instanceof RateLimiter.Limited l) {
      throw new Refused(Problem.Kind.RATE_LIMITED, "over the " + l.scope() + " limit of " + l.limit(),
          Math.max(1, l.retryAfter().toSeconds()));
    }
  }

  private static Optional<Agent> lookup(AgentRegistry registry, String keyId, Vault.View vault) {
    try {
      return registry.byKeyId(keyId, vault);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The name under which a key's last use is kept (agents by name, channels apart from them). */
  private static String usageName(Principal p) {
    return p.kind() == Principal.Kind.AGENT ? p.name() : p.actor();
  }
}
