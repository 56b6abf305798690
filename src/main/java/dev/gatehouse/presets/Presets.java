package dev.gatehouse.presets;

import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.EgressDeniedException;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.ServiceUrl;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Service presets: commented catalog templates in {@code dev/gatehouse/presets/PRESET.yaml}
 * whose only placeholders are {@code ${name}}, {@code ${url}} and {@code ${allow_private}}.
 * A rendered preset is an ordinary {@code services/NAME.yaml} (docs/presets.md).
 */
public final class Presets {
  /** Every preset shipped, in the order they are listed. */
  public static final List<String> NAMES = List.of("sonarr", "radarr", "jackett", "qbittorrent", "jellyfin",
      "transmission", "github", "generic");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(name|url|allow_private)\\}");
  private static final Pattern VAULT_ENTRY = Pattern.compile("\\$\\{name\\}\\.([a-z][a-z0-9_]*)");

  private Presets() {}

  /** The template of {@code preset}, as shipped. */
  public static String template(String preset) {
    if (!NAMES.contains(preset)) {
      throw new IllegalArgumentException("unknown preset '" + preset + "'; presets: " + String.join(", ", NAMES));
    }
    try (InputStream in = Presets.class.getResourceAsStream("/dev/gatehouse/presets/" + preset + ".yaml")) {
      if (in == null) {
        throw new IllegalStateException("preset " + preset + " is missing from this build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first comment line of the template, without its '#': what the preset is for. */
  public static String summary(String preset) {
    String first = template(preset).lines().findFirst().orElse("");
    return first.startsWith("#") ? first.substring(1).strip() : "";
  }

  /**
   * The catalog file for service {@code name} at {@code url}. {@code url} must have been
   * accepted by {@link EgressGuard#parseBaseUrl} (so it holds no quote, backslash or space and
   * can stand inside a double-quoted YAML string); {@code allowPrivate} are CIDRs.
   */
  public static String render(String preset, String name, String url, List<String> allowPrivate) {
    Objects.requireNonNull(name, "name");
    EgressGuard.parseBaseUrl(url);
    StringBuilder list = new StringBuilder("[");
    for (String c : allowPrivate) {
      if (!c.matches("[0-9a-f:.]+/[0-9]{1,3}")) {
        throw new IllegalArgumentException("not a CIDR: " + c);
      }
      list.append(list.length() > 1 ? ", " : "").append('"').append(c).append('"');
    }
    String cidrs = list.append(']').toString();
    Matcher m = PLACEHOLDER.matcher(template(preset));
    return m.replaceAll(r -> Matcher.quoteReplacement(switch (r.group(1)) {
      case "name" -> name;
      case "url" -> url;
      default -> cidrs;
    }));
  }

  /** The vault entries the preset's auth names, for service {@code name} (e.g. sonarr.apikey), in order. */
  public static List<String> vaultEntries(String preset, String name) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : template(preset).lines().toList()) {
      if (line.strip().startsWith("#")) {
        continue;
      }
      Matcher m = VAULT_ENTRY.matcher(line);
      while (m.find()) {
        out.add(name + "." + m.group(1));
      }
    }
    return new ArrayList<>(out);
  }

  /** What {@code allow_private} a service at {@code url} needs, and why. */
  public record PrivateRange(List<String> allowPrivate, Optional<String> note) {}

  /**
   * For an IP literal that is not public, exactly that address ({@code /32} or {@code /128});
   * for a public one, nothing. A DNS name is not resolved here: nothing, with a note that a
   * name on a private network needs its range added by hand. An IPv4-mapped IPv6 base URL
   * never gets here: {@link EgressGuard#parseBaseUrl} refuses it, naming the IPv4 address.
   *
   * @throws IllegalArgumentException if the address is one Gatehouse never connects to
   *     (unspecified, multicast, broadcast, cloud metadata, ...), allowed or not
   */
  public static PrivateRange allowPrivateFor(ServiceUrl url) {
    if (!url.hostIsLiteral()) {
      return new PrivateRange(List.of(), Optional.of("base_url names the host " + url.host() + ". If it resolves to a"
          + " private address (e.g. 192.168.1.20), add that address to allow_private by hand, e.g. [\"192.168.1.20/32\"];"
          + " until then Gatehouse refuses to connect to it."));
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(url.host()); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("host " + url.host() + " is not an IP address", e);
    }
    Optional<String> reason = EgressGuard.blockedReason(address);
    if (reason.isEmpty()) {
      return new PrivateRange(List.of(), Optional.empty());
    }
    // A ServiceUrl host is canonical and never IPv4-mapped (parseBaseUrl refuses that spelling),
    // so the host text is the address the guard checks, in the address's own family.
    String cidr = url.host() + (address instanceof java.net.Inet4Address ? "/32" : "/128");
    try {
      EgressGuard.checkAllowed(address, List.of(Cidr.parse(cidr)));
    } catch (EgressDeniedException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    return new PrivateRange(List.of(cidr), Optional.of(url.host() + " is " + reason.get()
        + "; allow_private lets Gatehouse reach that one address of it, and nothing else private."));
  }
}
