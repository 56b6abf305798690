package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.config.Config.Storage;
import dev.gatehouse.config.Config.Storage.Backend;
import dev.gatehouse.config.Config.Storage.Postgres;
import dev.gatehouse.config.Config.Storage.TlsMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StorageConfigTest {
  private static final String REMOTE = """
      storage:
        backend: postgres
        url: %s
        user: gatehouse
        password_secret: postgres.password
      """;

  private static Postgres postgres(String yaml) {
    Storage storage = Config.parse("g.yaml", yaml).storage();
    assertThat(storage.backend()).isEqualTo(Backend.POSTGRES);
    return storage.postgres().orElseThrow();
  }

  private static Postgres withUrl(String url) {
    return postgres(REMOTE.formatted(url));
  }

  @Test
  void noStorageSection_isTheEmbeddedBackend() {
    assertThat(Config.DEFAULT.storage()).isEqualTo(Storage.DEFAULT);
    assertThat(Storage.DEFAULT.backend()).isEqualTo(Backend.EMBEDDED);
    assertThat(Storage.DEFAULT.postgres()).isEmpty();
    assertThat(Config.parse("g.yaml", "").storage()).isEqualTo(Storage.DEFAULT);
    assertThat(Config.parse("g.yaml", "storage:\n").storage()).isEqualTo(Storage.DEFAULT);
    assertThat(Config.parse("g.yaml", "storage: { backend: embedded }").storage()).isEqualTo(Storage.DEFAULT);
  }

  @Test
  void theDefaultFilesStorageExample_uncommented_isValid() {
    String text = new String(Config.defaultFileContent(), StandardCharsets.UTF_8);
    String part = text.substring(text.indexOf("# storage:"));
    String example = part.substring(0, part.indexOf("\n\n")).lines().map(l -> l.replaceFirst("^# ?", ""))
        .collect(java.util.stream.Collectors.joining("\n"));

    Postgres p = postgres(example);

    assertThat(p).isEqualTo(new Postgres("db.example.net", 5432, "gatehouse", "gatehouse", "postgres.password",
        TlsMode.VERIFY_FULL, Optional.of(Path.of("/etc/gatehouse/db-ca.pem"))));
  }

  @Test
  void valuesAreRead() {
    Postgres p = postgres("""
        storage:
          backend: postgres
          url: postgresql://db.example.net:6543/gh_main-1.x   # a comment
          user: gh.Service_1
          password_secret: postgres.password
          tls: { mode: verify-ca, root_cert: /etc/gatehouse/../gatehouse/db-ca.pem }
        """);
    assertThat(p.host()).isEqualTo("db.example.net");
    assertThat(p.port()).isEqualTo(6543);
    assertThat(p.database()).isEqualTo("gh_main-1.x");
    assertThat(p.user()).isEqualTo("gh.Service_1");
    assertThat(p.passwordSecret()).isEqualTo("postgres.password");
    assertThat(p.tls()).isEqualTo(TlsMode.VERIFY_CA);
    assertThat(p.rootCert()).contains(Path.of("/etc/gatehouse/db-ca.pem"));
  }

  @Test
  void jdbcUrl_isAcceptedToo_andThePortDefaultsTo5432() {
    assertThat(withUrl("jdbc:postgresql://db.example.net/gatehouse"))
        .isEqualTo(withUrl("postgresql://db.example.net:5432/gatehouse"));
    assertThat(withUrl("postgresql://db.example.net/gatehouse").port()).isEqualTo(5432);
  }

  @Test
  void ipv6Host_inBrackets_isRead() {
    Postgres p = withUrl("'postgresql://[2001:db8::7]:5433/gatehouse'");
    assertThat(p.host()).isEqualTo("2001:db8::7");
    assertThat(p.port()).isEqualTo(5433);
    assertThat(p.tls()).isEqualTo(TlsMode.VERIFY_FULL);
    assertThat(p.jdbcUrl()).isEqualTo("jdbc:postgresql://[2001:db8::7]:5433/gatehouse");
  }

  @ParameterizedTest
  @CsvSource({
      "postgresql://localhost/gatehouse, DISABLE",
      "postgresql://LocalHost:5432/gatehouse, DISABLE",
      "postgresql://127.0.0.1:5432/gatehouse, DISABLE",
      "postgresql://127.42.0.9/gatehouse, DISABLE",
      "'postgresql://[::1]:5432/gatehouse', DISABLE",
      "'postgresql://[0:0:0:0:0:0:0:1]/gatehouse', DISABLE",
      "postgresql://db.example.net/gatehouse, VERIFY_FULL",
      "postgresql://10.0.0.5/gatehouse, VERIFY_FULL",
      "postgresql://128.0.0.1/gatehouse, VERIFY_FULL",
      "postgresql://127.0.0.01/gatehouse, VERIFY_FULL",
      "postgresql://localhost.example.net/gatehouse, VERIFY_FULL",
      "'postgresql://[::2]/gatehouse', VERIFY_FULL"})
  void tlsMode_defaultsToVerifyFull_butToDisableOnLoopback(String url, TlsMode expected) {
    assertThat(withUrl(url).tls()).isEqualTo(expected);
  }

  @Test
  void tlsMode_givenOnLoopback_isKept() {
    Postgres p = postgres(REMOTE.formatted("postgresql://127.0.0.1/gatehouse")
        + "  tls: { mode: verify-full, root_cert: /etc/db-ca.pem }\n");
    assertThat(p.tls()).isEqualTo(TlsMode.VERIFY_FULL);
    assertThat(postgres(REMOTE.formatted("postgresql://db.example.net/gh") + "  tls: { mode: require }\n").tls())
        .isEqualTo(TlsMode.REQUIRE);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "storage: postgres|g.yaml:1: storage must be a mapping",
      "storage: { backend: mysql }|g.yaml:1: storage.backend must be embedded or postgres",
      "storage: { colour: red }|g.yaml:1: unknown key 'storage.colour'",
      "storage: { url: 'postgresql://h/d' }|g.yaml:1: storage.url is only with backend: postgres",
      "storage: { backend: embedded, user: u }|g.yaml:1: storage.user is only with backend: postgres",
      "storage: { password_secret: db.pw }|g.yaml:1: storage.password_secret is only with backend: postgres",
      "storage: { tls: { mode: require } }|g.yaml:1: storage.tls is only with backend: postgres",
      "storage: { backend: postgres, password: x }|g.yaml:1: storage.password is not a key: put the password in the vault",
      "storage: { backend: postgres, user: u, password_secret: p }|g.yaml:1: storage.url is required with backend: postgres",
      "storage: { backend: postgres, url: 'postgresql://h/d', password_secret: p }|g.yaml:1: storage.user is required",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u }|g.yaml:1: storage.password_secret is required",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: 'a b', password_secret: p }|storage.user must be the database user's name",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: 'Hunter2!' }|storage.password_secret must be the name of the vault entry",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: gatehouse.db }|g.yaml:1: storage.password_secret names 'gatehouse.db', but names starting with 'gatehouse.' are Gatehouse's own vault entries (`gatehouse vault add` refuses them)",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: gatehouse.audit.signing-key }|storage.password_secret names 'gatehouse.audit.signing-key', but names starting with 'gatehouse.' are Gatehouse's own",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: p, tls: { mode: prefer } }|storage.tls.mode must be disable, require, verify-ca or verify-full",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: p, tls: { root_cert: ca.pem } }|storage.tls.root_cert must be the absolute path",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: p, tls: { mode: require, root_cert: /ca.pem } }|storage.tls.root_cert is only used with mode: verify-ca or verify-full (the mode here is require)",
      "storage: { backend: postgres, url: 'postgresql://localhost/d', user: u, password_secret: p, tls: { root_cert: /ca.pem } }|storage.tls.root_cert is only used with mode: verify-ca or verify-full (the mode here is disable, the default for this url's host)",
      "storage: { backend: postgres, url: 'postgresql://h/d', user: u, password_secret: p, tls: { sslmode: require } }|unknown key 'storage.tls.sslmode'"})
  void badStorageValues_areRefused_namingTheKey(String yaml, String message) {
    assertThatThrownBy(() -> Config.parse("g.yaml", yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "mysql://db/gatehouse|must be postgresql://HOST[:PORT]/DATABASE",
      "postgres://db/gatehouse|must be postgresql://HOST[:PORT]/DATABASE",
      "PostgreSQL://db/gatehouse|must be postgresql://HOST[:PORT]/DATABASE",
      "jdbc:postgresql:gatehouse|must be postgresql://HOST[:PORT]/DATABASE",
      "postgresql:///gatehouse|must name the database server's host",
      "postgresql://:5432/gatehouse|must name the database server's host",
      "postgresql://db_1.example/gatehouse|must name one host",
      "'postgresql://a:5432,b:5432/gatehouse'|must name one host",
      "'postgresql://[::1/gatehouse'|an IPv6 address in brackets",
      "'postgresql://[db.example]/gatehouse'|an IPv6 address in brackets",
      "'postgresql://[::1]x/gatehouse'|an IPv6 address in brackets",
      "'postgresql://[1:2:3:4:5:6:7:8:9]/gatehouse'|an IPv6 address in brackets",
      "postgresql://db:0/gatehouse|must have a port from 1 to 65535",
      "postgresql://db:65536/gatehouse|must have a port from 1 to 65535",
      "postgresql://db:/gatehouse|must have a port from 1 to 65535",
      "postgresql://db:54x/gatehouse|must have a port from 1 to 65535",
      "postgresql://db|must name the database after the host",
      "postgresql://db:5432/|must name the database after the host",
      "postgresql://db/gate%20house|must end in the database's name",
      "postgresql://db/a/b|must end in the database's name",
      "postgresql://db/0123456789012345678901234567890123456789012345678901234567890123|must end in the database's name",
      "postgresql://gatehouse:hunter2@db/gatehouse|must not hold a user or password (USER:PASSWORD@): give the user in user, put the password in the vault and name it in password_secret",
      "postgresql://gatehouse@db/gatehouse|must not hold a user or password",
      "postgresql://db/gatehouse?password=hunter2|must not have a query (?...): pgjdbc would take settings from it over these keys; give the user in user, the password's vault entry in password_secret, sslmode in tls.mode and sslrootcert in tls.root_cert",
      "postgresql://db/gatehouse?sslmode=disable|must not have a query",
      "postgresql://db?sslmode=disable|must not have a query",
      "postgresql://db/gatehouse?|must not have a query",
      "postgresql://db/gatehouse#hunter2|must not have a fragment"})
  void badUrls_areRefused_sayingWhatToDo_withoutRepeatingTheUrl(String url, String message) {
    assertThatThrownBy(() -> withUrl(url)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("g.yaml:3: storage.url ").hasMessageContaining(message)
        .hasMessageNotContaining("hunter2").hasMessageNotContaining(url.replace("'", ""));
  }

  @Test
  void jdbcUrl_holdsHostPortAndDatabaseOnly() {
    assertThat(withUrl("postgresql://db.example.net/gatehouse").jdbcUrl())
        .isEqualTo("jdbc:postgresql://db.example.net:5432/gatehouse");
    assertThat(withUrl("jdbc:postgresql://127.0.0.1:6000/gh").jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:6000/gh");
  }

  @Test
  void connectionProperties_carryEverySetting_forPgjdbc() {
    Postgres p = postgres(REMOTE.formatted("postgresql://db.example.net/gatehouse")
        + "  tls: { root_cert: /etc/gatehouse/db-ca.pem }\n");

    Properties props = p.connectionProperties("s3cret pw".toCharArray());

    assertThat(Map.copyOf(props)).isEqualTo(Map.of("user", "gatehouse", "password", "s3cret pw",
        "sslmode", "verify-full", "sslrootcert", "/etc/gatehouse/db-ca.pem", "ApplicationName", "gatehouse",
        "connectTimeout", "5", "socketTimeout", "30", "tcpKeepAlive", "true"));
  }

  @Test
  void connectionProperties_withoutRootCert_leaveSslrootcertAndSslfactoryToPgjdbc() {
    Properties props = withUrl("postgresql://localhost/gatehouse").connectionProperties(new char[0]);
    assertThat(props.getProperty("sslmode")).isEqualTo("disable");
    assertThat(props).doesNotContainKeys("sslrootcert", "sslfactory");
    assertThat(props.getProperty("password")).isEmpty();
  }

  @Test
  void connectionProperties_printed_hideThePassword() {
    Postgres p = withUrl("postgresql://db.example.net/gatehouse");
    Properties props = p.connectionProperties("s3cret-pw".toCharArray());
    assertThat(props.toString()).doesNotContain("s3cret-pw").contains("password=(redacted)", "user=gatehouse");
    assertThat(p.toString()).doesNotContain("s3cret-pw");
  }

  @Test
  void records_refuseValuesTheFileWouldRefuse() {
    assertThatThrownBy(() -> new Storage(Backend.POSTGRES, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    Postgres ok = withUrl("postgresql://db.example.net/gatehouse");
    assertThatThrownBy(() -> new Storage(Backend.EMBEDDED, Optional.of(ok))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Postgres("db", 0, "gh", "u", "p", TlsMode.DISABLE, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Postgres("db", 5432, "gh", "u", "Not A Name", TlsMode.DISABLE, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Postgres("db", 5432, "gh", "u", "p", TlsMode.REQUIRE, Optional.of(Path.of("/ca.pem"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Postgres("db", 5432, "gh", "u", "p", TlsMode.VERIFY_FULL, Optional.of(Path.of("ca.pem"))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBadStorageSection_leavesTheFileAsItWas(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    String text = REMOTE.formatted("postgresql://gatehouse:hunter2@db.example.net/gatehouse");
    Files.writeString(file, text);

    assertThatThrownBy(() -> Config.load(file)).isInstanceOf(ConfigException.class)
        .hasMessage(file + ":3: storage.url must not hold a user or password (USER:PASSWORD@): give the user in user,"
            + " put the password in the vault and name it in password_secret");
    assertThat(Files.readString(file)).isEqualTo(text);
  }

  @Property(tries = 300)
  void anyUrlWithUserInfoOrAQuery_isRefused_andNotRepeated(@ForAll("urlsWithExtras") String url) {
    assertThatThrownBy(() -> withUrl("\"" + url + "\"")).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("g.yaml:3: storage.url must not ").hasMessageNotContaining("Zq9secret");
  }

  @Provide
  Arbitrary<String> urlsWithExtras() {
    Arbitrary<String> scheme = Arbitraries.of("postgresql://", "jdbc:postgresql://");
    Arbitrary<String> host = Arbitraries.of("db.example.net", "localhost", "127.0.0.1", "[::1]", "[2001:db8::1]", "h");
    Arbitrary<String> port = Arbitraries.of("", ":5432", ":1", ":65535", ":0", ":x");
    Arbitrary<String> database = Arbitraries.of("/gatehouse", "/", "", "/a.b-c_d");
    // RFC 3986: user info is unreserved, percent-encoded, sub-delims and ':'; a query may add '/', '?' and '@'.
    Arbitrary<String> userInfo = Arbitraries.strings().withChars("abcXYZ019-._~!$&'()*+,;=:%").ofMaxLength(12)
        .map(t -> t + "Zq9secret@");
    Arbitrary<String> query = Arbitraries.strings().withChars("abcXYZ019-._~!$&'()*+,;=:%@/?").ofMaxLength(12)
        .map(t -> "?" + t + "Zq9secret");
    Arbitrary<String> maybeUserInfo = Arbitraries.oneOf(userInfo, Arbitraries.just(""));
    Arbitrary<String> maybeQuery = Arbitraries.oneOf(query, Arbitraries.just(""));
    return Combinators.combine(scheme, maybeUserInfo, host, port, database, maybeQuery)
        .as((s, u, h, p, d, q) -> s + u + h + p + d + q)
        .filter(url -> url.contains("Zq9secret"));
  }
}
