package dev.gatehouse.testing;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;

/**
 * Self-signed certificates for 127.0.0.1 made by the JDK's keytool (no openssl), written as
 * the PEM files an owner configures: the certificate, and its key in PKCS#8 (mode 0600).
 */
public final class TestCertificates {
  private TestCertificates() {}

  /** A certificate file, its key file, and the objects they hold. */
  public record Made(Path certificate, Path key, X509Certificate x509, PrivateKey privateKey) {
    /** A client context that trusts this certificate alone. */
    public SSLContext trustingIt() throws GeneralSecurityException, IOException {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("daemon", x509);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    }

    /** The key as PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}), as openssl writes them. */
    public String legacyKeyPem() throws IOException {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(privateKey.getEncoded());
      if (privateKey.getAlgorithm().equals("RSA")) {
        return pem("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
      }
      ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
      ECPrivateKey sec1 = new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
      return pem("EC PRIVATE KEY", sec1.getEncoded());
    }
  }

  /**
   * Makes {@code NAME.crt} and {@code NAME.key} in {@code dir}: {@code keyAlgorithm} "EC" or
   * "RSA", valid from now for {@code days}, naming 127.0.0.1 and localhost.
   */
  public static Made make(Path dir, String name, String keyAlgorithm, int days) throws Exception {
    return make(dir, name, keyAlgorithm, Instant.now(), days);
  }

  /**
   * As {@link #make(Path, String, String, int)}, valid from {@code notBefore}; for a test clock
   * in the past, since clients check the certificate against the real time, not the test's.
   */
  public static Made make(Path dir, String name, String keyAlgorithm, Instant notBefore, int days) throws Exception {
    Path store = dir.resolve(name + ".p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-alias", name, "-keyalg", keyAlgorithm, "-keysize", keyAlgorithm.equals("EC") ? "256" : "2048",
        "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", Integer.toString(days),
        "-startdate", DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss").withZone(ZoneOffset.UTC).format(notBefore))
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (keytool.waitFor() != 0) {
      throw new IllegalStateException("keytool failed: " + output);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = new FileInputStream(store.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    Files.delete(store);
    X509Certificate cert = (X509Certificate) ks.getCertificate(name);
    PrivateKey key = (PrivateKey) ks.getKey(name, "changeit".toCharArray());
    Path certFile = dir.resolve(name + ".crt");
    Path keyFile = dir.resolve(name + ".key");
    writePrivate(certFile, pem("CERTIFICATE", cert.getEncoded()));
    writePrivate(keyFile, pem("PRIVATE KEY", key.getEncoded()));
    return new Made(certFile, keyFile, cert, key);
  }

  /** Writes {@code text} to {@code file} with mode 0600 (as every file in a home must have). */
  public static void writePrivate(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  public static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }
}
