package dev.gatehouse.broker;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The replay record of signed requests: every (key id, nonce) is accepted once within the
 * keep time, which is longer than a signature's whole acceptance window, across every signed
 * endpoint and across a restart of the daemon.
 *
 * <p>Protocol, for an endpoint that admitted a request ({@link Authenticator#admit}):
 * <ol>
 *   <li>{@link #use} decides at once: empty for a replay, else a {@link Recording} of this use.
 *   <li>Before the request has any effect, the use must be on record. Either the endpoint's own
 *       decision entry carries {@link Recording#details()} and is recorded durably (then
 *       {@link Recording#recordedIn} says so), or {@link Recording#await} makes a record of its
 *       own. A refusal's entry carries the details too, so a refused request stays refused.
 * </ol>
 * The embedded backend ({@link AuditedNonces}) keeps the set in memory and rebuilds it at
 * start from the audit log, whose entries carry the uses. The shared backend of several
 * daemons ({@link PgNonces}) keeps the uses in a database table, where the use is its own
 * durable record (its recordings are on record already); its entries carry the same details.
 */
public interface NonceStore {

  /**
   * One signed request's use of its nonce.
   *
   * @param actor who signed it, for the record ({@code agent:NAME}, {@code channel:NAME})
   * @param target what it asked for, for the record (a path)
   */
  record Use(String keyId, String nonce, long created, Instant now, String actor, String target) {}

  /** A use admitted as the first within the keep time, on its way to the record. */
  interface Recording {
    /** What an audit entry carries to put this use on record (no caller text: a digest, key id, created). */
    Map<String, String> details();

    /** The durable audit entry {@code seq} carries {@link #details()}: the use is on record. */
    void recordedIn(long seq);

    /**
     * Returns once the use is on record, making a record of its own when no entry carried it;
     * throws if none can be made (the caller must refuse: a replay could not be refused later).
     */
    void await() throws Unrecorded;

    /** {@link #await}, for a signed endpoint: an unrecorded use refuses the request (503). */
    default void awaitOrRefuse() throws Refused {
      try {
        await();
      } catch (Unrecorded e) {
        throw new Refused(Problem.Kind.AUDIT_UNAVAILABLE, "the replay record could not be made");
      }
    }
  }

  /** The use could not be put on record, or not checked against it. */
  final class Unrecorded extends Exception {
    public Unrecorded(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Empty if {@code use}'s key id and nonce were used within the keep time (a replay); else
   * notes the use and returns its recording, which the caller completes before acting.
   *
   * @throws Unrecorded if whether it is a replay cannot be decided now (a shared backend's
   *     database is away): the caller must refuse, as for a replay, but as the record's failure
   */
  Optional<Recording> use(Use use) throws Unrecorded;
}
