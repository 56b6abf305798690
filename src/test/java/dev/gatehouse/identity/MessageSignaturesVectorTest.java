package dev.gatehouse.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.identity.SignatureException.Reason;
import dev.gatehouse.testing.Vectors;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** RFC 9421 Appendix B.2.5 (hmac-sha256), read from vectors/rfc9421-b25.txt. */
class MessageSignaturesVectorTest {
  private static final Map<String, String> V = Vectors.sections("rfc9421-b25.txt");
  private static final List<String> COMPONENTS = List.of("date", "@authority", "content-type");

  private static byte[] key() {
    return Base64.getDecoder().decode(V.get("key-base64"));
  }

  /** The Appendix B.2 request, parsed from its HTTP/1.1 text; the authority comes from Host. */
  static SignedRequest request() {
    String[] lines = V.get("request").split("\n", -1);
    String[] requestLine = lines[0].split(" ");
    String target = requestLine[1];
    int q = target.indexOf('?');
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
    }
    return new SignedRequest(requestLine[0], headers.get("host"), q < 0 ? target : target.substring(0, q),
        q < 0 ? null : target.substring(q + 1), headers);
  }

  static byte[] body() {
    String request = V.get("request");
    return request.substring(request.indexOf("\n\n") + 2).getBytes(StandardCharsets.UTF_8);
  }

  private static String paramsText() {
    String input = V.get("signature-input");
    assertThat(input).startsWith("sig-b25=");
    return input.substring("sig-b25=".length());
  }

  private static byte[] expectedSignature() {
    String sig = V.get("signature");
    assertThat(sig).startsWith("sig-b25=:").endsWith(":");
    return Base64.getDecoder().decode(sig.substring("sig-b25=:".length(), sig.length() - 1));
  }

  private static ParsedSignature vectorSignature(byte[] signature) {
    return new ParsedSignature("sig-b25", COMPONENTS, paramsText(), 1618884473L, null, "test-shared-secret", null,
        signature);
  }

  private static byte[] independentHmac(byte[] key, byte[] data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  @Test
  void signatureBase_equalsTheRfcBase_byteForByte() throws Exception {
    byte[] base = MessageSignatures.signatureBase(COMPONENTS, paramsText(), request());
    assertThat(base).isEqualTo(V.get("signature-base").getBytes(StandardCharsets.US_ASCII));
    assertThat(base[base.length - 1]).isNotEqualTo((byte) '\n');
    assertThat(MessageSignatures.signatureBase(vectorSignature(expectedSignature()), request())).isEqualTo(base);
  }

  @Test
  void hmacOfTheBase_isTheRfcSignature() throws Exception {
    byte[] base = V.get("signature-base").getBytes(StandardCharsets.US_ASCII);
    assertThat(independentHmac(key(), base)).isEqualTo(expectedSignature());
  }

  @Test
  void verify_acceptsTheRfcSignature() throws Exception {
    MessageSignatures.verify(vectorSignature(expectedSignature()), request(), key());
  }

  @Test
  void contentDigest_ofTheVectorRequest_matchesItsBody() {
    assertThat(body()).hasSize(18);
    assertThat(ContentDigest.matches(request().headers().get("content-digest"), body())).isTrue();
  }

  @Test
  void parse_refusesTheRfcSignature_becauseItIsNotTheGatehouseShape() {
    assertThatThrownBy(() -> MessageSignatures.parse(V.get("signature-input"), V.get("signature")))
        .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_COMPONENTS));
  }

  @Test
  void verify_refusesEverySingleBitFlipOfTheSignature() {
    byte[] good = expectedSignature();
    List<String> accepted = new ArrayList<>();
    for (int bit = 0; bit < good.length * 8; bit++) {
      byte[] flipped = good.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      try {
        MessageSignatures.verify(vectorSignature(flipped), request(), key());
        accepted.add("bit " + bit);
      } catch (SignatureException e) {
        if (e.reason() != Reason.BAD_SIGNATURE) {
          accepted.add("bit " + bit + " refused for " + e.reason());
        }
      }
    }
    assertThat(accepted).isEmpty();
  }

  @Test
  void everyChangedByteOfTheBase_givesAnotherHmac() throws Exception {
    byte[] base = V.get("signature-base").getBytes(StandardCharsets.US_ASCII);
    byte[] good = expectedSignature();
    List<Integer> collisions = new ArrayList<>();
    for (int i = 0; i < base.length; i++) {
      byte[] changed = base.clone();
      changed[i] ^= 0x01;
      if (java.util.Arrays.equals(independentHmac(key(), changed), good)) {
        collisions.add(i);
      }
    }
    assertThat(collisions).isEmpty();
  }

  @Test
  void verify_refusesTheVectorRequestWithAnyCoveredValueChanged() {
    SignedRequest r = request();
    List<SignedRequest> changed = new ArrayList<>();
    changed.add(new SignedRequest(r.method(), "example.org", r.path(), r.query(), r.headers()));
    for (String header : List.of("date", "content-type")) {
      Map<String, String> headers = new LinkedHashMap<>(r.headers());
      headers.put(header, headers.get(header) + "x");
      changed.add(new SignedRequest(r.method(), r.authority(), r.path(), r.query(), headers));
    }
    for (SignedRequest c : changed) {
      assertThatThrownBy(() -> MessageSignatures.verify(vectorSignature(expectedSignature()), c, key()))
          .isInstanceOfSatisfying(SignatureException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }
  }
}
