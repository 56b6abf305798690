package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** server.tls's PEM files: what is read, and every refusal naming the file and the fix. */
class ServerTlsTest {
  @TempDir
  static Path made;
  static TestCertificates.Made ec;
  static TestCertificates.Made rsa;
  static TestCertificates.Made otherEc;

  @TempDir
  Path tmp;

  @BeforeAll
  static void makeCertificates() throws Exception {
    ec = TestCertificates.make(made, "ec", "EC", 30);
    rsa = TestCertificates.make(made, "rsa", "RSA", 30);
    otherEc = TestCertificates.make(made, "other", "EC", 30);
  }

  private static Clock at(Instant instant) {
    return Clock.fixed(instant, ZoneOffset.UTC);
  }

  private static Clock now() {
    return Clock.systemUTC();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ec", "rsa"})
  void load_aPkcs8KeyAndItsCertificate_servesThatCertificate(String which) {
    TestCertificates.Made m = which.equals("ec") ? ec : rsa;

    ServerTls tls = ServerTls.load(m.certificate(), m.key(), now());

    assertThat(tls.certificate()).isEqualTo(m.x509());
    assertThat(tls.context().getProtocol()).isEqualTo("TLSv1.3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ec", "rsa"})
  void load_aPkcs1OrSec1Key_isReadAsWell(String which) throws Exception {
    TestCertificates.Made m = which.equals("ec") ? ec : rsa;
    Path key = tmp.resolve("legacy.key");
    String legacy = m.legacyKeyPem();
    assertThat(legacy).contains(which.equals("ec") ? "BEGIN EC PRIVATE KEY" : "BEGIN RSA PRIVATE KEY");
    // openssl's SEC1 output starts with the curve's parameters block, which is not the key
    TestCertificates.writePrivate(key, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
        + legacy);

    assertThat(ServerTls.load(m.certificate(), key, now()).certificate()).isEqualTo(m.x509());
  }

  @Test
  void load_aChainFile_servesItsFirstCertificate() throws Exception {
    Path chain = tmp.resolve("chain.crt");
    TestCertificates.writePrivate(chain, "leaf of the chain\n" + Files.readString(ec.certificate())
        + Files.readString(rsa.certificate()));

    assertThat(ServerTls.load(chain, ec.key(), now()).certificate()).isEqualTo(ec.x509());
  }

  @Test
  void load_theKeyOfAnotherCertificate_isRefused_namingBothFiles() {
    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), otherEc.key(), now()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(otherEc.key().toString()).hasMessageContaining(ec.certificate().toString())
        .hasMessageContaining("does not belong to the certificate");
  }

  @Test
  void load_aKeyOfAnotherType_isRefused() {
    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), rsa.key(), now()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(rsa.key().toString()).hasMessageContaining("is not an EC private key");
  }

  @Test
  void load_anExpiredCertificate_isRefused_sayingWhen() {
    Instant after = ec.x509().getNotAfter().toInstant().plusSeconds(1);

    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), ec.key(), at(after)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(ec.certificate().toString()).hasMessageContaining("expired on")
        .hasMessageContaining(ec.x509().getNotAfter().toInstant().toString());
  }

  @Test
  void load_aCertificateNotYetValid_isRefused() {
    Instant before = ec.x509().getNotBefore().toInstant().minusSeconds(1);

    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), ec.key(), at(before)))
        .isInstanceOf(BadInputException.class).hasMessageContaining("is not valid before");
  }

  @Test
  void expiryWarning_isGivenOnlyWithinFourteenDaysOfTheEnd() {
    Instant end = ec.x509().getNotAfter().toInstant();
    ServerTls tls = ServerTls.load(ec.certificate(), ec.key(), at(end.minus(Duration.ofDays(20))));

    assertThat(tls.expiryWarning(end.minus(Duration.ofDays(15)))).isNull();
    assertThat(tls.expiryWarning(end.minus(Duration.ofDays(13)))).contains("expires on " + end)
        .contains(ec.certificate().toString());
  }

  @Test
  void load_aKeyReadableByGroup_isRefused_sayingChmod() throws Exception {
    Path key = tmp.resolve("loose.key");
    Files.copy(ec.key(), key);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));

    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), key, now()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("chmod 600 " + key);
  }

  @Test
  void load_missingFiles_areNamed() {
    Path none = tmp.resolve("none.pem");

    assertThatThrownBy(() -> ServerTls.load(none, ec.key(), now())).isInstanceOf(BadInputException.class)
        .hasMessageContaining(none + " (server.tls.certificate) does not exist");
    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), none, now())).isInstanceOf(BadInputException.class)
        .hasMessageContaining(none + " (server.tls.key) does not exist");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not a certificate at all|holds no PEM certificate",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n|certificate 1 is not a valid X.509 certificate",
      "-----BEGIN CERTIFICATE-----\n*not base64*\n-----END CERTIFICATE-----\n|is not valid PEM (bad base64)",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n|holds no PEM certificate",
  })
  void load_aCertificateFileThatIsNotOne_isRefused(String row) throws Exception {
    String[] parts = row.split("\\|");
    Path bad = tmp.resolve("bad.crt");
    TestCertificates.writePrivate(bad, parts[0]);

    assertThatThrownBy(() -> ServerTls.load(bad, ec.key(), now())).isInstanceOf(BadInputException.class)
        .hasMessageContaining(bad.toString()).hasMessageContaining(parts[1]);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n|holds no PEM private key",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n|is encrypted",
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
          + "-----END RSA PRIVATE KEY-----\n|is encrypted",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n|is not an EC private key",
      "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n|is not a valid EC private key",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n|reads BEGIN PRIVATE KEY (PKCS#8)",
  })
  void load_aKeyFileThatIsNotOne_isRefused(String row) throws Exception {
    String[] parts = row.split("\\|");
    Path bad = tmp.resolve("bad.key");
    TestCertificates.writePrivate(bad, parts[0]);

    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), bad, now())).isInstanceOf(BadInputException.class)
        .hasMessageContaining(bad.toString()).hasMessageContaining(parts[1]);
  }

  @Test
  void load_twoKeysInOneFile_isRefused() throws Exception {
    Path both = tmp.resolve("both.key");
    TestCertificates.writePrivate(both, Files.readString(ec.key()) + Files.readString(otherEc.key()));

    assertThatThrownBy(() -> ServerTls.load(ec.certificate(), both, now())).isInstanceOf(BadInputException.class)
        .hasMessageContaining("more than one private key");
  }

  /** docs/tls.md's commands, run as written when openssl is installed: what they make loads. */
  @ParameterizedTest
  @ValueSource(strings = {
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -days 365 -subj /CN=gatehouse.lan"
          + " -addext subjectAltName=DNS:gatehouse.lan,IP:192.168.1.20 -keyout gatehouse.key -out gatehouse.crt",
      "openssl ecparam -name prime256v1 -genkey -out gatehouse.key"
          + " && openssl req -x509 -new -key gatehouse.key -days 365 -subj /CN=gatehouse.lan -out gatehouse.crt",
      "openssl genrsa -traditional -out gatehouse.key 2048"
          + " && openssl req -x509 -new -key gatehouse.key -days 365 -subj /CN=gatehouse.lan -out gatehouse.crt",
  })
  void load_whatTheDocumentedOpensslCommandsMake(String commands) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is installed");
    Process p = new ProcessBuilder("sh", "-c", "umask 077 && " + commands).directory(tmp.toFile())
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(output).isZero();

    ServerTls tls = ServerTls.load(tmp.resolve("gatehouse.crt"), tmp.resolve("gatehouse.key"), now());

    assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=gatehouse.lan");
  }

  @Test
  void trusting_aFileWithoutCertificates_isRefused_namingTheOption() throws Exception {
    Path bad = tmp.resolve("ca.pem");
    TestCertificates.writePrivate(bad, "nothing");

    assertThatThrownBy(() -> ServerTls.trusting(bad, "--cacert")).isInstanceOf(BadInputException.class)
        .hasMessageContaining(bad + " (--cacert) holds no PEM certificate");
  }
}
