package dev.gatehouse.http;

import dev.gatehouse.error.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * The daemon's TLS identity, read from {@code server.tls}'s PEM files (DESIGN §2.1): a
 * certificate chain (the daemon's certificate first) and its unencrypted private key in
 * PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}) form, RSA (2048 bits or more) or EC.
 *
 * <p>Guarantees of a loaded {@code ServerTls}: the key file was owned by the current user
 * with no group or other permission (like every secret in the home); the key is the one the
 * certificate names (proved by a signature it verifies); the certificate was valid at load
 * time. Each refusal names the file and says what to fix, with no stack trace. The context
 * serves TLS 1.3 only ({@link #PROTOCOLS}).
 */
public final class ServerTls {
  /** The only protocol version served: TLS 1.3 drops the legacy ciphers, RSA key exchange and renegotiation. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3");
  /** A certificate this close to its end is served with a warning at start. */
  public static final Duration EXPIRY_WARNING = Duration.ofDays(14);
  private static final int MAX_FILE_BYTES = 1 << 20;
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final char[] IN_MEMORY = "in-memory".toCharArray(); // the key store never leaves this process

  private final SSLContext context;
  private final List<X509Certificate> chain;
  private final Path certificateFile;

  private ServerTls(SSLContext context, List<X509Certificate> chain, Path certificateFile) {
    this.context = context;
    this.chain = List.copyOf(chain);
    this.certificateFile = certificateFile;
  }

  /**
   * Reads and checks {@code certificateFile} and {@code keyFile} (see the class comment).
   *
   * @throws BadInputException naming the file, when either is missing, unreadable, not PEM,
   *     of an unsupported kind, loosely permitted (the key), mismatched, or outside its validity
   */
  public static ServerTls load(Path certificateFile, Path keyFile, Clock clock) {
    List<X509Certificate> chain = certificates(certificateFile, "server.tls.certificate");
    X509Certificate leaf = chain.get(0);
    String algorithm = leaf.getPublicKey().getAlgorithm();
    if (!algorithm.equals("RSA") && !algorithm.equals("EC")) {
      throw new BadInputException("the TLS certificate " + certificateFile + " has a " + algorithm
          + " key; Gatehouse serves RSA or EC certificates");
    }
    if (leaf.getPublicKey() instanceof RSAKey rsa && rsa.getModulus().bitLength() < 2048) {
      throw new BadInputException("the TLS certificate " + certificateFile + " has a " + rsa.getModulus().bitLength()
          + "-bit RSA key; use 2048 bits or more, or an EC key");
    }
    try {
      leaf.checkValidity(Date.from(clock.instant()));
    } catch (CertificateExpiredException e) {
      throw new BadInputException("the TLS certificate " + certificateFile + " expired on " + leaf.getNotAfter()
          .toInstant() + "; clients refuse it: renew it (docs/tls.md) and start again");
    } catch (CertificateNotYetValidException e) {
      throw new BadInputException("the TLS certificate " + certificateFile + " is not valid before " + leaf
          .getNotBefore().toInstant() + "; clients refuse it until then: check this machine's clock or the certificate");
    }
    PrivateKey key = privateKey(keyFile, algorithm);
    if (!matches(key, leaf)) {
      throw new BadInputException("the TLS key " + keyFile + " does not belong to the certificate " + certificateFile
          + " (its signature does not verify with the certificate's public key): give the key the certificate was"
          + " made for");
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("gatehouse", key, IN_MEMORY, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, IN_MEMORY);
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(keys.getKeyManagers(), null, null);
      return new ServerTls(context, chain, certificateFile);
    } catch (GeneralSecurityException | IOException e) {
      throw new BadInputException("cannot serve TLS with " + certificateFile + " and " + keyFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * A client context that trusts exactly the certificates in {@code certificateFile} (a
   * self-signed daemon certificate, or the CA that issued it), as curl's {@code --cacert} does;
   * {@code field} names where the path came from, for the errors.
   */
  public static SSLContext trusting(Path certificateFile, String field) {
    List<X509Certificate> trusted = certificates(certificateFile, field);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < trusted.size(); i++) {
        store.setCertificateEntry("trusted-" + i, trusted.get(i));
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new BadInputException("cannot trust the certificates in " + certificateFile + ": " + e.getMessage(), e);
    }
  }

  /** The server side of TLS 1.3 with this identity. */
  public SSLContext context() {
    return context;
  }

  /** The daemon's own certificate (the chain's first). */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  public Path certificateFile() {
    return certificateFile;
  }

  /** A warning to show when the certificate ends within {@link #EXPIRY_WARNING} of {@code now}; null otherwise. */
  public String expiryWarning(Instant now) {
    Instant end = certificate().getNotAfter().toInstant();
    if (end.isAfter(now.plus(EXPIRY_WARNING))) {
      return null;
    }
    return "the TLS certificate " + certificateFile + " expires on " + end + "; renew it and restart the daemon"
        + " before then (clients refuse an expired certificate)";
  }

  private static List<X509Certificate> certificates(Path file, String field) {
    String text = new String(read(file, "certificate", field), StandardCharsets.ISO_8859_1);
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      Matcher m = BLOCK.matcher(text);
      while (m.find()) {
        if (!m.group(1).equals("CERTIFICATE")) {
          continue;
        }
        byte[] der = base64(m.group(2), file, "certificate " + (out.size() + 1));
        try {
          out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
        } catch (CertificateException e) {
          throw new BadInputException("the certificate file " + file + " (" + field + "): certificate "
              + (out.size() + 1) + " is not a valid X.509 certificate");
        }
      }
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
    if (out.isEmpty()) {
      throw new BadInputException("the certificate file " + file + " (" + field + ") holds no PEM certificate (a block"
          + " that starts -----BEGIN CERTIFICATE-----)");
    }
    return out;
  }

  private static PrivateKey privateKey(Path file, String algorithm) {
    checkPrivate(file);
    byte[] bytes = read(file, "TLS key", "server.tls.key");
    byte[] der = null;
    try {
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      Matcher m = BLOCK.matcher(text);
      String label = null;
      String body = null;
      while (m.find()) {
        if (m.group(1).endsWith("PRIVATE KEY")) {
          if (label != null) {
            throw new BadInputException("the TLS key file " + file + " holds more than one private key; keep only the"
                + " certificate's");
          }
          label = m.group(1);
          body = m.group(2);
        }
      }
      if (label == null) {
        throw new BadInputException("the TLS key file " + file + " holds no PEM private key (a block that starts"
            + " -----BEGIN PRIVATE KEY-----)");
      }
      if (label.equals("ENCRYPTED PRIVATE KEY") || body.contains("Proc-Type: 4,ENCRYPTED")) {
        throw new BadInputException("the TLS key file " + file + " is encrypted; Gatehouse reads an unencrypted key"
            + " protected by its file mode (0600): write one with `openssl pkey -in " + file + " -out NEW.pem`");
      }
      der = base64(body, file, "private key");
      byte[] pkcs8 = switch (label) {
        case "PRIVATE KEY" -> der.clone();
        case "RSA PRIVATE KEY" -> wrap(file, der, "RSA");
        case "EC PRIVATE KEY" -> wrap(file, der, "EC");
        default -> throw new BadInputException("the TLS key file " + file + " holds a '" + label + "' block; Gatehouse"
            + " reads BEGIN PRIVATE KEY (PKCS#8), BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY");
      };
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException e) {
        throw new BadInputException("the TLS key file " + file + " is not an " + algorithm + " private key, which the"
            + " certificate's key is: give the key the certificate was made for");
      } finally {
        Arrays.fill(pkcs8, (byte) 0);
      }
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (der != null) {
        Arrays.fill(der, (byte) 0);
      }
    }
  }

  /** A PKCS#1 (RSA) or SEC1 (EC) key as PKCS#8, by Bouncy Castle's ASN.1 types alone. */
  private static byte[] wrap(Path file, byte[] der, String kind) {
    try {
      PrivateKeyInfo info;
      if (kind.equals("RSA")) {
        info = new PrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
            RSAPrivateKey.getInstance(der));
      } else {
        ECPrivateKey ec = ECPrivateKey.getInstance(der);
        if (ec.getParametersObject() == null) {
          throw new BadInputException("the TLS key file " + file + " is an EC key that does not name its curve; write"
              + " it as PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in " + file + " -out NEW.pem`");
        }
        info = new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, ec.getParametersObject()),
            ec);
      }
      return info.getEncoded();
    } catch (IOException | IllegalArgumentException | ClassCastException e) {
      throw new BadInputException("the TLS key file " + file + " is not a valid " + kind + " private key");
    }
  }

  /** Whether {@code key} makes signatures that {@code certificate}'s public key verifies. */
  private static boolean matches(PrivateKey key, X509Certificate certificate) {
    String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // a key of another curve or size cannot make a signature this certificate verifies
    }
  }

  /** The key file, held to the home's rule for secrets: owned by this user, no group or other permission. */
  private static void checkPrivate(Path file) {
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, PosixFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new BadInputException("the TLS key file " + file + " (server.tls.key) does not exist");
    } catch (IOException e) {
      throw new BadInputException("cannot read the TLS key file " + file + ": " + e.getMessage());
    }
    String me = System.getProperty("user.name");
    if (!attrs.owner().getName().equals(me)) {
      throw new BadInputException("the TLS key file " + file + " is owned by " + attrs.owner().getName() + ", not " + me
          + "; fix it with `chown " + me + " " + file + "`");
    }
    if (attrs.permissions().stream().anyMatch(p -> p != PosixFilePermission.OWNER_READ
        && p != PosixFilePermission.OWNER_WRITE && p != PosixFilePermission.OWNER_EXECUTE)) {
      throw new BadInputException("the TLS key file " + file + " is accessible to group or others; fix it with"
          + " `chmod 600 " + file + "`");
    }
  }

  private static byte[] read(Path file, String what, String field) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new BadInputException("the " + what + " file " + file + " (" + field + ") is larger than 1 MiB; it is not"
            + " a PEM file");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException("the " + what + " file " + file + " (" + field + ") does not exist");
    } catch (IOException e) {
      throw new BadInputException("cannot read the " + what + " file " + file + " (" + field + "): " + e.getMessage());
    }
  }

  private static byte[] base64(String body, Path file, String what) {
    try {
      return Base64.getDecoder().decode(body.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("the file " + file + ": the " + what + " is not valid PEM (bad base64)");
    }
  }
}
