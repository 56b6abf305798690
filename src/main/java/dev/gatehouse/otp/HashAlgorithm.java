package dev.gatehouse.otp;

/** The HMAC functions RFC 6238 allows. SHA1 is what every authenticator app supports. */
public enum HashAlgorithm {
  SHA1("HmacSHA1"),
  SHA256("HmacSHA256"),
  SHA512("HmacSHA512");

  private final String jcaName;

  HashAlgorithm(String jcaName) {
    this.jcaName = jcaName;
  }

  public String jcaName() {
    return jcaName;
  }
}
