package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.ApprovalStatusEndpoint;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.chat.ChatGate;
import dev.gatehouse.notify.LockoutWatcher;
import dev.gatehouse.notify.NotificationService;
import dev.gatehouse.chat.GateEndpoint;
import java.util.Optional;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.HostResolver;
import dev.gatehouse.http.Daemon;
import dev.gatehouse.http.GuardedUpstream;
import dev.gatehouse.http.ListenRule;
import dev.gatehouse.http.ServerTls;
import dev.gatehouse.owner.OwnerApi;
import dev.gatehouse.owner.OwnerGate;
import dev.gatehouse.owner.OwnerOperations;
import dev.gatehouse.owner.OwnerUsers;
import java.util.List;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.vault.Credential;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the daemon until SIGTERM or Ctrl-C; SIGHUP reloads the catalog. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the broker daemon on 127.0.0.1:19999 (server.port in gatehouse.yaml, or --port); HTTPS with "
        + "TLS 1.3 when server.tls is set, which an address other than loopback needs, with an owner account (docs/tls.md).",
        "Unseals the vault at start (--password-stdin, --password-file, sealed mode, or a prompt), loads "
            + "services/*.yaml, prints where it listens. SIGHUP or `gatehouse reload` re-reads the catalog (a bad "
            + "catalog keeps the running one); SIGTERM or Ctrl-C drains calls in flight and writes a final checkpoint."})
final class ServeCommand extends HomeCommand {
  private static final Logger LOG = LoggerFactory.getLogger("gatehouse.daemon");

  @Option(names = "--port", paramLabel = "N", description = "Listen on this port (0: any free port).")
  Integer port;

  @Option(names = "--password-stdin", description = "Read the master password from standard input.")
  boolean passwordStdin;

  @Override
  Integer execute() throws Exception {
    Gatehouse g;
    if (passwordStdin) {
      g = open();
      try (Credential c = new Credential.Password(Secrets.readStdinChars(env().stdin(), "the master password"))) {
        g.unseal(c, env().actor());
      }
    } else {
      g = openUnsealed();
    }
    Gatehouse home = g;
    var server = home.config().server();
    InetAddress bind = InetAddress.getByName(server.bind());
    ServerTls tls = server.tls().map(t -> ServerTls.load(home.home().dir().resolve(t.certificate()),
        home.home().dir().resolve(t.key()), env().clock())).orElse(null);
    boolean ownerAccount = g.ownerAccounts().hasOwner();
    ListenRule.check(bind, tls != null, ownerAccount); // before anything starts: a refused address starts nothing
    AtomicReference<Catalog> catalog = new AtomicReference<>(g.loadCatalog());
    // A home made before trust levels keeps working: its catalog's domains start at full trust (audited).
    g.trust().adoptLegacy(catalog.get().domains(), env().actor());
    GuardedUpstream upstream = new GuardedUpstream(new EgressGuard(HostResolver.system()));
    NotificationService notifications = g.startNotifications(upstream::post); // a bad notify: item stops here
    g.notifyThrough(notifications);
    dev.gatehouse.metrics.MicrometerMetrics metrics = g.startMetrics(catalog); // /metrics, docs/metrics.md
    LockoutWatcher lockouts = new LockoutWatcher(g.totp()::status, notifications, env().clock(), g.metrics())
        .start(java.time.Duration.ofSeconds(10)); // lockouts started by any process, chat or CLI
    Runnable stopTelling = () -> { // after the producers, before the home: failures are still audited
      lockouts.close();
      notifications.close();
    };
    Broker broker = g.broker(catalog, upstream);
    ChatGate gate = g.chatGate();
    var accounts = g.ownerAccounts();
    OwnerOperations ownerOps = g.ownerOperations(catalog, OwnerUsers.of(accounts));
    ownerOps.verifyAudit(); // the overview shows whether the log was intact at start
    OwnerGate ownerGate = new OwnerGate(accounts, env().clock(), tls != null); // Secure cookies and HSTS under TLS
    var dashboard = dev.gatehouse.dashboard.Dashboard.over(ownerOps, ownerGate, env().clock());
    Daemon daemon;
    try {
      daemon = Daemon.start(bind, port != null ? port : server.port(), server.maxBodyBytes(), tls, ownerAccount,
          Daemon.table(broker, new ApprovalStatusEndpoint(g.authenticator(), g.trustParts().approvals(), g.audit()),
          new GateEndpoint(g.authenticator(), gate, g.audit()),
          () -> new Daemon.Health(home.vault().sealed(), Daemon.writable(home.home().file(Gatehouse.AUDIT_DIR)),
              catalog.get() != null, catalog.get().services().size(), catalog.get().actionCount()),
          new Daemon.OwnerPlane(ownerGate, new OwnerApi(accounts, ownerOps, env().clock()), dashboard.pages(),
              dashboard.open()),
          metrics::scrape));
    } catch (BadInputException e) {
      stopTelling.run();
      throw e;
    } catch (RuntimeException e) {
      stopTelling.run();
      throw new BadInputException("cannot listen on " + server.bind() + ":" + (port != null ? port : server.port())
          + " (" + rootMessage(e) + ")");
    }
    Optional<Gatehouse.Polling> bridge;
    try {
      bridge = g.startTelegramBridge(gate);
    } catch (IOException | RuntimeException e) {
      daemon.close();
      stopTelling.run();
      throw e;
    }
    Path pidFile = home.home().file(Gatehouse.PID_FILE);
    AtomicFiles.write(pidFile, (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bridge.ifPresent(Gatehouse.Polling::close); // before the home: a decision in flight still records
      daemon.close();
      stopTelling.run();
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException ignored) {
        // a stale pid file only makes `reload` say the daemon is gone
      }
      home.close();
      stopped.countDown();
    }, "gatehouse-shutdown"));
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> reload(home, catalog));
    } catch (IllegalArgumentException unsupported) {
      LOG.warn("SIGHUP cannot be handled on this platform; restart to reload the catalog");
    }
    String expiring = tls == null ? null : tls.expiryWarning(env().clock().instant());
    if (expiring != null) {
      err().println("gatehouse: warning: " + expiring);
    }
    out().println("gatehouse: listening on " + (daemon.tls() ? "https://" : "http://") + server.bind() + ":"
        + daemon.port() + " ("
        + catalog.get().services().size() + " services, " + catalog.get().actionCount() + " actions); Ctrl-C stops");
    bridge.ifPresent(b -> out().println("gatehouse: the Telegram bridge is polling as channel "
        + home.config().chat().telegram().orElseThrow().channel()
        + (home.config().storage().backend() == dev.gatehouse.config.Config.Storage.Backend.POSTGRES
            ? " whenever this replica holds the chat lock (docs/storage.md)" : "")));
    out().flush();
    stopped.await();
    return ExitCodes.OK;
  }

  private static void reload(Gatehouse g, AtomicReference<Catalog> catalog) {
    try {
      Catalog next = g.loadCatalog();
      catalog.set(next);
      LOG.info("reload accepted: {} services, {} actions", next.services().size(), next.actionCount());
    } catch (ConfigException e) {
      LOG.warn("reload refused, the running catalog stays: {}", e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.warn("reload failed, the running catalog stays: {}", rootMessage(e));
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
