package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.ApprovalStatusEndpoint;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.testing.HttpSigLibrary;
import dev.gatehouse.testing.TestHome;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's approval flow as an agent and its owner live it: a real daemon and upstream on
 * loopback, an agent signing with an independent RFC 9421 library in a real {@code node}
 * process (src/test/js/signed-client.mjs), and the owner at the command line.
 */
class ApprovalConversationTest extends CliTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer upstream;
  private final AtomicInteger upstreamCalls = new AtomicInteger();
  private Gatehouse daemonHome;
  private Daemon daemon;
  private Process agent;
  private Writer toAgent;
  private BufferedReader fromAgent;

  @BeforeAll
  static void library() throws Exception {
    HttpSigLibrary.install();
  }

  @AfterEach
  void stop() throws Exception {
    if (agent != null) {
      agent.destroyForcibly().waitFor();
    }
    if (daemon != null) {
      daemon.close();
    }
    if (daemonHome != null) {
      daemonHome.close();
    }
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  private JsonNode send(ObjectNode request) throws Exception {
    request.put("created", clock.instant().getEpochSecond());
    toAgent.write(request + "\n");
    toAgent.flush();
    String line = fromAgent.readLine();
    assertThat(line).as("the agent's client answered").isNotNull();
    return JSON.readTree(line);
  }

  private JsonNode add(String approval) throws Exception {
    ObjectNode r = JSON.createObjectNode().put("method", "POST").put("path", "/v1/actions/qbit.add");
    r.putObject("body").put("urls", "magnet:?xt=urn:btih:dune");
    if (approval != null) {
      r.putObject("headers").put("gatehouse-approval", approval);
    }
    return send(r);
  }

  private JsonNode poll(String id) throws Exception {
    return send(JSON.createObjectNode().put("method", "GET").put("path", "/v1/approvals/" + id));
  }

  @Test
  void suggest_202_ownerApprovesAtTheCli_theRetryRunsOnce_aSecondIsRefused() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext("/", ex -> {
      upstreamCalls.incrementAndGet();
      byte[] ok = "Ok.".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, ok.length);
      ex.getResponseBody().write(ok);
      ex.close();
    });
    upstream.start();
    assertThat(run("init")).isZero();
    stdin = "qbit-pw-CANARY".getBytes(StandardCharsets.UTF_8);
    assertThat(run("vault", "add", "qbit.token")).isZero();
    stdin = new byte[0];
    Path services = home.resolve("services");
    Files.createDirectory(services, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path svc = services.resolve("qbit.yaml");
    Files.writeString(svc, "service: qbit\nbase_url: http://127.0.0.1:" + upstream.getAddress().getPort() + "\n"
        + "allow_private: [\"127.0.0.1/32\"]\nauth: { type: bearer, secret: qbit.token }\n"
        + "actions:\n  add: { method: POST, path: /api/v2/torrents/add, params: { urls: string }, body: form,"
        + " domain: files }\n");
    Files.setPosixFilePermissions(svc, PosixFilePermissions.fromString("rw-------"));
    Path keyFile = temp.resolve("agent.key");
    assertThat(run("agent", "add", "media-bot", "--allow", "qbit.*", "--key-file", keyFile.toString())).isZero();
    assertThat(run("trust", "set", "files", "suggest", "--reason", "ask me before a download")).as(err).isZero();

    daemonHome = TestHome.open(home, clock, "test-password");
    var catalog = new AtomicReference<Catalog>(daemonHome.loadCatalog());
    daemon = Daemon.start(InetAddress.getLoopbackAddress(), 0, 64 * 1024, Daemon.table(
        daemonHome.broker(catalog, new GuardedUpstream(new EgressGuard(HostResolver.system()))),
        new ApprovalStatusEndpoint(daemonHome.authenticator(), daemonHome.trustParts().approvals(), daemonHome.audit()),
        null, () -> new Daemon.Health(false, true, true, 1, 1)));
    ObjectNode key = (ObjectNode) JSON.readTree(keyFile.toFile());
    key.put("url", "http://127.0.0.1:" + daemon.port());
    Files.writeString(keyFile, key.toString());
    agent = new ProcessBuilder("node", HttpSigLibrary.script("signed-client.mjs").toString(),
        HttpSigLibrary.PREFIX.toString(), keyFile.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    toAgent = new OutputStreamWriter(agent.getOutputStream(), StandardCharsets.UTF_8);
    fromAgent = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));

    // The agent asks; the call waits for the owner, and nothing reaches qBittorrent.
    JsonNode pending = add(null);
    assertThat(pending.path("status").asInt()).as(pending.toString()).isEqualTo(202);
    String id = pending.path("body").path("approval").asText();
    assertThat(poll(id).path("body").path("status").asText()).isEqualTo("pending");
    assertThat(upstreamCalls).hasValue(0);

    // The owner looks and approves at the command line.
    assertThat(run("approvals", "list")).isZero();
    assertThat(out).contains(id).contains("qbit.add").contains("magnet:");
    assertThat(run("approvals", "approve", id)).as(err).isZero();
    assertThat(poll(id).path("body").path("status").asText()).isEqualTo("approved");

    // The retry, its Gatehouse-Approval header covered by the signature: it runs, once.
    JsonNode ran = add(id);
    assertThat(ran.path("status").asInt()).as(ran.toString()).isEqualTo(200);
    assertThat(ran.path("body").asText()).isEqualTo("Ok.");
    assertThat(upstreamCalls).hasValue(1);
    JsonNode again = add(id);
    assertThat(again.path("status").asInt()).isEqualTo(403);
    assertThat(again.path("body").path("type").asText()).endsWith("/approval-refused");
    assertThat(again.path("body").path("detail").asText()).contains("used");
    assertThat(upstreamCalls).hasValue(1);
    assertThat(poll(id).path("body").path("status").asText()).isEqualTo("used");

    daemon.close();
    daemon = null;
    daemonHome.close();
    daemonHome = null;
    assertThat(run("audit", "verify")).as(out + err).isZero();
  }
}
