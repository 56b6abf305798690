package dev.gatehouse.broker;

import java.util.List;
import java.util.Set;

/**
 * How a service's credential goes into an upstream request. Values name vault entries, never
 * secrets. New kinds (form login, session headers) implement the same seam: what they need
 * from the vault ({@link #secrets}), what they inject ({@link Injector}), and which names a
 * client must never set for them ({@link #credentialNames}).
 */
public sealed interface UpstreamAuth {
  /** The vault entries this auth reads. */
  List<String> secrets();

  /** Header and query names that carry this credential (lower-case). */
  Set<String> credentialNames();

  /** Puts the credential into a request being built. */
  void inject(Injector request, SecretSource vault);

  /** The part of an upstream request a credential may be written to. */
  interface Injector {
    void header(String name, String value);

    void query(String name, String value);
  }

  /** Reads a secret for the moment of injection. */
  interface SecretSource {
    String value(String vaultEntry);
  }

  /** {@code { type: header, name: X-Api-Key, secret: NAME }} */
  record Header(String name, String secret) implements UpstreamAuth {
    public List<String> secrets() {
      return List.of(secret);
    }

    public Set<String> credentialNames() {
      return Set.of(name.toLowerCase(java.util.Locale.ROOT));
    }

    public void inject(Injector request, SecretSource vault) {
      request.header(name, vault.value(secret));
    }
  }

  /** {@code { type: bearer, secret: NAME }} */
  record Bearer(String secret) implements UpstreamAuth {
    public List<String> secrets() {
      return List.of(secret);
    }

    public Set<String> credentialNames() {
      return Set.of("authorization");
    }

    public void inject(Injector request, SecretSource vault) {
      request.header("Authorization", "Bearer " + vault.value(secret));
    }
  }

  /** {@code { type: basic, username: NAME, password: NAME }} */
  record Basic(String username, String password) implements UpstreamAuth {
    public List<String> secrets() {
      return List.of(username, password);
    }

    public Set<String> credentialNames() {
      return Set.of("authorization");
    }

    public void inject(Injector request, SecretSource vault) {
      String pair = vault.value(username) + ":" + vault.value(password);
      request.header("Authorization", "Basic " + java.util.Base64.getEncoder()
          .encodeToString(pair.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
  }

  /**
   * A session cookie obtained by posting vault-held credentials to a login path (qBittorrent's
   * WebUI is the model). The cookie stays inside Gatehouse ({@link Sessions}); the agent never
   * sees it. {@code form} maps form fields to vault entries.
   */
  record FormLogin(String loginPath, java.util.Map<String, String> form, String cookie) implements UpstreamAuth {
    public FormLogin {
      form = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(form));
    }

    public List<String> secrets() {
      return List.copyOf(form.values());
    }

    public Set<String> credentialNames() {
      return Set.of("cookie");
    }

    public void inject(Injector request, SecretSource vault) {
      // the session cookie is added per request by Sessions
    }
  }

  /**
   * A session id the upstream hands out in a 409 answer and expects back in {@code header}
   * (Transmission's RPC), optionally with basic auth.
   */
  record SessionHeader(String header, Basic basic) implements UpstreamAuth {
    public List<String> secrets() {
      return basic == null ? List.of() : basic.secrets();
    }

    public Set<String> credentialNames() {
      return basic == null ? Set.of(header.toLowerCase(java.util.Locale.ROOT))
          : Set.of(header.toLowerCase(java.util.Locale.ROOT), "authorization");
    }

    public void inject(Injector request, SecretSource vault) {
      if (basic != null) {
        basic.inject(request, vault);
      }
    }
  }

  /** {@code { type: query, param: apikey, secret: NAME }} */
  record Query(String param, String secret) implements UpstreamAuth {
    public List<String> secrets() {
      return List.of(secret);
    }

    public Set<String> credentialNames() {
      return Set.of(param.toLowerCase(java.util.Locale.ROOT));
    }

    public void inject(Injector request, SecretSource vault) {
      request.query(param, vault.value(secret));
    }
  }
}
