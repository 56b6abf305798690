package dev.gatehouse.notify;

import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressDeniedException;
import dev.gatehouse.guard.ServiceUrl;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code webhook} sink: {@code POST url} of the notification's JSON with
 * {@code Content-Type: application/json} and {@code Gatehouse-Signature: sha256=<hex>}, the
 * lowercase hex HMAC-SHA256 of exactly the body's bytes under the bytes of the vault entry
 * {@code secret}. The key is read at each delivery (a replaced entry applies at once) and
 * wiped after use; it goes nowhere but into the MAC. A 2xx answer is delivered; anything
 * else is a failure. The URL was validated as a service base URL ({@link
 * dev.gatehouse.guard.EgressGuard#parseBaseUrl}) and goes through {@link WebhookClient}.
 */
final class WebhookSender implements Sink {
  static final String SIGNATURE_HEADER = "Gatehouse-Signature";
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final URI url;
  private final boolean literalHost;
  private final String name;
  private final String secret;
  private final List<Cidr> allowPrivate;
  private final SecretLookup secrets;
  private final WebhookClient client;

  WebhookSender(URI url, ServiceUrl checked, String secret, List<Cidr> allowPrivate, SecretLookup secrets,
      WebhookClient client) {
    this.url = url;
    this.literalHost = checked.hostIsLiteral();
    String host = checked.host().indexOf(':') >= 0 ? "[" + checked.host() + "]" : checked.host();
    this.name = "webhook " + checked.scheme() + "://" + host + ":" + checked.port();
    this.secret = secret;
    this.allowPrivate = List.copyOf(allowPrivate);
    this.secrets = secrets;
    this.client = client;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void deliver(Notification n, byte[] json) throws DeliveryException {
    String signature = "sha256=" + HexFormat.of().formatHex(hmac(json));
    post(client, url, allowPrivate, Map.of("Content-Type", "application/json", SIGNATURE_HEADER, signature), json,
        literalHost);
  }

  /**
   * POSTs {@code body} through {@code client} (so the egress guard decides), and turns every way
   * it can fail into a {@link DeliveryException} that names no URL: a refused address literal is
   * final, everything else may be retried. Shared by notification webhooks and the audit witness.
   */
  static void post(WebhookClient client, URI url, List<Cidr> allowPrivate, Map<String, String> headers, byte[] body,
      boolean literalHost) throws DeliveryException {
    int status;
    try {
      status = client.post(url, allowPrivate, headers, body, TIMEOUT);
    } catch (EgressDeniedException e) {
      // An address is refused for good; a name may resolve elsewhere (or at all) later.
      throw new DeliveryException("the egress guard refused it: " + e.getMessage(), !literalHost);
    } catch (java.net.SocketTimeoutException | java.net.http.HttpTimeoutException e) {
      throw new DeliveryException("no answer within " + TIMEOUT.toSeconds() + " s", true);
    } catch (IOException | RuntimeException e) {
      // Only the class: a client's message may quote the URL, whose path may be the webhook's credential.
      throw new DeliveryException("the request failed (" + e.getClass().getSimpleName() + ")", true);
    }
    if (status / 100 != 2) {
      throw new DeliveryException("answered HTTP " + status, true);
    }
  }

  private byte[] hmac(byte[] body) throws DeliveryException {
    byte[] key;
    try {
      key = secrets.bytes(secret).orElseThrow(() -> new DeliveryException("the vault entry '" + secret
          + "' (its HMAC key) does not exist", false));
    } catch (IOException e) {
      throw new DeliveryException("the vault entry '" + secret + "' cannot be read (" + e.getClass().getSimpleName()
          + ")", true);
    }
    try {
      if (key.length == 0) {
        throw new DeliveryException("the vault entry '" + secret + "' (its HMAC key) is empty", false);
      }
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "WebhookSender[" + name + "]";
  }
}
