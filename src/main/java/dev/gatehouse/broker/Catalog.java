package dev.gatehouse.broker;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.Section;
import dev.gatehouse.config.YamlTree;
import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.ServiceUrl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service catalog: every {@code services/*.yaml} of the home, validated as a whole. A
 * file with any problem (unknown key, unknown vault entry, bad URL, unknown auth type, a
 * template hole without a parameter, ...) refuses the whole catalog with file and line, so a
 * bad reload keeps the running one.
 */
public final class Catalog {
  public static final String DIR = "services";
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  static final Pattern HOLE = Pattern.compile("\\{([a-z_][a-z0-9_]*)\\}");
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

  private final Map<String, Service> services;

  private Catalog(Map<String, Service> services) {
    this.services = java.util.Collections.unmodifiableMap(services);
  }

  public static Catalog empty() {
    return new Catalog(Map.of());
  }

  public Map<String, Service> services() {
    return services;
  }

  /** The action named {@code service.action}, if declared. */
  /** The trust domains its actions name. */
  public java.util.Set<dev.gatehouse.trust.Domain> domains() {
    java.util.Set<dev.gatehouse.trust.Domain> d = java.util.EnumSet.noneOf(dev.gatehouse.trust.Domain.class);
    services().values().forEach(s -> s.actions().values().forEach(a -> d.add(a.domain())));
    return d;
  }

  public Optional<Action> action(String fullName) {
    int dot = fullName.indexOf('.');
    if (dot < 0) {
      return Optional.empty();
    }
    Service s = services.get(fullName.substring(0, dot));
    return s == null ? Optional.empty() : Optional.ofNullable(s.actions().get(fullName.substring(dot + 1)));
  }

  public int actionCount() {
    return services.values().stream().mapToInt(s -> s.actions().size()).sum();
  }

  /**
   * Loads {@code dir} (absent = empty catalog).
   *
   * @param vaultHas whether the vault holds an entry; every secret an auth names must exist
   * @throws ConfigException naming the file and line of the first problem
   */
  public static Catalog load(Path dir, Predicate<String> vaultHas) throws IOException {
    Map<String, Service> services = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return new Catalog(services);
    }
    List<Path> files;
    try (var list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path f : files) {
      Service s = parse(f.toString(), Files.readString(f, StandardCharsets.UTF_8), vaultHas);
      String expected = f.getFileName().toString().replaceFirst("\\.yaml$", "");
      if (!s.name().equals(expected)) {
        throw new ConfigException(f.toString(), 1, "service '" + s.name() + "' must live in " + s.name()
            + ".yaml (one file per service, named after it)");
      }
      services.put(s.name(), s);
    }
    return new Catalog(services);
  }

  static Service parse(String file, String text, Predicate<String> vaultHas) {
    Section root = Section.root(file, YamlTree.parse(file, text), "service", "base_url", "allow_private", "auth",
        "actions");
    String name = root.required("service", v -> NAME.matcher(v).matches(),
        "a name of 1-32 characters a-z 0-9 _ -");
    String url = root.required("base_url", v -> true, "an http:// or https:// URL");
    ServiceUrl base;
    try {
      base = EgressGuard.parseBaseUrl(url);
    } catch (IllegalArgumentException e) {
      throw root.problem("base_url", "is refused: " + e.getMessage());
    }
    List<Cidr> allowPrivate = new ArrayList<>();
    for (String c : root.strings("allow_private", v -> true, "a CIDR such as 127.0.0.1/32")) {
      try {
        allowPrivate.add(Cidr.parse(c));
      } catch (IllegalArgumentException e) {
        throw root.problem("allow_private", "has a bad range: " + e.getMessage());
      }
    }
    UpstreamAuth auth = auth(root, vaultHas);
    Section actionsSection = root.names("actions");
    if (actionsSection.keys().isEmpty()) {
      throw root.problem("actions", "must declare at least one action");
    }
    Map<String, Action> actions = new LinkedHashMap<>();
    for (String actionName : actionsSection.keys()) {
      if (!NAME.matcher(actionName).matches()) {
        throw actionsSection.problem(actionName, "is not an action name (1-32 characters a-z 0-9 _ -)");
      }
      actions.put(actionName, action(name, actionName, actionsSection.section(actionName, "method", "path", "query",
          "allow_paths", "params", "max_response_kib", "timeout_seconds", "domain", "body", "description")));
    }
    return new Service(name, base, allowPrivate, auth, actions, file);
  }

  private static UpstreamAuth auth(Section root, Predicate<String> vaultHas) {
    if (!root.has("auth")) {
      throw root.problem("auth", "is required, e.g. { type: header, name: X-Api-Key, secret: NAME }");
    }
    Section a = root.names("auth");
    String type = a.required("type", v -> true, "one of header, bearer, basic, query, form-login, session-header");
    Predicate<String> headerName = v -> v.matches("[A-Za-z0-9-]{1,64}");
    UpstreamAuth auth = switch (type) {
      case "header" -> {
        a = root.section("auth", "type", "name", "secret");
        yield new UpstreamAuth.Header(a.required("name", headerName, "a header name"), secret(a, "secret", vaultHas));
      }
      case "bearer" -> {
        a = root.section("auth", "type", "secret");
        yield new UpstreamAuth.Bearer(secret(a, "secret", vaultHas));
      }
      case "basic" -> {
        a = root.section("auth", "type", "username", "password");
        yield new UpstreamAuth.Basic(secret(a, "username", vaultHas), secret(a, "password", vaultHas));
      }
      case "query" -> {
        a = root.section("auth", "type", "param", "secret");
        yield new UpstreamAuth.Query(a.required("param", v -> v.matches("[A-Za-z0-9_.-]{1,64}"), "a query parameter name"),
            secret(a, "secret", vaultHas));
      }
      case "form-login" -> {
        a = root.section("auth", "type", "login", "session_cookie");
        Section login = a.section("login", "path", "form");
        String path = login.required("path", v -> v.startsWith("/") && !v.contains("{") && !v.contains(".."),
            "the login path, e.g. /api/v2/auth/login");
        Section form = login.names("form");
        if (form.keys().isEmpty()) {
          throw login.problem("form", "must map form fields to vault entries, e.g. { username: qbit.user, password:"
              + " qbit.password }");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : form.keys()) {
          if (!field.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw form.problem(field, "is not a form field name");
          }
          fields.put(field, secret(form, field, vaultHas));
        }
        yield new UpstreamAuth.FormLogin(path, fields,
            a.required("session_cookie", v -> v.matches("[A-Za-z0-9_.-]{1,64}"), "the session cookie's name, e.g. SID"));
      }
      case "session-header" -> {
        a = root.section("auth", "type", "header", "basic");
        UpstreamAuth.Basic basic = null;
        if (a.has("basic")) {
          Section b = a.section("basic", "username", "password");
          basic = new UpstreamAuth.Basic(secret(b, "username", vaultHas), secret(b, "password", vaultHas));
        }
        yield new UpstreamAuth.SessionHeader(a.string("header", "X-Transmission-Session-Id", headerName, "a header name"),
            basic);
      }
      default -> throw a.problem("type", "must be one of header, bearer, basic, query, form-login, session-header"
          + " (got '" + type + "')");
    };
    return auth;
  }

  private static String secret(Section a, String key, Predicate<String> vaultHas) {
    String name = a.required(key, v -> dev.gatehouse.vault.Vault.NAME.matcher(v).matches(), "a vault entry name");
    if (name.startsWith(dev.gatehouse.vault.Vault.OWN_PREFIX)) {
      throw a.problem(key, "names one of Gatehouse's own vault entries; those are never sent anywhere");
    }
    if (!vaultHas.test(name)) {
      throw a.problem(key, "names vault entry '" + name + "', which does not exist (add it with `gatehouse vault add "
          + name + "`)");
    }
    return name;
  }

  private static Action action(String service, String name, Section a) {
    String method = a.string("method", "GET", METHODS::contains, "one of " + new java.util.TreeSet<>(METHODS));
    String path = a.required("path", v -> v.startsWith("/") || v.equals("{path}"),
        "a path starting with / (with {name} holes), or exactly {path} for a pass-through action");
    Map<String, Action.Param> params = new LinkedHashMap<>();
    Section declared = a.names("params");
    for (String p : declared.keys()) {
      if (!p.matches("[a-z_][a-z0-9_]{0,31}")) {
        throw declared.problem(p, "is not a parameter name (a-z 0-9 _)");
      }
      String spec = declared.required(p, v -> v.matches("(string|integer|boolean|json)\\??")
              || v.matches("[A-Za-z0-9._-]+(\\|[A-Za-z0-9._-]+)*\\??") && !v.matches("(string|integer|boolean|json)\\??"),
          "string, integer, boolean or json, or the allowed values as a|b|c (a trailing ? makes it optional)");
      boolean optional = spec.endsWith("?");
      String bare = optional ? spec.substring(0, spec.length() - 1) : spec;
      if (bare.matches("string|integer|boolean|json")) {
        params.put(p, new Action.Param(Action.Type.valueOf(bare.toUpperCase(Locale.ROOT)), !optional));
      } else {
        params.put(p, new Action.Param(Action.Type.STRING, !optional, List.of(bare.split("\\|"))));
      }
    }
    holes(a, "path", path, params);
    Map<String, String> query = new LinkedHashMap<>();
    Section q = a.names("query");
    for (String k : q.keys()) {
      String v = q.required(k, x -> true, "a value or a {name} template");
      holes(q, k, v, params);
      query.put(k, v);
    }
    List<String> allowPaths = a.strings("allow_paths", v -> v.startsWith("/") && !v.contains("..")
        && !v.contains("//") && !v.contains("\\"), "a path glob starting with / (* within a segment, ** across)");
    if (path.equals("{path}") && allowPaths.isEmpty()) {
      throw a.problem("allow_paths", "is required for a pass-through action (path: \"{path}\"): the paths an agent"
          + " may reach, e.g. [\"/api/v2/torrents/info\"]");
    }
    for (var e : params.entrySet()) {
      if (e.getValue().type() == Action.Type.JSON && (path.contains("{" + e.getKey() + "}")
          || query.values().stream().anyMatch(v -> v.contains("{" + e.getKey() + "}")))) {
        throw declared.problem(e.getKey(), "is json and cannot fill a {hole} in the path or query");
      }
      if (!e.getValue().required() && path.contains("{" + e.getKey() + "}")) {
        throw declared.problem(e.getKey(), "is optional and cannot fill a {hole} in the path (every path segment"
            + " needs a value; drop the '?')");
      }
    }
    Action.BodyFormat body = a.choice("body", Action.BodyFormat.JSON, Action.BodyFormat.class);
    int maxKib = a.integer("max_response_kib", 1024, 1, 64 * 1024);
    int timeout = a.integer("timeout_seconds", 30, 1, 600);
    dev.gatehouse.trust.Domain domain = dev.gatehouse.trust.Domain.parse(a.string("domain",
        dev.gatehouse.trust.Domain.DEFAULT.wire(), v -> dev.gatehouse.trust.Domain.parse(v).isPresent(),
        "a trust domain: " + dev.gatehouse.trust.Domain.names())).orElseThrow();
    String description = a.string("description", "", Catalog::describes, "text of at most "
        + Action.MAX_DESCRIPTION + " characters with no control characters (one line)");
    return new Action(service, name, method, path, query, allowPaths, params, maxKib * 1024,
        Duration.ofSeconds(timeout), domain, body, description.strip());
  }

  /**
   * A description is shown to agents (as an MCP tool's description) and in listings: one
   * line, no control, format or bidi characters (nothing that could hide text from the owner
   * who wrote it), within {@link Action#MAX_DESCRIPTION} characters.
   */
  static boolean describes(String text) {
    if (text.length() > Action.MAX_DESCRIPTION) {
      return false;
    }
    return text.codePoints().noneMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
        || Character.getType(c) == Character.LINE_SEPARATOR || Character.getType(c) == Character.PARAGRAPH_SEPARATOR
        || Character.getType(c) == Character.UNASSIGNED || Character.getType(c) == Character.PRIVATE_USE
        || Character.getType(c) == Character.SURROGATE);
  }

  /** Declares every {@code {name}} hole of {@code template} as a required string unless declared; refuses stray braces. */
  private static void holes(Section where, String key, String template, Map<String, Action.Param> params) {
    Matcher m = HOLE.matcher(template);
    String rest = m.replaceAll("");
    if (rest.contains("{") || rest.contains("}")) {
      throw where.problem(key, "has a malformed template hole: use {name} with a-z 0-9 _ (got '" + template + "')");
    }
    m.reset();
    while (m.find()) {
      params.putIfAbsent(m.group(1), new Action.Param(Action.Type.STRING, true));
    }
  }
}
