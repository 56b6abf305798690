package dev.gatehouse.notify;

import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressDeniedException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * POSTs a webhook's body. The composition root fills it from the upstream client
 * ({@code GuardedUpstream::post}), so this package imports nothing of {@code http}.
 *
 * <p>Contract, as for any upstream: the host is resolved once by the egress guard and every
 * address checked against its block lists with {@code allowPrivate}; the connection goes to
 * the address that was checked; redirects are never followed; connecting and reading are
 * bounded ({@code timeout} for the answer).
 */
@FunctionalInterface
public interface WebhookClient {
  /**
   * @return the answer's HTTP status
   * @throws EgressDeniedException if the guard refuses the host (nothing was sent)
   * @throws IOException if the connection or the exchange failed or timed out
   */
  int post(URI url, List<Cidr> allowPrivate, Map<String, String> headers, byte[] body, Duration timeout)
      throws IOException, EgressDeniedException;
}
