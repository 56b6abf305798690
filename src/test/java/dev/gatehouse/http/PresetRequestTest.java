package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.presets.Presets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each preset whose auth type the broker has, end to end: the file the preset renders, a real
 * daemon, a recording upstream, and for every action one signed call whose upstream request is
 * checked exactly (method, raw path, raw query, credential, Content-Type and body).
 */
class PresetRequestTest {
  static final String KEY = "sk-PRESET-CANARY-4d2b9e";

  @TempDir
  Path tmp;
  DaemonHarness h;
  private static final com.fasterxml.jackson.databind.ObjectMapper ECHO = new com.fasterxml.jackson.databind.ObjectMapper();

  @AfterEach
  void tearDown() {
    if (h != null) {
      h.close();
    }
  }

  /** Renders {@code preset} as service {@code name} at the upstream, adds its vault entries, starts. */
  void setUp(String preset, String name) throws Exception {
    // The upstream echoes what it received, credential included: the answer must come back without it.
    h = new DaemonHarness(tmp, r -> Upstreams.Reply.json(ECHO.createObjectNode().put("echo", r.toString()).toString()));
    var range = Presets.allowPrivateFor(dev.gatehouse.guard.EgressGuard.parseBaseUrl(h.upstream.url()));
    assertThat(range.allowPrivate()).containsExactly("127.0.0.1/32");
    h.writeService(name, Presets.render(preset, name, h.upstream.url(), range.allowPrivate()));
    for (String entry : Presets.vaultEntries(preset, name)) {
      h.vaultAdd(entry, KEY);
    }
    h.start(name + ".*");
  }

  /** Makes the call, expects 200 and no credential in the answer, and returns what the upstream received. */
  Upstreams.Received call(String action, String params) throws Exception {
    int before = h.upstream.received.size();
    DaemonHarness.Sent s = h.call(action, params);
    assertThat(s.status()).as(action + " " + s.body()).isEqualTo(200);
    assertThat(s.body() + s.headers()).doesNotContain(KEY);
    assertThat(h.upstream.received).hasSize(before + 1);
    return h.upstream.received.get(before);
  }

  static void assertGet(Upstreams.Received r, String path, String query) {
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.rawPath()).isEqualTo(path);
    if (query == null) {
      assertThat(r.rawQuery()).isNull();
    } else {
      // Helidon's client rebuilds the query from a map, so the order of the pairs is its own;
      // the pairs themselves, and their encoding, are exact.
      assertThat(r.rawQuery()).isNotNull();
      assertThat(r.rawQuery().split("&")).containsExactlyInAnyOrder(query.split("&"));
    }
    assertThat(r.headers()).doesNotContainKey("Content-Type");
    assertThat(r.body()).isEmpty();
  }

  static void assertPost(Upstreams.Received r, String path, String json) {
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.rawPath()).isEqualTo(path);
    assertThat(r.rawQuery()).isNull();
    assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(r.body()).isEqualTo(json);
  }

  static void assertHeader(Upstreams.Received r, String name, String value) {
    assertThat(r.headers().get(name)).as(name).isEqualTo(value);
  }

  @Test
  void sonarr() throws Exception {
    setUp("sonarr", "sonarr");

    Upstreams.Received lookup = call("sonarr.lookup", "{\"q\":\"the expanse\"}");
    assertGet(lookup, "/api/v3/series/lookup", "term=the%20expanse");
    assertHeader(lookup, "X-Api-Key", KEY);
    Upstreams.Received series = call("sonarr.series", "{}");
    assertGet(series, "/api/v3/series", null);
    assertHeader(series, "X-Api-Key", KEY);
    Upstreams.Received queue = call("sonarr.queue", "{}");
    assertGet(queue, "/api/v3/queue", null);
    assertHeader(queue, "X-Api-Key", KEY);
    Upstreams.Received command = call("sonarr.command", "{\"name\":\"RssSync\"}");
    assertPost(command, "/api/v3/command", "{\"name\":\"RssSync\"}");
    assertHeader(command, "X-Api-Key", KEY);
  }

  @Test
  void radarr() throws Exception {
    setUp("radarr", "radarr");

    Upstreams.Received lookup = call("radarr.lookup", "{\"q\":\"dune part two\"}");
    assertGet(lookup, "/api/v3/movie/lookup", "term=dune%20part%20two");
    assertHeader(lookup, "X-Api-Key", KEY);
    Upstreams.Received movies = call("radarr.movies", "{}");
    assertGet(movies, "/api/v3/movie", null);
    assertHeader(movies, "X-Api-Key", KEY);
    Upstreams.Received queue = call("radarr.queue", "{}");
    assertGet(queue, "/api/v3/queue", null);
    assertHeader(queue, "X-Api-Key", KEY);
    Upstreams.Received command = call("radarr.command", "{\"name\":\"RefreshMovie\"}");
    assertPost(command, "/api/v3/command", "{\"name\":\"RefreshMovie\"}");
    assertHeader(command, "X-Api-Key", KEY);
  }

  @Test
  void jackett() throws Exception {
    setUp("jackett", "jackett");

    Upstreams.Received search = call("jackett.search", "{\"q\":\"Dune Part Two\"}");
    assertGet(search, "/api/v2.0/indexers/all/results", "Query=Dune%20Part%20Two&apikey=" + KEY);
    assertThat(search.headers()).doesNotContainKey("X-Api-Key").doesNotContainKey("Authorization");
    Upstreams.Received indexers = call("jackett.indexers", "{}");
    assertGet(indexers, "/api/v2.0/indexers", "configured=true&apikey=" + KEY);
  }

  @Test
  void jellyfin() throws Exception {
    setUp("jellyfin", "jellyfin");

    Upstreams.Received refresh = call("jellyfin.refresh", "{}");
    assertPost(refresh, "/Library/Refresh", "{}");
    assertHeader(refresh, "X-Emby-Token", KEY);
    Upstreams.Received items = call("jellyfin.items", "{\"q\":\"dune\"}");
    assertGet(items, "/Items", "searchTerm=dune&Recursive=true");
    assertHeader(items, "X-Emby-Token", KEY);
    Upstreams.Received sessions = call("jellyfin.sessions", "{}");
    assertGet(sessions, "/Sessions", null);
    assertHeader(sessions, "X-Emby-Token", KEY);
  }

  @Test
  void github() throws Exception {
    setUp("github", "gh");

    Upstreams.Received repo = call("gh.repo", "{\"owner\":\"octo-org\",\"repo\":\"hello.world\"}");
    assertGet(repo, "/repos/octo-org/hello.world", null);
    assertHeader(repo, "Authorization", "Bearer " + KEY);
    Upstreams.Received issues = call("gh.issues", "{\"owner\":\"octo-org\",\"repo\":\"hello.world\"}");
    assertGet(issues, "/repos/octo-org/hello.world/issues", null);
    assertHeader(issues, "Authorization", "Bearer " + KEY);
    Upstreams.Received user = call("gh.user", "{}");
    assertGet(user, "/user", null);
    assertHeader(user, "Authorization", "Bearer " + KEY);
  }

  @Test
  void generic() throws Exception {
    setUp("generic", "mine");

    Upstreams.Received status = call("mine.status", "{}");
    assertGet(status, "/api/status", null);
    assertHeader(status, "X-Api-Key", KEY);
  }

  @Test
  void aPresetsActionsAreOnlyThoseDeclared() throws Exception {
    setUp("github", "gh");

    DaemonHarness.Sent s = h.call("gh.delete_repo", "{\"owner\":\"o\",\"repo\":\"r\"}");

    assertThat(s.status()).isEqualTo(404);
    assertThat(h.upstream.received).isEmpty();
    assertThat(h.call("gh.repo", "{\"owner\":\"..\",\"repo\":\"r\"}").status()).isEqualTo(403);
    assertThat(h.upstream.received).isEmpty();
  }
}
