package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerAuth;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerRoute;
import dev.gatehouse.owner.OwnerUsers;
import dev.gatehouse.owner.Role;
import dev.gatehouse.testing.FakeOwnerAuth;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestCertificates;
import dev.gatehouse.testing.TestHome;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The owner plane over real TLS 1.3: HSTS on its answers, and the session cookies marked Secure. */
class OwnerTlsDaemonTest {
  @TempDir
  Path temp;

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Gatehouse g;
  private Daemon daemon;
  private FakeOwnerAuth auth;
  private TestCertificates.Made cert;

  @BeforeEach
  void start() throws Exception {
    cert = TestCertificates.make(java.nio.file.Files.createDirectories(temp.resolve("certs")), "daemon", "EC", 2);
    g = TestHome.open(TestHome.create(temp), clock);
    var catalog = new AtomicReference<>(g.loadCatalog());
    auth = new FakeOwnerAuth(clock);
    List<OwnerRoute> pages = List.of(new OwnerRoute("GET", "/test/page", Role.VIEWER, false, true,
        (s, c) -> new Broker.Answer(200, new java.util.TreeMap<>(Map.of("Content-Type", "text/plain")),
            "page".getBytes(StandardCharsets.UTF_8))));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024,
        ServerTls.load(cert.certificate(), cert.key(), Clock.systemUTC()), false,
        Daemon.table(null, null, null, () -> new Daemon.Health(false, true, true, 0, 0),
            new Daemon.OwnerPlane(new OwnerGate(auth, clock, true),
                new OwnerApi(auth, g.ownerOperations(catalog, OwnerUsers.NONE), clock), pages, List.of())));
  }

  @AfterEach
  void stop() {
    daemon.close();
    g.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    var req = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + daemon.port() + path));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      req.header(headers[i], headers[i + 1]);
    }
    return HttpClient.newBuilder().sslContext(cert.trustingIt()).version(HttpClient.Version.HTTP_1_1).build()
        .send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void underTls_answersCarryHsts_andSessionCookiesAreSecure() throws Exception {
    OwnerAuth.Tokens t = auth.session(Role.VIEWER, false);
    var api = get("/v1/owner/status", "Authorization", "Bearer " + t.accessToken());
    clock.advance(OwnerAuth.ACCESS_TTL.plusSeconds(1));
    var rotated = get("/test/page", "Cookie", "gh_access=" + t.accessToken() + "; gh_refresh=" + t.refreshToken());
    var none = get("/test/page");

    assertThat(api.statusCode()).isEqualTo(200);
    for (var r : List.of(api, rotated, none)) {
      assertThat(r.headers().firstValue("Strict-Transport-Security")).as(r.uri().toString()).contains(Daemon.HSTS);
    }
    assertThat(rotated.statusCode()).isEqualTo(200);
    assertThat(rotated.headers().allValues("Set-Cookie")).hasSize(2)
        .allSatisfy(c -> assertThat(c).endsWith("; Secure").contains("HttpOnly").contains("SameSite=Strict"));
    assertThat(none.statusCode()).isEqualTo(303);
    assertThat(none.headers().allValues("Set-Cookie")).hasSize(2).allSatisfy(c -> assertThat(c).endsWith("; Secure"));
  }
}
