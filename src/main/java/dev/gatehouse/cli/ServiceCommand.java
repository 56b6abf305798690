package dev.gatehouse.cli;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.Service;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.guard.EgressGuard;
import dev.gatehouse.guard.ServiceUrl;
import dev.gatehouse.presets.Presets;
import dev.gatehouse.store.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "service", mixinStandardHelpOptions = true,
    description = "Services in the catalog (services/NAME.yaml), written from presets. docs/presets.md.",
    subcommands = {ServiceCommand.Add.class, ServiceCommand.ListServices.class})
final class ServiceCommand implements Runnable {
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Write services/NAME.yaml (mode 0600) from preset PRESET for the service at URL.",
          "Refused if the file exists. Prints the vault entries to add and the next steps; the vault is not opened.",
          "Presets: sonarr, radarr, jackett, qbittorrent, jellyfin, transmission, github, generic."})
  static final class Add extends HomeCommand {
    @Parameters(paramLabel = "PRESET", description = "Which preset (see `gatehouse service list`).")
    String preset;

    @Option(names = "--name", paramLabel = "NAME", required = true,
        description = "The service's name: 1-32 characters a-z 0-9 _ - ; actions are NAME.ACTION, vault entries NAME.apikey ...")
    String name;

    @Option(names = "--url", paramLabel = "URL", required = true,
        description = "Its base URL, e.g. http://192.168.1.20:8989 (http or https; a DNS name or a canonical IP address).")
    String url;

    @Override
    Integer execute() throws IOException {
      if (!Presets.NAMES.contains(preset)) {
        throw new BadInputException("unknown preset '" + preset + "'; the presets are: " + String.join(", ", Presets.NAMES));
      }
      if (!NAME.matcher(name).matches()) {
        throw new BadInputException("--name '" + name + "' is not a service name: 1-32 characters a-z 0-9 _ -,"
            + " starting with a letter or digit");
      }
      ServiceUrl base;
      Presets.PrivateRange range;
      try {
        base = EgressGuard.parseBaseUrl(url);
        range = Presets.allowPrivateFor(base);
      } catch (IllegalArgumentException e) {
        throw new BadInputException("--url is refused: " + e.getMessage());
      }
      String yaml = Presets.render(preset, name, url, range.allowPrivate());

      Gatehouse g = open();
      Path dir = g.home().file(Catalog.DIR);
      Path file = dir.resolve(name + ".yaml");
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new BadInputException(file + " already exists; nothing was changed (edit it, or remove it first)");
      }
      Service service = check(yaml, file);
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) { // made meanwhile by someone else
        throw new BadInputException(file + " already exists; nothing was changed (edit it, or remove it first)");
      }
      AtomicFiles.write(file, yaml.getBytes(StandardCharsets.UTF_8));

      out().println("Wrote " + file + " (preset " + preset + ", base_url " + url + ", allow_private "
          + range.allowPrivate().stream().map(c -> "\"" + c + "\"").toList() + ").");
      range.note().ifPresent(n -> out().println("Note: " + n));
      out().println("Actions: " + String.join(", ", service.actions().keySet().stream().map(a -> name + "." + a)
          .toList()) + ".");
      out().println("Next:");
      out().println("  1. Add its credentials to the vault (the value at a no-echo prompt, or on stdin):");
      for (String entry : Presets.vaultEntries(preset, name)) {
        out().println("       gatehouse vault add " + entry);
      }
      out().println("  2. Let an agent call it:");
      out().println("       gatehouse agent add AGENT --allow '" + name + ".*' --key-file PATH");
      out().println("  3. Load it: `gatehouse reload` (or start `gatehouse serve`); the catalog is refused until every"
          + " vault entry above exists.");
      return ExitCodes.OK;
    }

    /**
     * Runs the catalog's own validator on the rendered file (every vault entry taken as present),
     * so that nothing is written that would stop the whole catalog from loading.
     */
    private Service check(String yaml, Path target) throws IOException {
      Path tmp = Files.createTempDirectory("gatehouse-service-");
      Path f = tmp.resolve(name + ".yaml");
      try {
        Files.writeString(f, yaml, StandardCharsets.UTF_8);
        return Catalog.load(tmp, entry -> true).services().get(name);
      } catch (ConfigException e) {
        String unavailable = e.problem().contains("is not available yet")
            ? "; writing it would stop the whole catalog from loading"
            : "";
        throw new BadInputException("preset " + preset + " does not pass the catalog check: " + target.getFileName()
            + ":" + e.line() + ": " + e.problem() + unavailable + "; nothing was written");
      } finally {
        Files.deleteIfExists(f);
        Files.deleteIfExists(tmp);
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The presets available, and the services in this home's catalog.")
  static final class ListServices extends HomeCommand {
    @Override
    Integer execute() throws IOException {
      out().println("Presets (gatehouse service add PRESET --name NAME --url URL):");
      for (String p : Presets.NAMES) {
        out().printf("  %-13s %s%n", p, Presets.summary(p));
      }
      Path home = homePath();
      if (!Files.isDirectory(home)) {
        out().println("No home at " + home + " yet (`gatehouse init`).");
        return ExitCodes.OK;
      }
      Path dir = open().home().file(Catalog.DIR);
      List<Path> files = List.of();
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        try (var list = Files.list(dir)) {
          files = list.filter(p -> p.getFileName().toString().endsWith(".yaml"))
              .sorted(Comparator.comparing(Path::toString)).toList();
        }
      }
      if (files.isEmpty()) {
        out().println("No services in " + dir + " yet.");
      } else {
        out().println("Services in " + dir + ":");
        for (Path f : files) {
          out().println("  " + f.getFileName().toString().replaceFirst("\\.yaml$", ""));
        }
      }
      return ExitCodes.OK;
    }
  }
}
