package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.broker.ApprovalStatusEndpoint;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.identity.MessageSignatures;
import dev.gatehouse.testing.AgentCalls;
import dev.gatehouse.testing.TestCertificates;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The daemon over real HTTPS on loopback (DESIGN §2.1): TLS 1.3 is served, every older
 * version is refused in the handshake, and an agent's signed call works over TLS with the
 * same RFC 9421 signature, its replay refused as over plain HTTP.
 */
class DaemonTlsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path certs;
  static TestCertificates.Made cert;

  @TempDir
  Path tmp;
  DaemonHarness h;
  Daemon daemon;

  @BeforeAll
  static void makeCertificate() throws Exception {
    cert = TestCertificates.make(certs, "daemon", "EC", 2);
  }

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness(tmp, r -> Upstreams.Reply.json("{\"found\":\"" + r.rawQuery() + "\"}"));
    h.vaultAdd("svc.apikey", "sk-tls-test-key");
    h.writeService("svc", "service: svc\nbase_url: " + h.upstream.url() + "\nallow_private: [\"127.0.0.1/32\"]\n"
        + "auth: { type: header, name: X-Api-Key, secret: svc.apikey }\n"
        + "actions:\n  search: { method: GET, path: /api/search, query: { term: \"{q}\" } }\n");
    h.start("svc.*");
    Broker broker = h.g.broker(h.catalog(), new GuardedUpstream(new EgressGuard(HostResolver.system())));
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024,
        ServerTls.load(cert.certificate(), cert.key(), Clock.systemUTC()), false,
        Daemon.table(broker, new ApprovalStatusEndpoint(h.g.authenticator(), h.g.trustParts().approvals(), h.g.audit()),
            null, () -> new Daemon.Health(false, true, true, 1, 1)));
  }

  @AfterEach
  void tearDown() {
    if (daemon != null) {
      daemon.close();
    }
    h.close();
  }

  @Test
  void aTls13Client_completesTheHandshake_andIsServed() throws Exception {
    try (SSLSocket socket = clientSocket("TLSv1.3")) {
      socket.startHandshake();

      assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }
    HttpResponse<String> health = client().send(HttpRequest.newBuilder(uri("/v1/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(health.body()).path("status").asText()).isEqualTo("ok");
    assertThat(daemon.tls()).isTrue();
  }

  @Test
  void aClientOfferingOnlyTls12_isRefusedInTheHandshake() throws Exception {
    try (SSLSocket socket = clientSocket("TLSv1.2")) {
      Throwable e = catchThrowable(socket::startHandshake);

      assertThat(e).isInstanceOf(SSLHandshakeException.class);
      assertThat(e.getMessage()).as("the server's alert, not a client-side refusal").contains("protocol_version");
    }
  }

  /**
   * A ClientHello of TLS 1.0, 1.1 or 1.2 written byte by byte (the JDK client will not offer
   * 1.0 or 1.1 at all), so the answer is the server's own: a fatal alert, never a ServerHello.
   */
  @ParameterizedTest
  @ValueSource(ints = {0x0301, 0x0302, 0x0303})
  void aLegacyClientHello_isAnsweredWithAFatalAlert(int version) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), daemon.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(clientHello(version));
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());

      int contentType = in.readUnsignedByte();
      in.readUnsignedShort(); // record version
      int length = in.readUnsignedShort();
      int level = in.readUnsignedByte();

      assertThat(contentType).as("an alert record (21), not a handshake (22)").isEqualTo(21);
      assertThat(length).isEqualTo(2);
      assertThat(level).as("fatal").isEqualTo(2);
    }
  }

  @Test
  void beyondLoopback_withTlsAndAnOwnerAccount_starts_andServesTls13() throws Exception {
    try (Daemon wide = Daemon.start(InetAddress.getByName("0.0.0.0"), 0, 64 * 1024,
        ServerTls.load(cert.certificate(), cert.key(), Clock.systemUTC()), true,
        Daemon.table(h.g.broker(h.catalog(), new GuardedUpstream(new EgressGuard(HostResolver.system()))), null, null,
            () -> new Daemon.Health(false, true, true, 1, 1)))) {
      HttpResponse<String> health = client().send(HttpRequest.newBuilder(
          URI.create("https://127.0.0.1:" + wide.port() + "/v1/health")).build(), HttpResponse.BodyHandlers.ofString());

      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(wide.tls()).isTrue();
    }
  }

  @Test
  void plainHttp_toTheTlsPort_isNotServed() throws Exception {
    Throwable e = catchThrowable(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + daemon.port() + "/v1/health")).build(), HttpResponse.BodyHandlers.ofString()));

    assertThat(e).isInstanceOf(IOException.class);
  }

  @Test
  void aSignedAgentCall_overTls_isAnswered_andItsReplayIsRefused() throws Exception {
    URI uri = uri("/v1/actions/svc.search");
    byte[] body = "{\"q\":\"dune\"}".getBytes(StandardCharsets.UTF_8);
    Map<String, String> signed = MessageSignatures.sign("POST", uri, body, h.agent().keyId(), h.agent().key(),
        h.clock.instant().getEpochSecond(), AgentCalls.nonce());
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json");
    signed.forEach(request::header);

    HttpResponse<String> first = client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> replay = client().send(request.build(), HttpResponse.BodyHandlers.ofString());

    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(first.body()).contains("term=dune");
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(replay.body()).path("type").asText()).endsWith("/replayed-nonce");
    assertThat(h.upstream.received).hasSize(1);
  }

  @Test
  void aCallSignedForAnotherAuthority_isRefusedOverTls() throws Exception {
    URI sent = uri("/v1/actions/svc.search");
    URI signedFor = URI.create("https://localhost:" + daemon.port() + "/v1/actions/svc.search");
    byte[] body = "{\"q\":\"dune\"}".getBytes(StandardCharsets.UTF_8);
    Map<String, String> signed = MessageSignatures.sign("POST", signedFor, body, h.agent().keyId(), h.agent().key(),
        h.clock.instant().getEpochSecond(), AgentCalls.nonce());
    HttpRequest.Builder request = HttpRequest.newBuilder(sent).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    signed.forEach(request::header);

    HttpResponse<String> r = client().send(request.build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as("@authority is covered behind TLS too").isEqualTo(401);
    assertThat(h.upstream.received).isEmpty();
  }

  private URI uri(String path) {
    return URI.create("https://127.0.0.1:" + daemon.port() + path);
  }

  private HttpClient client() throws Exception {
    return HttpClient.newBuilder().sslContext(cert.trustingIt()).version(HttpClient.Version.HTTP_1_1).build();
  }

  private SSLSocket clientSocket(String protocol) throws Exception {
    SSLContext ssl = cert.trustingIt();
    SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), daemon.port());
    SSLParameters params = socket.getSSLParameters();
    params.setProtocols(new String[] {protocol});
    socket.setSSLParameters(params);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** A minimal ClientHello record of {@code version}, offering ECDHE and RSA suites, without supported_versions. */
  private static byte[] clientHello(int version) {
    int[] suites = {0xc02b, 0xc02f, 0xc009, 0xc013, 0x002f, 0x0035};
    ByteBuffer hello = ByteBuffer.allocate(512);
    hello.putShort((short) version);
    hello.put(new byte[32]); // random
    hello.put((byte) 0); // no session id
    hello.putShort((short) (suites.length * 2));
    for (int s : suites) {
      hello.putShort((short) s);
    }
    hello.put((byte) 1).put((byte) 0); // compression: null
    byte[] ecExtensions = {0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00}; // ec_point_formats: uncompressed
    hello.putShort((short) ecExtensions.length).put(ecExtensions);
    int bodyLength = hello.position();
    ByteBuffer record = ByteBuffer.allocate(9 + bodyLength);
    record.put((byte) 22).putShort((short) 0x0301).putShort((short) (4 + bodyLength));
    record.put((byte) 1).put((byte) (bodyLength >> 16)).putShort((short) bodyLength);
    record.put(hello.array(), 0, bodyLength);
    return record.array();
  }
}
