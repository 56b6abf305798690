package dev.gatehouse.owner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class OwnerGateTest {
  @Property
  void safeNext_isAlwaysAPathOnThisSite(@ForAll String next) {
    String s = OwnerGate.safeNext(next);

    assertThat(s).startsWith("/").doesNotStartWith("//").doesNotStartWith("/\\");
    assertThat(s).doesNotContain("\r").doesNotContain("\n").doesNotContain(" ").doesNotContain("\\");
    assertThat(s.equals(next) || s.equals("/")).isTrue();
  }

  @Property
  void safeNext_keepsEveryPlainPath(@ForAll("paths") String path) {
    assertThat(OwnerGate.safeNext(path)).isEqualTo(path);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<String> paths() {
    return net.jqwik.api.Arbitraries.strings().withChars("abcxyz019-_.").ofMinLength(1).ofMaxLength(20)
        .list().ofMinSize(1).ofMaxSize(4).map(l -> "/" + String.join("/", l));
  }

  @Test
  void sessionCookies_joinAndSplit_roundTrip_andRefuseALineBreak() {
    List<String> two = List.of(SessionCookies.set("gh_access", "a", java.time.Duration.ofMinutes(1), true),
        SessionCookies.clear("gh_refresh", true));

    assertThat(SessionCookies.split(SessionCookies.join(two))).containsExactlyElementsOf(two);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SessionCookies.join(List.of("a=b\nSet-Cookie: x=y")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sessionCookies_read_findsTheNamedCookieOnly() {
    assertThat(SessionCookies.read("x=1; gh_access=tok; gh_refresh=r", "gh_access")).contains("tok");
    assertThat(SessionCookies.read("xgh_access=tok", "gh_access")).isEmpty();
    assertThat(SessionCookies.read("gh_access=", "gh_access")).isEmpty();
    assertThat(SessionCookies.read(null, "gh_access")).isEmpty();
  }

  @Test
  void param_readsOneSegment_andNothingElse() {
    assertThat(OwnerRoute.param("/v1/owner/audit/{seq}", "/v1/owner/audit/12", "seq")).contains("12");
    assertThat(OwnerRoute.param("/v1/owner/audit/{seq}", "/v1/owner/audit/12/x", "seq")).isEmpty();
    assertThat(OwnerRoute.param("/v1/owner/audit/{seq}", "/v1/owner/audit/", "seq")).isEmpty();
    assertThat(OwnerRoute.param("/v1/owner/a/{id}/approve", "/v1/owner/a/7/deny", "id")).isEmpty();
  }
}
