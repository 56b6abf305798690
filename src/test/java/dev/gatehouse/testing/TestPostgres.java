package dev.gatehouse.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: Debian's server binaries (the {@code postgresql}
 * package, installed by {@link DebianPackages} when missing), {@code initdb} into a temporary
 * directory and {@code pg_ctl start} on a free loopback port, TCP only, password (SCRAM)
 * authentication. As root, the server runs as the {@code postgres} user, which PostgreSQL
 * insists on. One cluster per test JVM ({@link #shared}), stopped and deleted when the JVM
 * exits; each test class takes a fresh database of its own ({@link #newDatabase}).
 *
 * <p>{@code fsync=off}: a test's "crash" is {@link #stopImmediately}, which kills the server
 * processes but not the machine, so nothing committed is lost from the page cache.
 */
public final class TestPostgres {
  /** The role tests connect as: no superuser, like a production deployment's. */
  public static final String USER = "gatehouse";
  private static final String ADMIN = "gh_admin";
  private static final Duration LIMIT = Duration.ofMinutes(2);
  private static TestPostgres shared; // guarded by TestPostgres.class

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final String adminPassword;
  private final String password;
  private final boolean asPostgres;
  private final AtomicInteger databases = new AtomicInteger();
  private int port;
  private Path serverCertificate;

  /** A database of its own, owned by {@link #USER}. */
  public record Database(String name, int port, String user, String password) {
    public String jdbcUrl() {
      return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
    }

    public Properties properties() {
      Properties p = new Properties();
      p.setProperty("user", user);
      p.setProperty("password", password);
      p.setProperty("sslmode", "disable");
      return p;
    }

    /** Connects as {@link #properties} says, always with this record's password. */
    public dev.gatehouse.store.PgConnector connector() {
      return dev.gatehouse.store.PgConnector.fixed(jdbcUrl(), properties());
    }

    public Connection connect() throws SQLException {
      return DriverManager.getConnection(jdbcUrl(), properties());
    }
  }

  private TestPostgres(Path bin, Path dir, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.asPostgres = asPostgres;
    this.adminPassword = randomHex();
    this.password = randomHex();
  }

  /** The cluster of this JVM, started on first use. */
  public static synchronized TestPostgres shared() throws Exception {
    if (shared == null) {
      DebianPackages.require("PostgreSQL's server (initdb)", () -> serverBin().isPresent(), "postgresql");
      TestPostgres pg = new TestPostgres(serverBin().orElseThrow(), Files.createTempDirectory("gatehouse-pg-"),
          DebianPackages.isRoot());
      Runtime.getRuntime().addShutdownHook(new Thread(pg::destroy, "test-postgres-stop"));
      pg.init();
      pg.startOnFreePort();
      pg.admin("CREATE ROLE " + USER + " LOGIN PASSWORD '" + pg.password + "'");
      shared = pg;
    }
    return shared;
  }

  /** A new, empty database owned by {@link #USER}. */
  public Database newDatabase() throws SQLException {
    String name = "t" + databases.incrementAndGet();
    admin("CREATE DATABASE " + name + " OWNER " + USER);
    return new Database(name, port, USER, password);
  }

  /**
   * A new, empty database owned by a role of its own, whose password a test may change
   * ({@link #changePassword}) without touching the other tests' role.
   */
  public Database newDatabaseWithOwnRole() throws SQLException {
    int n = databases.incrementAndGet();
    String role = "r" + n;
    String pw = randomHex();
    admin("CREATE ROLE " + role + " LOGIN PASSWORD '" + pw + "'");
    admin("CREATE DATABASE t" + n + " OWNER " + role);
    return new Database("t" + n, port, role, pw);
  }

  /** {@code ALTER ROLE ... PASSWORD}, as a database's administrator changes it; {@code d} with the new one. */
  public Database changePassword(Database d, String newPassword) throws SQLException {
    if (d.user().equals(USER) || newPassword.contains("'")) {
      throw new IllegalArgumentException("only a role of its own (newDatabaseWithOwnRole), to a password without quotes");
    }
    admin("ALTER ROLE " + d.user() + " PASSWORD '" + newPassword + "'");
    return new Database(d.name(), d.port(), d.user(), newPassword);
  }

  public int port() {
    return port;
  }

  /** {@code pg_ctl stop -m immediate}: every server process killed at once, as in a crash. */
  public void stopImmediately() throws Exception {
    pgCtl("stop", "-m", "immediate");
  }

  /** Starts the cluster again on the same port (after {@link #stopImmediately}). */
  public void start() throws Exception {
    pgCtl("start", "-w", "-t", "60", "-l", dir.resolve("server.log").toString(), "-o", serverOptions(port));
  }

  private void init() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    Path pwfile = dir.resolve("pw");
    Files.writeString(pwfile, adminPassword + "\n", StandardCharsets.US_ASCII);
    if (asPostgres) {
      UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
      Files.setOwner(pwfile, users.lookupPrincipalByName("postgres"));
    }
    try {
      run(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", ADMIN, "--pwfile=" + pwfile,
          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
    } finally {
      Files.deleteIfExists(pwfile);
    }
    // TLS offered beside plain connections: a self-signed certificate for 127.0.0.1 and localhost.
    Path certs = Files.createDirectories(dir.resolve("certs"));
    TestCertificates.Made made = TestCertificates.make(certs, "server", "EC", 30);
    serverCertificate = made.certificate();
    Files.copy(made.certificate(), data.resolve("server.crt"));
    Files.copy(made.key(), data.resolve("server.key"));
    Files.setPosixFilePermissions(data.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
    if (asPostgres) {
      UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(data.resolve("server.crt"), users.lookupPrincipalByName("postgres"));
      Files.setOwner(data.resolve("server.key"), users.lookupPrincipalByName("postgres"));
    }
  }

  /** The server's certificate (self-signed, for 127.0.0.1 and localhost): the root a TLS client trusts. */
  public Path serverCertificate() {
    return serverCertificate;
  }

  private void startOnFreePort() throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      try {
        start();
        return;
      } catch (Exception e) {
        last = e; // most likely the port was taken meanwhile
      }
    }
    throw new IllegalStateException("PostgreSQL did not start; its log: " + logTail(), last);
  }

  private static String serverOptions(int port) {
    return "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
        + " -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB -c ssl=on";
  }

  private void pgCtl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString()));
    cmd.addAll(List.of(args));
    run(cmd.toArray(String[]::new));
  }

  private void admin(String sql) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", ADMIN);
    p.setProperty("password", adminPassword);
    p.setProperty("sslmode", "disable");
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private void run(String... command) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("LC_ALL", "C");
    Processes.Output r = Processes.finish(pb.start(), LIMIT, String.join(" ", cmd));
    if (r.exit() != 0) {
      throw new IOException(String.join(" ", command) + " failed (exit " + r.exit() + "): " + (r.out() + r.err()).strip()
          + "\nserver log: " + logTail());
    }
  }

  private String logTail() {
    try {
      String log = Files.readString(dir.resolve("server.log"));
      return log.substring(Math.max(0, log.length() - 2000));
    } catch (IOException e) {
      return "(no server log)";
    }
  }

  private void destroy() {
    try {
      pgCtl("stop", "-m", "immediate");
    } catch (Exception e) {
      // not running
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  /** The newest {@code /usr/lib/postgresql/VERSION/bin} with the server's programs. */
  private static Optional<Path> serverBin() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))
          && Files.isExecutable(b.resolve("pg_ctl")) && Files.isExecutable(b.resolve("postgres")))
          .max(Comparator.comparingInt(b -> versionOf(b.getParent())));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int versionOf(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String randomHex() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
